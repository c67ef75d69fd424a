package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// A Queue stores verified deliveries durably, to be processed later by
// workers, in place of a callback that runs while OpenAI waits for the
// answer: the riverqueue module is one, on River (Postgres or SQLite). With
// [WithQueue], a Handler answers 200 once the delivery is stored, and the
// queue's workers call [Handler.Process], which runs the callbacks.
//
// Implementations must be safe for concurrent use.
type Queue interface {
	// Enqueue stores the delivery of event, received as body with the
	// metadata d, once per webhook-id: for a copy of a delivery it holds
	// already, it stores nothing and reports false, with no error. It returns
	// only once the delivery is stored for good (its transaction committed),
	// so that an answer of 200 never acknowledges a delivery that could
	// still be lost.
	Enqueue(ctx context.Context, d Delivery, body []byte, event Event) (enqueued bool, err error)
}

// ErrQueueUnavailable: the [Queue] failed to store the delivery, which was
// not acknowledged (503, so that OpenAI sends it again).
var ErrQueueUnavailable = errors.New("webhooks: queue unavailable")

// WithQueue makes the Handler store each verified delivery in q, of every
// type, known or not, whatever callbacks this Handler has, and answer 200 once
// it is stored, without calling a callback: q's workers, in this process or
// others, call the callbacks later, through [Handler.Process], for as long as
// the work takes, with the queue's retries; a type without a callback there
// is done at once. A copy of a delivery that q holds already is answered 200
// without a second job; a queue that fails, or does not answer within the
// callback timeout ([WithCallbackTimeout]), is answered 503 with
// Retry-After, and nothing is acknowledged. The Handler's idempotency store
// is not used: the queue keeps each webhook-id once.
func WithQueue(q Queue) HandlerOption {
	if isNil(q) {
		panic("webhooks: WithQueue(nil)")
	}
	return func(h *Handler) { h.queue = q }
}

// enqueue stores the delivery of event in the Handler's queue and sets o's
// result. It waits for the queue for the callback timeout at most, on a
// goroutine of its own, whatever the queue does with its context; the
// client going away does not stop it.
func (h *Handler) enqueue(ctx context.Context, o *Outcome, d Delivery, body []byte, event Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.callbackTimeout)
	defer cancel()
	type answer struct {
		enqueued bool
		err      error
	}
	result := make(chan answer, 1) // buffered: a queue that answers late does not block
	go func() {
		var a answer
		a.err = recovered("the queue", func() (err error) {
			a.enqueued, err = h.queue.Enqueue(ctx, d, body, event)
			return err
		})
		result <- a
	}()
	var a answer
	select {
	case a = <-result:
	case <-ctx.Done():
		select {
		case a = <-result:
		default:
			a.err = fmt.Errorf("no answer within %v: %w", h.callbackTimeout, ctx.Err())
		}
	}
	if a.enqueued || a.err != nil {
		h.observeStep(ctx, StepEnqueued, event, a.err)
	}
	switch {
	case a.err != nil:
		o.Result, o.Status = ResultUnavailable, http.StatusServiceUnavailable
		o.Err = fmt.Errorf("%w: enqueuing %s: %w", ErrQueueUnavailable, d.ID, foreign(a.err))
	case a.enqueued:
		o.Result, o.Status = ResultEnqueued, http.StatusOK
	default:
		o.Result, o.Status = ResultDuplicate, http.StatusOK
	}
}

// Process runs the callback for a delivery that a [Queue] stored: it decodes
// body again, with this version's catalogue, and calls the callback
// registered for the event's type (or the fallback) with d in its context,
// as [DeliveryFromContext] reads it. The signature was checked when the
// delivery was received, so it is not checked again: call Process only with
// what a Queue stored. A type without a callback is done at once.
//
// The callback runs with ctx, whose deadline is the queue's: the Handler's
// callback timeout is for callbacks that run while OpenAI waits. The error,
// if any, matches [ErrCallbackFailed] (the callback's error, or a panic) or
// [ErrInvalidPayload]; the queue then retries or gives up, by its own rules.
func (h *Handler) Process(ctx context.Context, d Delivery, body []byte) error {
	start := time.Now()
	ctx = h.observeStart(ctx, StartInfo{Header: d.Header, Job: &d})
	o := h.work(ctx, d, body)
	o.Duration = time.Since(start)
	h.observeDone(ctx, o)
	return o.Err
}

// work implements Process but for the Observer.
func (h *Handler) work(ctx context.Context, d Delivery, body []byte) Outcome {
	event, err := ParseEvent(body)
	if err != nil {
		return Outcome{Result: ResultRejected, DeliveryID: d.ID, Err: err}
	}
	o := Outcome{Result: ResultProcessed, DeliveryID: d.ID, EventType: event.EventType(), EventID: event.EventID()}
	fn := h.callbackFor(event)
	if fn == nil {
		o.Result = ResultIgnored
		return o
	}
	if o.Err = h.callback(context.WithValue(ctx, deliveryKey{}, d), fn, event); o.Err != nil {
		o.Result = ResultFailed
	}
	return o
}

// deliveryOf returns the Delivery of a verified delivery.
func deliveryOf(d delivery, headers http.Header) Delivery {
	return Delivery{ID: d.id, Timestamp: time.Unix(d.timestamp, 0), Header: headers}
}
