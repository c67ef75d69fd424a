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

// WithQueue makes the Handler store each verified delivery of a type that
// has a callback in q, and answer 200 once it is stored, without calling the
// callback: q's workers call it later, through [Handler.Process], for as long
// as the work takes, with the queue's retries. A copy of a delivery that q
// holds already is answered 200 without a second job; a queue that fails is
// answered 503 with Retry-After, and nothing is acknowledged. The Handler's
// idempotency store is not used: the queue keeps each webhook-id once.
func WithQueue(q Queue) HandlerOption {
	if q == nil {
		panic("webhooks: WithQueue(nil)")
	}
	return func(h *Handler) { h.queue = q }
}

// enqueue stores the delivery of event in the Handler's queue and sets o's
// result.
func (h *Handler) enqueue(ctx context.Context, o *Outcome, d Delivery, body []byte, event Event) {
	enqueued, err := h.queue.Enqueue(ctx, d, body, event)
	switch {
	case err != nil:
		o.Result, o.Status = ResultUnavailable, http.StatusServiceUnavailable
		o.Err = fmt.Errorf("%w: enqueuing %s: %w", ErrQueueUnavailable, d.ID, err)
	case enqueued:
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
	event, err := ParseEvent(body)
	if err != nil {
		return err
	}
	fn := h.callbackFor(event)
	if fn == nil {
		return nil
	}
	return recoverCall(context.WithValue(ctx, deliveryKey{}, d), fn, event)
}

// deliveryOf returns the Delivery of a verified delivery.
func deliveryOf(d delivery, headers http.Header) Delivery {
	return Delivery{ID: d.id, Timestamp: time.Unix(d.timestamp, 0), Header: headers}
}
