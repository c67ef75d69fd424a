package webhooks

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefaultWindowCoversEveryAcceptedCopy: whatever the sender's clock, a
// byte-identical copy of a processed delivery is a duplicate for as long as
// the verifier accepts it: a delivery signed a tolerance ahead of the
// receiver's clock is accepted for twice the tolerance.
func TestDefaultWindowCoversEveryAcceptedCopy(t *testing.T) {
	const tolerance = 65 * time.Second
	store, clock := newTestStore(0)
	v, err := NewVerifier("whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", WithTolerance(tolerance), WithClock(clock.now))
	require.NoError(t, err)
	var calls atomic.Int32
	h := NewHandler(v, func(context.Context, Event) error { calls.Add(1); return nil }, WithIdempotencyStore(store))

	body := []byte(`{"id":"evt_1","object":"event","created_at":1750287000,"type":"batch.completed","data":{"id":"batch_1"}}`)
	signedAt := clock.now().Add(tolerance) // the sender's clock is a tolerance ahead
	hook, err := standardwebhooks.NewWebhook("whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	require.NoError(t, err)
	sig, err := hook.Sign("wh_ahead", signedAt, body)
	require.NoError(t, err)
	headers := http.Header{}
	headers.Set(HeaderID, "wh_ahead")
	headers.Set(HeaderTimestamp, strconv.FormatInt(signedAt.Unix(), 10))
	headers.Set(HeaderSignature, sig)

	require.Equal(t, ResultProcessed, h.Receive(context.Background(), body, headers).Result)
	for _, after := range []time.Duration{tolerance, 2*tolerance - time.Second, 2 * tolerance} {
		clock.t = signedAt.Add(-tolerance).Add(after)
		o := h.Receive(context.Background(), body, headers)
		require.NoError(t, v.Verify(body, headers), "the verifier still accepts the copy %v after the first", after)
		assert.Equal(t, ResultDuplicate, o.Result, "a copy %v after the first: %v", after, o.Err)
	}
	assert.Equal(t, int32(1), calls.Load())
}
