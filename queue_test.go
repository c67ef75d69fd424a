package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
)

// memQueue is a Queue in memory, for the Handler's side of the contract.
type memQueue struct {
	mu     sync.Mutex
	jobs   map[string][]byte // webhook-id: body
	deliv  map[string]webhooks.Delivery
	failed error
}

func (q *memQueue) Enqueue(_ context.Context, d webhooks.Delivery, body []byte, _ webhooks.Event) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failed != nil {
		return false, q.failed
	}
	if _, ok := q.jobs[d.ID]; ok {
		return false, nil
	}
	q.jobs[d.ID], q.deliv[d.ID] = body, d
	return true, nil
}

func TestHandlerWithQueue(t *testing.T) {
	var calls []webhooks.Event
	callback := func(_ context.Context, e webhooks.Event) error { calls = append(calls, e); return nil }
	q := &memQueue{jobs: map[string][]byte{}, deliv: map[string]webhooks.Delivery{}}
	h := webhooks.NewHandler(testVerifier(t), nil,
		webhooks.On(func(ctx context.Context, e webhooks.BatchCompletedWebhookEvent) error { return callback(ctx, e) }),
		webhooks.WithQueue(q))
	body := fixture(t, webhooks.EventTypeBatchCompleted)
	d := signedDelivery(t, testSecret, "wh_q1", testNow, body)

	tests := []struct {
		name       string
		delivery   testDelivery
		fail       error
		want       webhooks.Result
		wantStatus int
		wantErr    error
	}{
		{"stored, not processed yet", d, nil, webhooks.ResultEnqueued, http.StatusOK, nil},
		{"a copy: no second job", d, nil, webhooks.ResultDuplicate, http.StatusOK, nil},
		{"a type without a callback here is stored too: the workers decide", signedDelivery(t, testSecret, "wh_q2", testNow, fixture(t, webhooks.EventTypeBatchFailed)), nil,
			webhooks.ResultEnqueued, http.StatusOK, nil},
		{"an unknown type is stored too", signedDelivery(t, testSecret, "wh_q4", testNow, []byte(`{"id":"evt_1","object":"event","created_at":1,"type":"x.new","data":{}}`)), nil,
			webhooks.ResultEnqueued, http.StatusOK, nil},
		{"the queue fails: 503, nothing acknowledged", signedDelivery(t, testSecret, "wh_q3", testNow, body), errors.New("database down"),
			webhooks.ResultUnavailable, http.StatusServiceUnavailable, webhooks.ErrQueueUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q.failed = tt.fail
			o := h.Receive(context.Background(), tt.delivery.body, tt.delivery.headers)
			assert.Equal(t, tt.want, o.Result, "got %v", o.Result)
			assert.Equal(t, tt.wantStatus, o.Status)
			assertOneSentinel(t, o.Err, tt.wantErr)
		})
	}
	assert.Empty(t, calls, "no callback runs at receipt")
	assert.Len(t, q.jobs, 3)
	assert.Equal(t, body, q.jobs["wh_q1"], "the body as received")

	t.Run("Process runs the callback later", func(t *testing.T) {
		var got webhooks.Delivery
		h := webhooks.NewHandler(testVerifier(t), nil,
			webhooks.On(func(ctx context.Context, e webhooks.BatchCompletedWebhookEvent) error {
				got, _ = webhooks.DeliveryFromContext(ctx)
				calls = append(calls, e)
				return nil
			}), webhooks.WithQueue(q))
		require.NoError(t, h.Process(context.Background(), q.deliv["wh_q1"], q.jobs["wh_q1"]))
		require.Len(t, calls, 1)
		assert.Equal(t, fixtureEvents[webhooks.EventTypeBatchCompleted], withoutRaw(calls[0]))
		assert.Equal(t, "wh_q1", got.ID)
		require.NoError(t, h.Process(context.Background(), webhooks.Delivery{ID: "wh_x"}, fixture(t, webhooks.EventTypeBatchFailed)),
			"a type without a callback is done")
	})
	t.Run("Process errors", func(t *testing.T) {
		h := webhooks.NewHandler(testVerifier(t), func(context.Context, webhooks.Event) error { panic("boom") })
		assertOneSentinel(t, h.Process(context.Background(), webhooks.Delivery{}, body), webhooks.ErrCallbackFailed)
		assertOneSentinel(t, h.Process(context.Background(), webhooks.Delivery{}, []byte(`{}`)), webhooks.ErrInvalidPayload)
	})
}

// stuckQueue is a Queue that never answers, whatever its context says.
type stuckQueue struct{ stuck chan struct{} }

func (q stuckQueue) Enqueue(context.Context, webhooks.Delivery, []byte, webhooks.Event) (bool, error) {
	<-q.stuck
	return true, nil
}

// TestHandlerWithStuckQueue: a queue that does not answer is answered 503
// at the callback timeout, not when the queue returns.
func TestHandlerWithStuckQueue(t *testing.T) {
	q := stuckQueue{make(chan struct{})}
	defer close(q.stuck)
	h := webhooks.NewHandler(testVerifier(t), nil, webhooks.WithQueue(q), webhooks.WithCallbackTimeout(50*time.Millisecond))
	d := signedDelivery(t, testSecret, "wh_stuck", testNow, fixture(t, webhooks.EventTypeBatchCompleted))
	o := h.Receive(context.Background(), d.body, d.headers)
	assert.Equal(t, webhooks.ResultUnavailable, o.Result)
	assertOneSentinel(t, o.Err, webhooks.ErrQueueUnavailable)
	require.ErrorIs(t, o.Err, context.DeadlineExceeded)
}
