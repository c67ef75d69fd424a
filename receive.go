package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
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
	ctx = h.observeStart(ctx, StartInfo{Header: headers})
	o := h.receive(ctx, body, headers)
	h.report(ctx, &o, start)
	return o
}

// report completes o and hands it to the outcomes function.
func (h *Handler) report(ctx context.Context, o *Outcome, start time.Time) {
	o.Duration = time.Since(start)
	h.observeDone(ctx, *o)
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
	h.observeStep(ctx, StepReceived, nil, nil)
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
	h.observeStep(ctx, StepVerified, event, nil)
	o := Outcome{DeliveryID: d.id, EventType: event.EventType(), EventID: event.EventID()}
	if h.queue != nil {
		// Every verified event, whatever callbacks this process has: the
		// workers, which may run elsewhere, decide.
		h.enqueue(ctx, &o, deliveryOf(d, headers), body, event)
		return o
	}
	fn := h.callbackFor(event)
	if fn == nil {
		o.Result, o.Status = ResultIgnored, http.StatusOK
		return o
	}
	h.process(context.WithValue(ctx, deliveryKey{}, deliveryOf(d, headers)), &o, fn, event)
	return o
}

// process calls fn for event once, unless the store says that the delivery
// was, or is being, processed, and sets o's result. The store is not told
// that the client went away: once verified, a delivery is processed and
// recorded, so that the copy OpenAI sends next finds it done.
func (h *Handler) process(ctx context.Context, o *Outcome, fn func(context.Context, Event) error, event Event) {
	deadline := time.Now().Add(h.callbackTimeout)
	if h.store == nil {
		_, err := h.call(ctx, fn, event, deadline, nil)
		h.settle(o, err)
		return
	}
	c := h.newClaim(o.DeliveryID)
	h.observeRenewals(ctx, c, event)
	status, err := c.claim(ctx)
	if err != nil || status == Claimed {
		h.observeStep(ctx, StepClaimed, event, err)
	}
	switch {
	case err != nil:
		o.Result, o.Status = ResultUnavailable, http.StatusServiceUnavailable
		o.Err = storeError(err, ErrStoreFull, "claiming %s", o.DeliveryID)
		return
	case status == Processed:
		o.Result, o.Status = ResultDuplicate, http.StatusOK
		return
	case status == InProgress:
		o.Result, o.Status = ResultInProgress, http.StatusConflict
		o.Err = fmt.Errorf("%w: %s", ErrInProgress, o.DeliveryID)
		return
	case status != Claimed:
		o.Result, o.Status = ResultUnavailable, http.StatusServiceUnavailable
		o.Err = fmt.Errorf("%w: claiming %s: unknown status %v", ErrStoreUnavailable, o.DeliveryID, status)
		return
	}
	running, err := h.call(ctx, fn, event, deadline, c)
	h.settle(o, err)
	if c.isLost() {
		o.StoreErr = fmt.Errorf("%w: %s: another replica may process it meanwhile", ErrLeaseLost, o.DeliveryID)
	}
	switch {
	case running != nil:
		// Past its deadline, or its claim lost, and still running: its
		// claim is kept, if it can be, until it returns, so that no copy
		// runs beside it, and its result is recorded then.
		go c.finishLate(context.WithoutCancel(ctx), running)
	case o.Result == ResultFailed:
		err := c.release(ctx)
		h.observeStep(ctx, StepRecorded, event, err)
		if err != nil && o.StoreErr == nil {
			o.StoreErr = storeError(err, nil, "releasing %s, whose claim now lapses within %v", o.DeliveryID, h.lease)
		}
	default:
		// Recorded even if the claim lapsed: the store marks it if nobody
		// took the claim since, and says ErrLeaseLost if another did.
		err := c.done(ctx)
		h.observeStep(ctx, StepRecorded, event, err)
		switch {
		case err != nil:
			// Processed: answering anything but 2xx would have it
			// processed again.
			o.StoreErr = storeError(err, ErrLeaseLost, "recording %s as processed; a copy may be processed again", o.DeliveryID)
		case c.isLost():
			o.StoreErr = nil // it lapsed, and nobody took it: recorded all the same
		}
	}
}

// storeError returns the error of a store call that failed, for Outcome.Err
// or Outcome.StoreErr, matching exactly one sentinel: pass (ErrStoreFull
// from Claim, ErrLeaseLost from Done) when the store's error matches it,
// [ErrStoreUnavailable] otherwise, with the store's error inside.
func storeError(err, pass error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if pass != nil && errors.Is(err, pass) {
		return fmt.Errorf("%w (%s)", pass, what)
	}
	return fmt.Errorf("%w: %s: %w", ErrStoreUnavailable, what, foreign(err))
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
// and returns its error, wrapped in ErrCallbackFailed, when it returns, when
// the deadline passes or when the claim c (if any) is lost, whichever is
// first; then it cancels fn's context. If fn has not returned by then,
// running delivers its error when it does. The claim is renewed meanwhile,
// on a goroutine of its own; it is lost when a renewal finds that another
// holds it, or when it lapses: a lease has passed since the last successful
// renewal.
func (h *Handler) call(ctx context.Context, fn func(context.Context, Event) error, event Event, deadline time.Time, c *claim) (running <-chan error, err error) {
	cctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	result := make(chan error, 1) // buffered: a callback past its deadline does not block
	go func() { result <- h.callback(cctx, fn, event) }()

	var lost <-chan struct{} // nil: no claim, never lost
	var lapse *time.Timer    // nil: the claim cannot lapse unnoticed
	if c != nil {
		lost = c.lost
		if !h.inlineStore { // a MemoryStore's renewals fail only when another holds the claim
			lapse = time.NewTimer(time.Until(c.expiry()))
			defer lapse.Stop()
		}
	}
	var lapsed <-chan time.Time
	if lapse != nil {
		lapsed = lapse.C
	}
	for {
		select {
		case err := <-result:
			return nil, err
		case <-lost:
			return h.lostClaim(result, event, "another holds it now")
		case <-lapsed:
			if rest := time.Until(c.expiry()); rest > 0 {
				lapse.Reset(rest)
				continue
			}
			c.lose()
			return h.lostClaim(result, event, fmt.Sprintf("it lapsed, %v after its last renewal", h.lease))
		case <-cctx.Done():
			return h.pastDeadline(result, event)
		}
	}
}

// pastDeadline returns the error of a callback whose deadline passed, or
// its own if it returned at the same moment.
func (h *Handler) pastDeadline(result <-chan error, event Event) (<-chan error, error) {
	select {
	case err := <-result:
		return nil, err
	default:
	}
	return result, fmt.Errorf("%w: %s event %s: did not return within %v", ErrCallbackFailed, event.EventType(), event.EventID(), h.callbackTimeout)
}

// lostClaim returns the error of a callback whose claim was lost, why, or
// its own if it returned at the same moment.
func (h *Handler) lostClaim(result <-chan error, event Event, why string) (<-chan error, error) {
	select {
	case err := <-result:
		return nil, err
	default:
	}
	return result, fmt.Errorf("%w: %s event %s: its claim was lost (%s), so its context was canceled", ErrCallbackFailed, event.EventType(), event.EventID(), why)
}

// recoverCall runs fn, turning an error or a panic into an ErrCallbackFailed.
func recoverCall(ctx context.Context, fn func(context.Context, Event) error, event Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s event %s: panic: %v\n%s", ErrCallbackFailed, event.EventType(), event.EventID(), p, debug.Stack())
		}
	}()
	if err := fn(ctx, event); err != nil {
		return fmt.Errorf("%w: %s event %s: %w", ErrCallbackFailed, event.EventType(), event.EventID(), foreign(err))
	}
	return nil
}
