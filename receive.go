package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

// Receive handles one delivery that arrived by any transport, and returns
// its [Outcome]: what became of it and the HTTP status to answer. It is the
// core of [Handler.ServeHTTP], for a serverless function, a gRPC gateway or a
// queue consumer: the body as received, and the headers ([HeaderFromMap]
// turns a map with one value per name into them). It verifies and decodes
// the body, claims its webhook-id, calls the callback with a deadline while
// it renews the claim, and records the result, exactly as ServeHTTP does.
//
// A body over the limit of [WithMaxBodyBytes] is rejected with
// [ErrBodyTooLarge], unread; the caller should stop reading at the limit.
// ctx carries the delivery's values to the callback, whose context is not
// canceled when ctx is: once started, a callback finishes (or passes its
// deadline) and its result is recorded, so that a copy sent after a client
// gave up finds it processed.
func (h *Handler) Receive(ctx context.Context, body []byte, headers http.Header) Outcome {
	start := time.Now()
	o := h.receive(ctx, body, headers)
	h.report(ctx, &o, start)
	return o
}

// report completes o and hands it to the outcomes function.
func (h *Handler) report(ctx context.Context, o *Outcome, start time.Time) {
	o.Duration = time.Since(start)
	if h.outcomes != nil {
		h.outcomes(ctx, *o)
	}
}

// rejected returns the outcome of a request that is not a valid delivery,
// with its webhook-id if it has one.
func rejected(status int, err error, headers http.Header) Outcome {
	id, _ := header(headers, idHeader)
	return Outcome{Result: ResultRejected, Status: status, Err: err, DeliveryID: id}
}

// receive implements Receive but for the report.
func (h *Handler) receive(ctx context.Context, body []byte, headers http.Header) Outcome {
	if int64(len(body)) > h.maxBody {
		return rejected(http.StatusRequestEntityTooLarge, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, len(body), h.maxBody), headers)
	}
	d, err := h.verifier.verify(body, headers)
	if err != nil {
		return rejected(http.StatusBadRequest, err, headers)
	}
	event, err := ParseEvent(body)
	if err != nil {
		return rejected(http.StatusBadRequest, err, headers)
	}
	o := Outcome{DeliveryID: d.id, EventType: event.EventType(), EventID: event.EventID()}
	fn := h.callbackFor(event)
	if fn == nil {
		o.Result, o.Status = ResultIgnored, http.StatusOK
		return o
	}
	if h.queue != nil {
		h.enqueue(ctx, &o, deliveryOf(d, headers), body, event)
		return o
	}
	h.process(context.WithValue(ctx, deliveryKey{}, deliveryOf(d, headers)), &o, fn, event)
	return o
}

// process calls fn for event once, unless the store says that the delivery
// was, or is being, processed, and sets o's result.
func (h *Handler) process(ctx context.Context, o *Outcome, fn func(context.Context, Event) error, event Event) {
	deadline := time.Now().Add(h.callbackTimeout)
	if h.store == nil {
		h.settle(o, h.call(ctx, fn, event, deadline, nil))
		return
	}
	id := o.DeliveryID
	token := h.tokenPrefix + "-" + strconv.FormatUint(h.tokens.Add(1), 10)
	status, err := h.store.Claim(ctx, id, token, min(h.lease, h.callbackTimeout))
	switch {
	case err != nil:
		o.Result, o.Status = ResultUnavailable, http.StatusServiceUnavailable
		o.Err = fmt.Errorf("%w: claiming %s: %w", ErrStoreUnavailable, id, err)
		return
	case status == Processed:
		o.Result, o.Status = ResultDuplicate, http.StatusOK
		return
	case status == InProgress:
		o.Result, o.Status = ResultInProgress, http.StatusConflict
		o.Err = fmt.Errorf("%w: %s", ErrInProgress, id)
		return
	case status != Claimed:
		o.Result, o.Status = ResultUnavailable, http.StatusServiceUnavailable
		o.Err = fmt.Errorf("%w: claiming %s: unknown status %v", ErrStoreUnavailable, id, status)
		return
	}
	renew := func(ctx context.Context) error {
		return h.store.Renew(ctx, id, token, min(h.lease, time.Until(deadline)))
	}
	h.settle(o, h.call(ctx, fn, event, deadline, renew))
	// Record the outcome even if the caller's context is done.
	bookkeeping := context.WithoutCancel(ctx)
	if o.Result == ResultFailed {
		if err := h.store.Release(bookkeeping, id, token); err != nil {
			o.StoreErr = fmt.Errorf("%w: releasing %s, whose claim now lapses within %v: %w", ErrStoreUnavailable, id, h.lease, err)
		}
		return
	}
	if err := h.store.Done(bookkeeping, id, token, h.window); err != nil {
		// Processed: answering anything but 2xx would have it processed again.
		o.StoreErr = fmt.Errorf("%w: recording %s as processed: %w", ErrStoreUnavailable, id, err)
	}
}

// settle sets o's result from the callback's error.
func (h *Handler) settle(o *Outcome, err error) {
	if err != nil {
		o.Result, o.Status, o.Err = ResultFailed, http.StatusInternalServerError, err
		return
	}
	o.Result, o.Status = ResultProcessed, http.StatusOK
}

// call runs fn on its own goroutine, with a context that ends at deadline,
// and returns its error, wrapped in ErrCallbackFailed, when it returns or
// when the deadline passes, whichever is first. Meanwhile it calls renew
// every third of the lease, if the deadline is further than one lease; when
// renew reports that the claim was lost, it cancels fn's context.
func (h *Handler) call(ctx context.Context, fn func(context.Context, Event) error, event Event, deadline time.Time, renew func(context.Context) error) error {
	cctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	result := make(chan error, 1) // buffered: a callback past its deadline does not block
	go func() { result <- recoverCall(cctx, fn, event) }()

	var renewals <-chan time.Time
	if renew != nil && h.callbackTimeout > h.lease {
		ticker := time.NewTicker(h.lease / 3)
		defer ticker.Stop()
		renewals = ticker.C
	}
	lost := false
	for {
		select {
		case err := <-result:
			return err
		case <-renewals:
			// A store that fails is tried again at the next tick; a claim
			// that another holds now is lost for good.
			if err := renew(context.WithoutCancel(ctx)); errors.Is(err, ErrLeaseLost) {
				lost = true
				renewals = nil
				cancel()
			}
		case <-cctx.Done():
			select {
			case err := <-result: // returned at the same moment
				return err
			default:
			}
			if lost {
				return fmt.Errorf("%w: %s event %s: its claim lapsed and another took it", ErrCallbackFailed, event.EventType(), event.EventID())
			}
			return fmt.Errorf("%w: %s event %s: did not return within %v", ErrCallbackFailed, event.EventType(), event.EventID(), h.callbackTimeout)
		}
	}
}

// recoverCall runs fn, turning an error or a panic into an ErrCallbackFailed.
func recoverCall(ctx context.Context, fn func(context.Context, Event) error, event Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s event %s: panic: %v\n%s", ErrCallbackFailed, event.EventType(), event.EventID(), p, debug.Stack())
		}
	}()
	if err := fn(ctx, event); err != nil {
		return fmt.Errorf("%w: %s event %s: %w", ErrCallbackFailed, event.EventType(), event.EventID(), err)
	}
	return nil
}
