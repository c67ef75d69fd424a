package webhooks_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// outcomeSentinels are the errors an Outcome.Err or Outcome.StoreErr may
// match, one at a time.
var outcomeSentinels = append([]error{
	webhooks.ErrMethodNotAllowed, webhooks.ErrBodyTooLarge, webhooks.ErrBodyUnreadable,
	webhooks.ErrInProgress, webhooks.ErrCallbackFailed, webhooks.ErrStoreUnavailable, webhooks.ErrStoreFull,
	webhooks.ErrLeaseLost, webhooks.ErrQueueUnavailable,
}, deliverySentinels...)

// assertOneSentinel checks that err matches want and no other sentinel, or
// is nil when want is.
func assertOneSentinel(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		assert.NoError(t, err)
		return
	}
	require.ErrorIs(t, err, want)
	for _, s := range outcomeSentinels {
		if s != want {
			assert.NotErrorIs(t, err, s, "an outcome's error matches exactly one sentinel")
		}
	}
}

// storeWith returns a MemoryStore that holds id processed, or claimed by
// another replica (InProgress).
func storeWith(t *testing.T, id string, status webhooks.ClaimStatus) *webhooks.MemoryStore {
	t.Helper()
	s := webhooks.NewMemoryStore(0)
	if status == webhooks.Processed {
		require.NoError(t, s.Done(context.Background(), id, "t", time.Hour))
	} else {
		_, err := s.Claim(context.Background(), id, "other-replica", time.Hour)
		require.NoError(t, err)
	}
	return s
}

// faultyStore returns the option of a FaultyStore around a MemoryStore,
// with the faults f sets.
func faultyStore(f func(s *webhookstest.FaultyStore)) webhooks.HandlerOption {
	s := webhookstest.FaultyStore{IdempotencyStore: webhooks.NewMemoryStore(0)}
	f(&s)
	return webhooks.WithIdempotencyStore(s)
}

// TestOutcomes sends one delivery for each thing that can become of it and
// checks the Outcome that Receive returns and WithOutcomes sees: the result,
// the status, the error and its one sentinel, the store's error and its one
// sentinel, and what was known of the delivery.
func TestOutcomes(t *testing.T) {
	body := fixture(t, webhooks.EventTypeBatchCompleted)
	valid := signedDelivery(t, testSecret, "wh_1", testNow, body)
	processedBefore, claimedElsewhere := storeWith(t, "wh_1", webhooks.Processed), storeWith(t, "wh_1", webhooks.InProgress)
	down := errors.New("connection refused")
	waitForCancel := func(ctx context.Context, _ webhooks.Event) error { <-ctx.Done(); return ctx.Err() }
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	short := []webhooks.HandlerOption{webhooks.WithLease(30 * time.Millisecond), webhooks.WithCallbackTimeout(time.Minute)}

	tests := []struct {
		name         string
		ctx          context.Context // nil: Background
		delivery     testDelivery
		fallback     func(context.Context, webhooks.Event) error // nil: returns nil
		noFallback   bool
		opts         []webhooks.HandlerOption
		want         webhooks.Result
		wantStatus   int
		wantErr      error
		wantStoreErr error
		wantEvent    bool // EventType and EventID are known
	}{
		{name: "processed", delivery: valid, want: webhooks.ResultProcessed, wantStatus: http.StatusOK, wantEvent: true},
		{name: "processed: the client went away before the claim", ctx: gone, delivery: valid,
			want: webhooks.ResultProcessed, wantStatus: http.StatusOK, wantEvent: true},
		{name: "duplicate of a processed one", delivery: valid,
			opts: []webhooks.HandlerOption{webhooks.WithIdempotencyStore(processedBefore)},
			want: webhooks.ResultDuplicate, wantStatus: http.StatusOK, wantEvent: true},
		{name: "in progress elsewhere", delivery: valid,
			opts: []webhooks.HandlerOption{webhooks.WithIdempotencyStore(claimedElsewhere)},
			want: webhooks.ResultInProgress, wantStatus: http.StatusConflict, wantErr: webhooks.ErrInProgress, wantEvent: true},
		{name: "ignored: no callback for its type", delivery: valid, noFallback: true,
			opts: []webhooks.HandlerOption{webhooks.On(func(context.Context, webhooks.BatchFailedWebhookEvent) error { return nil })},
			want: webhooks.ResultIgnored, wantStatus: http.StatusOK, wantEvent: true},
		{name: "rejected: bad signature", delivery: signedDelivery(t, "whsec_"+strings.Repeat("A", 43)+"=", "wh_1", testNow, body),
			want: webhooks.ResultRejected, wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrInvalidSignature},
		{name: "rejected: too old", delivery: signedDelivery(t, testSecret, "wh_1", testNow.Add(-time.Hour), body),
			want: webhooks.ResultRejected, wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrTimestampTooOld},
		{name: "rejected: invalid payload", delivery: signedDelivery(t, testSecret, "wh_1", testNow, []byte(`{"id":"evt_1"}`)),
			want: webhooks.ResultRejected, wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrInvalidPayload},
		{name: "rejected: too large", delivery: valid, opts: []webhooks.HandlerOption{webhooks.WithMaxBodyBytes(10)},
			want: webhooks.ResultRejected, wantStatus: http.StatusRequestEntityTooLarge, wantErr: webhooks.ErrBodyTooLarge},
		{name: "failed: the callback's error", delivery: valid, fallback: func(context.Context, webhooks.Event) error { return errors.New("db down") },
			want: webhooks.ResultFailed, wantStatus: http.StatusInternalServerError, wantErr: webhooks.ErrCallbackFailed, wantEvent: true},
		{name: "failed: the callback panics", delivery: valid, fallback: func(context.Context, webhooks.Event) error { panic("boom") },
			want: webhooks.ResultFailed, wantStatus: http.StatusInternalServerError, wantErr: webhooks.ErrCallbackFailed, wantEvent: true},
		{name: "failed: past its deadline", delivery: valid, fallback: waitForCancel,
			opts: []webhooks.HandlerOption{webhooks.WithCallbackTimeout(20 * time.Millisecond)},
			want: webhooks.ResultFailed, wantStatus: http.StatusInternalServerError, wantErr: webhooks.ErrCallbackFailed, wantEvent: true},
		{name: "failed: the claim was taken by another", delivery: valid, fallback: waitForCancel,
			opts: append(short, faultyStore(func(s *webhookstest.FaultyStore) { s.RenewFault.Err = webhooks.ErrLeaseLost })),
			want: webhooks.ResultFailed, wantStatus: http.StatusInternalServerError,
			wantErr: webhooks.ErrCallbackFailed, wantStoreErr: webhooks.ErrLeaseLost, wantEvent: true},
		{name: "failed: the claim lapsed, renewals failing", delivery: valid, fallback: waitForCancel,
			opts: append(short, faultyStore(func(s *webhookstest.FaultyStore) { s.RenewFault.Err = down })),
			want: webhooks.ResultFailed, wantStatus: http.StatusInternalServerError,
			wantErr: webhooks.ErrCallbackFailed, wantStoreErr: webhooks.ErrLeaseLost, wantEvent: true},
		{name: "failed, and releasing the claim fails", delivery: valid, fallback: func(context.Context, webhooks.Event) error { return errors.New("db down") },
			opts: []webhooks.HandlerOption{faultyStore(func(s *webhookstest.FaultyStore) { s.ReleaseFault.Err = down })},
			want: webhooks.ResultFailed, wantStatus: http.StatusInternalServerError,
			wantErr: webhooks.ErrCallbackFailed, wantStoreErr: webhooks.ErrStoreUnavailable, wantEvent: true},
		{name: "processed, and recording it fails", delivery: valid,
			opts: []webhooks.HandlerOption{faultyStore(func(s *webhookstest.FaultyStore) { s.DoneFault.Err = down })},
			want: webhooks.ResultProcessed, wantStatus: http.StatusOK, wantStoreErr: webhooks.ErrStoreUnavailable, wantEvent: true},
		{name: "processed, and another took the claim meanwhile: maybe twice", delivery: valid,
			opts: []webhooks.HandlerOption{faultyStore(func(s *webhookstest.FaultyStore) { s.DoneFault.Err = webhooks.ErrLeaseLost })},
			want: webhooks.ResultProcessed, wantStatus: http.StatusOK, wantStoreErr: webhooks.ErrLeaseLost, wantEvent: true},
		{name: "unavailable: the store fails", delivery: valid,
			opts: []webhooks.HandlerOption{faultyStore(func(s *webhookstest.FaultyStore) { s.ClaimFault.Err = errors.New("refused") })},
			want: webhooks.ResultUnavailable, wantStatus: http.StatusServiceUnavailable, wantErr: webhooks.ErrStoreUnavailable, wantEvent: true},
		{name: "unavailable: the store does not answer", delivery: valid,
			opts: []webhooks.HandlerOption{webhooks.WithLease(30 * time.Millisecond), faultyStore(func(s *webhookstest.FaultyStore) { s.ClaimFault.Delay = time.Second })},
			want: webhooks.ResultUnavailable, wantStatus: http.StatusServiceUnavailable, wantErr: webhooks.ErrStoreUnavailable, wantEvent: true},
		{name: "unavailable: the store is full", delivery: valid,
			opts: []webhooks.HandlerOption{faultyStore(func(s *webhookstest.FaultyStore) { s.ClaimFault.Err = fmt.Errorf("%w: no room", webhooks.ErrStoreFull) })},
			want: webhooks.ResultUnavailable, wantStatus: http.StatusServiceUnavailable, wantErr: webhooks.ErrStoreFull, wantEvent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []webhooks.Outcome
			callback := tt.fallback
			if callback == nil {
				callback = func(context.Context, webhooks.Event) error { return nil }
			}
			opts := append([]webhooks.HandlerOption{
				webhooks.WithOutcomes(func(_ context.Context, o webhooks.Outcome) { seen = append(seen, o) }),
			}, tt.opts...)
			if tt.noFallback {
				callback = nil
			}
			h := webhooks.NewHandler(testVerifier(t), callback, opts...)

			got := h.Receive(cmp.Or(tt.ctx, context.Background()), tt.delivery.body, tt.delivery.headers)
			assert.Equal(t, tt.want, got.Result, "got %v, want %v", got.Result, tt.want)
			assert.Equal(t, tt.wantStatus, got.Status)
			assertOneSentinel(t, got.Err, tt.wantErr)
			assertOneSentinel(t, got.StoreErr, tt.wantStoreErr)
			assert.Equal(t, "wh_1", got.DeliveryID)
			if tt.wantEvent {
				assert.Equal(t, webhooks.EventTypeBatchCompleted, got.EventType)
				assert.Equal(t, "evt_6853b1d4a0fc8190b6f1c2d3e4a5b6c7", got.EventID)
			}
			assert.Positive(t, got.Duration)
			require.Len(t, seen, 1, "WithOutcomes sees every delivery once")
			assert.Equal(t, got, seen[0])
		})
	}
}

func TestServeHTTPReportsEveryOutcome(t *testing.T) {
	var seen []webhooks.Outcome
	h := webhooks.NewHandler(testVerifier(t), func(context.Context, webhooks.Event) error { return nil },
		webhooks.WithOutcomes(func(_ context.Context, o webhooks.Outcome) { seen = append(seen, o) }))
	d := signedDelivery(t, testSecret, "wh_1", testNow, fixture(t, webhooks.EventTypeBatchCompleted))

	get := httptest.NewRequest(http.MethodGet, "/", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, serve(h, get).Code)
	assert.Equal(t, http.StatusOK, serve(h, d.request()).Code)
	assert.Equal(t, http.StatusOK, serve(h, d.request()).Code)

	require.Len(t, seen, 3)
	assert.Equal(t, webhooks.ResultRejected, seen[0].Result)
	assertOneSentinel(t, seen[0].Err, webhooks.ErrMethodNotAllowed)
	assert.Equal(t, webhooks.ResultProcessed, seen[1].Result)
	assert.Equal(t, webhooks.ResultDuplicate, seen[2].Result)
}

// TestReceiveServerless sends one delivery three times, as a serverless
// function gets it: the body, and headers in a map with lower-case names.
func TestReceiveServerless(t *testing.T) {
	var calls atomic.Int32
	h := webhooks.NewHandler(testVerifier(t), func(context.Context, webhooks.Event) error {
		calls.Add(1)
		return nil
	})
	d := signedDelivery(t, testSecret, "wh_lambda_1", testNow, fixture(t, webhooks.EventTypeResponseCompleted))
	headers := map[string]string{"content-type": "application/json"}
	for name, values := range d.headers {
		headers[strings.ToLower(name)] = values[0]
	}
	var results []webhooks.Result
	for range 3 {
		o := h.Receive(context.Background(), d.body, webhooks.HeaderFromMap(headers))
		require.Equal(t, http.StatusOK, o.Status, "%v", o.Err)
		results = append(results, o.Result)
	}
	assert.Equal(t, []webhooks.Result{webhooks.ResultProcessed, webhooks.ResultDuplicate, webhooks.ResultDuplicate}, results)
	assert.Equal(t, int32(1), calls.Load())
}

func TestHeaderFromMap(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want http.Header
	}{
		{"lower-case names", map[string]string{"webhook-id": "a", "webhook-timestamp": "1"},
			http.Header{"Webhook-Id": {"a"}, "Webhook-Timestamp": {"1"}}},
		{"names as sent", map[string]string{"Webhook-Signature": "v1,x", "X-Amzn-Trace-Id": "r"},
			http.Header{"Webhook-Signature": {"v1,x"}, "X-Amzn-Trace-Id": {"r"}}},
		{"two spellings of one name keep both, sorted", map[string]string{"webhook-id": "b", "Webhook-Id": "a"},
			http.Header{"Webhook-Id": {"a", "b"}}},
		{"empty", map[string]string{}, http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, webhooks.HeaderFromMap(tt.in))
		})
	}
}

// TestCallbackPastItsDeadline: a callback that ignores its context and
// does not return counts as failed at its deadline (500), but keeps its
// claim while it still runs, for up to one more callback timeout, so that a
// copy meanwhile is answered 409, not run beside it. When it returns within
// that time, its result is recorded: a success makes the next copy a
// duplicate, an error lets it be processed. One that is still running then
// is taken for hung: its claim lapses, and the next copy is processed.
func TestCallbackPastItsDeadline(t *testing.T) {
	const timeout, lease = time.Second, 300 * time.Millisecond
	tests := []struct {
		name     string
		late     error // what the hung callback returns in the end
		hung     bool  // it returns only when the test ends
		wantNext webhooks.Result
		want     int32 // calls in all
	}{
		{"it succeeds in the end: recorded", nil, false, webhooks.ResultDuplicate, 1},
		{"it fails in the end: released", errors.New("gave up"), false, webhooks.ResultProcessed, 2},
		{"it hangs: its claim lapses after one more timeout", nil, true, webhooks.ResultProcessed, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			stuck := make(chan struct{})
			defer func() {
				if tt.hung {
					close(stuck)
				}
			}()
			h := webhooks.NewHandler(testVerifier(t), func(ctx context.Context, _ webhooks.Event) error {
				if calls.Add(1) == 1 {
					<-stuck // hangs, whatever its context says
					return tt.late
				}
				return nil
			}, webhooks.WithCallbackTimeout(timeout), webhooks.WithLease(lease))
			d := signedDelivery(t, testSecret, "wh_hung", testNow, fixture(t, webhooks.EventTypeBatchFailed))

			first := h.Receive(context.Background(), d.body, d.headers)
			assert.Equal(t, webhooks.ResultFailed, first.Result)
			assertOneSentinel(t, first.Err, webhooks.ErrCallbackFailed)
			assert.Contains(t, first.Err.Error(), "did not return within 1s")
			time.Sleep(timeout / 2) // two leases: the claim is renewed while it runs
			copyOutcome := h.Receive(context.Background(), d.body, d.headers)
			assert.Equal(t, webhooks.ResultInProgress, copyOutcome.Result, "a copy while the first still runs: %v", copyOutcome.Err)

			if !tt.hung {
				close(stuck)
			}
			require.Eventually(t, func() bool {
				return h.Receive(context.Background(), d.body, d.headers).Result == tt.wantNext
			}, 5*time.Second, 20*time.Millisecond)
			assert.Equal(t, tt.want, calls.Load())
		})
	}
}

// TestLongCallbackKeepsItsClaim: a callback that runs for several leases,
// within its deadline, keeps its claim by renewal; a copy that arrives
// meanwhile is answered 409 and not processed.
func TestLongCallbackKeepsItsClaim(t *testing.T) {
	const lease = 600 * time.Millisecond
	var calls atomic.Int32
	started := make(chan struct{})
	h := webhooks.NewHandler(testVerifier(t), func(ctx context.Context, _ webhooks.Event) error {
		calls.Add(1)
		close(started)
		select {
		case <-time.After(6 * lease):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, webhooks.WithLease(lease), webhooks.WithCallbackTimeout(time.Minute))
	d := signedDelivery(t, testSecret, "wh_long", testNow, fixture(t, webhooks.EventTypeBatchFailed))

	first := make(chan webhooks.Outcome)
	go func() { first <- h.Receive(context.Background(), d.body, d.headers) }()
	<-started
	time.Sleep(3 * lease) // three leases: without renewal, the claim would have lapsed
	copyOutcome := h.Receive(context.Background(), d.body, d.headers)
	assert.Equal(t, webhooks.ResultInProgress, copyOutcome.Result)
	assert.Equal(t, http.StatusConflict, copyOutcome.Status)

	assert.Equal(t, webhooks.ResultProcessed, (<-first).Result)
	assert.Equal(t, int32(1), calls.Load())
	again := h.Receive(context.Background(), d.body, d.headers)
	assert.Equal(t, webhooks.ResultDuplicate, again.Result)
}

// TestLostClaimCancelsTheCallback: when a renewal finds that another holds
// the claim, the callback's context is canceled and the delivery fails.
func TestLostClaimCancelsTheCallback(t *testing.T) {
	store := webhookstest.FaultyStore{IdempotencyStore: webhooks.NewMemoryStore(0), RenewFault: webhookstest.Fault{Err: webhooks.ErrLeaseLost}}
	h := webhooks.NewHandler(testVerifier(t), func(ctx context.Context, _ webhooks.Event) error {
		<-ctx.Done()
		return ctx.Err()
	}, webhooks.WithIdempotencyStore(store), webhooks.WithLease(30*time.Millisecond), webhooks.WithCallbackTimeout(time.Minute))
	d := signedDelivery(t, testSecret, "wh_lost", testNow, fixture(t, webhooks.EventTypeBatchFailed))
	o := h.Receive(context.Background(), d.body, d.headers)
	assert.Equal(t, webhooks.ResultFailed, o.Result)
	assertOneSentinel(t, o.Err, webhooks.ErrCallbackFailed)
}

func TestCallbackContextOutlivesTheRequest(t *testing.T) {
	var gotErr error
	h := webhooks.NewHandler(testVerifier(t), func(ctx context.Context, _ webhooks.Event) error {
		time.Sleep(20 * time.Millisecond)
		gotErr = ctx.Err()
		deadline, ok := ctx.Deadline()
		if !ok || time.Until(deadline) > webhooks.DefaultCallbackTimeout {
			return errors.New("no deadline within the callback timeout")
		}
		return nil
	})
	d := signedDelivery(t, testSecret, "wh_gone", testNow, fixture(t, webhooks.EventTypeBatchFailed))
	ctx, cancel := context.WithCancel(context.Background())
	req := d.request().WithContext(ctx)
	go func() { time.Sleep(5 * time.Millisecond); cancel() }() // the client gives up
	rec := serve(h, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.NoError(t, gotErr, "the callback's context is not canceled with the request's")
}

func TestLogOutcomes(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log := webhooks.LogOutcomes(logger)
	tests := []struct {
		o         webhooks.Outcome
		wantLevel string
	}{
		{webhooks.Outcome{Result: webhooks.ResultProcessed, Status: 200, DeliveryID: "wh_1", EventType: "batch.completed", EventID: "evt_1"}, "INFO"},
		{webhooks.Outcome{Result: webhooks.ResultDuplicate, Status: 200, DeliveryID: "wh_1"}, "INFO"},
		{webhooks.Outcome{Result: webhooks.ResultInProgress, Status: 409, Err: webhooks.ErrInProgress}, "INFO"},
		{webhooks.Outcome{Result: webhooks.ResultRejected, Status: 400, Err: webhooks.ErrInvalidSignature}, "WARN"},
		{webhooks.Outcome{Result: webhooks.ResultProcessed, Status: 200, StoreErr: webhooks.ErrStoreUnavailable}, "WARN"},
		{webhooks.Outcome{Result: webhooks.ResultProcessed, Status: 200, StoreErr: webhooks.ErrLeaseLost}, "ERROR"},
		{webhooks.Outcome{Result: webhooks.ResultFailed, Status: 500, Err: webhooks.ErrCallbackFailed}, "ERROR"},
		{webhooks.Outcome{Result: webhooks.ResultUnavailable, Status: 503, Err: webhooks.ErrStoreUnavailable}, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.o.Result.String(), func(t *testing.T) {
			buf.Reset()
			log(context.Background(), tt.o)
			var rec map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
			assert.Equal(t, tt.wantLevel, rec["level"])
			assert.Equal(t, tt.o.Result.String(), rec["result"])
			assert.Equal(t, float64(tt.o.Status), rec["status"])
			assert.Equal(t, tt.o.DeliveryID, rec["webhook_id"])
			if tt.o.Err != nil {
				assert.Equal(t, tt.o.Err.Error(), rec["error"])
			}
		})
	}
}
