package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// observedKey marks the context that observer.Start returns.
type observedKey struct{}

// observer is an Observer that records what it is told, and checks that
// each call gets the context its Start returned.
type observer struct {
	mu     sync.Mutex
	starts []webhooks.StartInfo
	steps  []string // "claimed", or "claimed: error" for a step with an error
	dones  []webhooks.Outcome
	wrong  []string // calls without the delivery's context, or steps without their event
}

func (ob *observer) Start(ctx context.Context, s webhooks.StartInfo) context.Context {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	ob.starts = append(ob.starts, s)
	return context.WithValue(ctx, observedKey{}, len(ob.starts))
}

func (ob *observer) Step(ctx context.Context, s webhooks.StepInfo) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	name := s.Step.String()
	if s.Err != nil {
		name += ": error"
	}
	ob.steps = append(ob.steps, name)
	ob.check(ctx, name)
	if (s.Event == nil) != (s.Step == webhooks.StepReceived) {
		ob.wrong = append(ob.wrong, name+" with event "+string(eventType(s.Event)))
	}
}

func (ob *observer) Done(ctx context.Context, o webhooks.Outcome) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	ob.dones = append(ob.dones, o)
	ob.check(ctx, "done")
}

// check records a call whose ctx does not derive from the last Start's.
func (ob *observer) check(ctx context.Context, call string) {
	if n, _ := ctx.Value(observedKey{}).(int); n != len(ob.starts) || n == 0 {
		ob.wrong = append(ob.wrong, call+" without the delivery's context")
	}
}

func (ob *observer) stepsSoFar() []string {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	return slices.Clone(ob.steps)
}

func eventType(e webhooks.Event) webhooks.EventType {
	if e == nil {
		return ""
	}
	return e.EventType()
}

// TestObserver works one delivery of each kind, through ServeHTTP, Receive
// and Process, and checks what the Observer is told: one Start, the steps
// in order, one Done with the Outcome, each with the context that Start
// returned, as the callback gets it too.
func TestObserver(t *testing.T) {
	body := fixture(t, webhooks.EventTypeBatchCompleted)
	valid := signedDelivery(t, testSecret, "wh_1", testNow, body)
	processedBefore, claimedElsewhere := storeWith(t, "wh_1", webhooks.Processed), storeWith(t, "wh_1", webhooks.InProgress)
	down := errors.New("connection refused")
	queue := func(failed error) webhooks.HandlerOption {
		return webhooks.WithQueue(&memQueue{jobs: map[string][]byte{"wh_copy": nil}, deliv: map[string]webhooks.Delivery{}, failed: failed})
	}
	job := webhooks.Delivery{ID: "wh_1", Timestamp: testNow, Header: valid.headers, Attempt: 3}

	// How a case delivers: through ServeHTTP, Receive or Process.
	serveHTTP := func(h *webhooks.Handler, d testDelivery) { serve(h, d.request()) }
	receive := func(h *webhooks.Handler, d testDelivery) { h.Receive(context.Background(), d.body, d.headers) }
	process := func(h *webhooks.Handler, d testDelivery) { _ = h.Process(context.Background(), job, d.body) }

	tests := []struct {
		name      string
		deliver   func(*webhooks.Handler, testDelivery)
		delivery  testDelivery
		fail      error // the callback's error
		opts      []webhooks.HandlerOption
		want      webhooks.Result
		wantSteps []string
	}{
		{"processed", serveHTTP, valid, nil, nil, webhooks.ResultProcessed,
			[]string{"received", "verified", "claimed", "callback started", "callback returned", "recorded"}},
		{"processed, by Receive", receive, valid, nil, nil, webhooks.ResultProcessed,
			[]string{"received", "verified", "claimed", "callback started", "callback returned", "recorded"}},
		{"processed, without idempotency", serveHTTP, valid, nil, []webhooks.HandlerOption{webhooks.WithoutIdempotency()},
			webhooks.ResultProcessed, []string{"received", "verified", "callback started", "callback returned"}},
		{"duplicate", serveHTTP, valid, nil, []webhooks.HandlerOption{webhooks.WithIdempotencyStore(processedBefore)},
			webhooks.ResultDuplicate, []string{"received", "verified"}},
		{"in progress", serveHTTP, valid, nil, []webhooks.HandlerOption{webhooks.WithIdempotencyStore(claimedElsewhere)},
			webhooks.ResultInProgress, []string{"received", "verified"}},
		{"rejected: bad signature", serveHTTP, signedDelivery(t, webhookstest.NewSecret(), "wh_1", testNow, body), nil, nil,
			webhooks.ResultRejected, []string{"received"}},
		{"rejected before the body: too old", serveHTTP, signedDelivery(t, testSecret, "wh_1", testNow.Add(-time.Hour), body), nil, nil,
			webhooks.ResultRejected, nil},
		{"rejected: body too large, unread", serveHTTP, valid, nil, []webhooks.HandlerOption{webhooks.WithMaxBodyBytes(10)},
			webhooks.ResultRejected, nil},
		{"failed", serveHTTP, valid, errors.New("database down"), nil, webhooks.ResultFailed,
			[]string{"received", "verified", "claimed", "callback started", "callback returned: error", "recorded"}},
		{"unavailable: the claim fails", serveHTTP, valid, nil, []webhooks.HandlerOption{faultyStore(func(s *webhookstest.FaultyStore) { s.ClaimFault.Err = down })},
			webhooks.ResultUnavailable, []string{"received", "verified", "claimed: error"}},
		{"processed, but recording fails", serveHTTP, valid, nil, []webhooks.HandlerOption{faultyStore(func(s *webhookstest.FaultyStore) { s.DoneFault.Err = down })},
			webhooks.ResultProcessed, []string{"received", "verified", "claimed", "callback started", "callback returned", "recorded: error"}},
		{"enqueued", serveHTTP, valid, nil, []webhooks.HandlerOption{queue(nil)},
			webhooks.ResultEnqueued, []string{"received", "verified", "enqueued"}},
		{"a copy of a job", serveHTTP, signedDelivery(t, testSecret, "wh_copy", testNow, body), nil, []webhooks.HandlerOption{queue(nil)},
			webhooks.ResultDuplicate, []string{"received", "verified"}},
		{"unavailable: the queue fails", serveHTTP, valid, nil, []webhooks.HandlerOption{queue(down)},
			webhooks.ResultUnavailable, []string{"received", "verified", "enqueued: error"}},
		{"worked", process, valid, nil, nil, webhooks.ResultProcessed, []string{"callback started", "callback returned"}},
		{"worked, and failed", process, valid, errors.New("database down"), nil,
			webhooks.ResultFailed, []string{"callback started", "callback returned: error"}},
		{"a job that does not decode", process, testDelivery{body: []byte(`{}`)}, nil, nil, webhooks.ResultRejected, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ob := &observer{}
			var callbackCtx context.Context
			h := webhooks.NewHandler(testVerifier(t), func(ctx context.Context, _ webhooks.Event) error {
				callbackCtx = ctx
				return tt.fail
			}, append([]webhooks.HandlerOption{webhooks.WithObserver(ob)}, tt.opts...)...)

			tt.deliver(h, tt.delivery)
			require.Len(t, ob.starts, 1)
			require.Len(t, ob.dones, 1)
			assert.Equal(t, tt.want, ob.dones[0].Result, "got %v, want %v", ob.dones[0].Result, tt.want)
			assert.Equal(t, tt.wantSteps, ob.steps)
			assert.Empty(t, ob.wrong)
			if callbackCtx != nil {
				assert.Equal(t, 1, callbackCtx.Value(observedKey{}), "the callback's context derives from Start's")
			}
			switch s := ob.starts[0]; {
			case s.Job != nil:
				assert.Equal(t, job, *s.Job)
				assert.Zero(t, ob.dones[0].Status, "a job has no answer")
			case s.Request != nil:
				assert.Equal(t, http.MethodPost, s.Request.Method)
				assert.Equal(t, s.Request.Header, s.Header)
			default:
				assert.Equal(t, tt.delivery.headers, s.Header)
			}
		})
	}
}

// TestObserverCallbackReturnsLate: a callback whose claim is lost returns
// after Done, and reports StepCallbackReturned then.
func TestObserverCallbackReturnsLate(t *testing.T) {
	ob := &observer{}
	release := make(chan struct{})
	h := webhooks.NewHandler(testVerifier(t), func(context.Context, webhooks.Event) error {
		<-release // ignores its context
		return nil
	}, webhooks.WithObserver(ob), faultyStore(func(s *webhookstest.FaultyStore) { s.RenewFault.Err = webhooks.ErrLeaseLost }),
		webhooks.WithLease(900*time.Millisecond), webhooks.WithCallbackTimeout(time.Minute)) // renewed at 300 ms, lapses at 900
	d := signedDelivery(t, testSecret, "wh_lost", testNow, fixture(t, webhooks.EventTypeBatchFailed))

	o := h.Receive(context.Background(), d.body, d.headers)
	assert.Equal(t, webhooks.ResultFailed, o.Result)
	require.ErrorIs(t, o.StoreErr, webhooks.ErrLeaseLost)
	assert.Equal(t, []string{"received", "verified", "claimed", "callback started", "renewed: error"}, ob.stepsSoFar(),
		"a lost claim records nothing")
	close(release)
	require.Eventually(t, func() bool { return len(ob.stepsSoFar()) == 6 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, "callback returned", ob.stepsSoFar()[5])
	assert.Empty(t, ob.wrong)
}

func TestWithObserverPanicsOnMisuse(t *testing.T) {
	acknowledge := func(context.Context, webhooks.Event) error { return nil }
	tests := []struct {
		name      string
		make      func()
		wantPanic bool
	}{
		{"one", func() { webhooks.NewHandler(testVerifier(t), acknowledge, webhooks.WithObserver(&observer{})) }, false},
		{"nil", func() { webhooks.WithObserver(nil) }, true},
		{"a second", func() {
			webhooks.NewHandler(testVerifier(t), acknowledge, webhooks.WithObserver(&observer{}), webhooks.WithObserver(&observer{}))
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantPanic {
				assert.Panics(t, tt.make)
			} else {
				assert.NotPanics(t, tt.make)
			}
		})
	}
}

// TestObserverSeesTheRequest: ServeHTTP's Start gets the request before
// its body is read, and the steps of a request that is not a POST are none.
func TestObserverSeesTheRequest(t *testing.T) {
	ob := &observer{}
	h := webhooks.NewHandler(testVerifier(t), func(context.Context, webhooks.Event) error { return nil }, webhooks.WithObserver(ob))
	serve(h, httptest.NewRequest(http.MethodGet, "/webhooks/openai", nil))
	require.Len(t, ob.starts, 1)
	assert.Equal(t, "/webhooks/openai", ob.starts[0].Request.URL.Path)
	assert.Empty(t, ob.steps)
	require.Len(t, ob.dones, 1)
	assertOneSentinel(t, ob.dones[0].Err, webhooks.ErrMethodNotAllowed)
}
