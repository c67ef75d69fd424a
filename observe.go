package webhooks

import (
	"context"
	"fmt"
	"net/http"
)

// An Observer watches each delivery that a [Handler] works, step by step, for
// tracing and metrics, as net/http/httptrace's hooks watch a client's
// requests: the otelwebhooks module is one, for OpenTelemetry, and this
// package depends on no tracing library. [WithObserver] adds it to a
// Handler. [WithOutcomes] stays the simpler hook, for logs ([LogOutcomes])
// and counts.
//
// For each delivery, from [Handler.ServeHTTP], [Handler.Receive] or
// [Handler.Process], the Handler calls Start first, Step as the delivery
// passes each of its steps, and Done last. A delivery whose callback runs at
// once passes StepReceived, StepVerified, StepClaimed (with an idempotency
// store), StepCallbackStarted, StepRenewed (every third of the lease, while a
// callback runs longer than one, and while a slow store records the
// outcome), StepCallbackReturned and StepRecorded. A delivery stored in a
// [Queue] passes StepReceived, StepVerified and StepEnqueued; its job, which
// the Queue's worker passes to Process, passes StepCallbackStarted and
// StepCallbackReturned. A delivery goes no further than the step at which
// its result was decided: a rejected one stops after StepReceived, or before
// it if ServeHTTP refused it on its headers; a copy of one processed or in
// progress stops after StepVerified.
//
// An Observer must be safe for concurrent use, and quick: the answer waits
// for it. Its methods run on the delivery's goroutine, except Step for the
// two callback steps, which runs on the callback's, and for StepRenewed,
// which runs on the renewals'. A callback that passes its deadline, or whose
// claim is lost, reports StepCallbackReturned when it returns at last, after
// Done; so may a renewal while a slow store records the outcome.
type Observer interface {
	// Start is called when a delivery starts, before anything is done with
	// it, and returns the context that the rest of the delivery derives
	// from: the context of the Handler's calls of Step and Done, of the
	// idempotency store and the Queue, and of the callback. It may return
	// ctx itself.
	Start(ctx context.Context, s StartInfo) context.Context
	// Step is called when a delivery passes a step, and when a call of the
	// store or the Queue fails to pass one.
	Step(ctx context.Context, s StepInfo)
	// Done is called once what became of the delivery is decided. For
	// ServeHTTP and Receive, o is the Outcome that WithOutcomes sees, and
	// Done runs before the answer is written. For Process, Done runs once
	// the callback returned, and o has no Status: its Result is
	// ResultProcessed, ResultIgnored, ResultFailed or, for a body that does
	// not decode, ResultRejected, and its Err is Process's error.
	Done(ctx context.Context, o Outcome)
}

// StartInfo describes a delivery as it starts, for [Observer.Start].
type StartInfo struct {
	// Request is ServeHTTP's request, whose body is not read yet; it is nil
	// for Receive and Process.
	Request *http.Request
	// Header holds the delivery's headers, not verified yet; for Process,
	// those that the Queue stored.
	Header http.Header
	// Job is the delivery that a Queue's worker passed to Process, verified
	// when it was received; it is nil for ServeHTTP and Receive.
	Job *Delivery
}

// A Step is a step of a delivery, as [Observer.Step] is told of it.
type Step int

const (
	// StepReceived: the body is in hand, read by ServeHTTP or passed to
	// Receive.
	StepReceived Step = iota + 1
	// StepVerified: the signature and the timestamp are valid, and the
	// event is decoded.
	StepVerified
	// StepClaimed: the idempotency store granted the claim on the
	// webhook-id. A claim found in progress or processed reports no step.
	StepClaimed
	// StepCallbackStarted: the callback is called.
	StepCallbackStarted
	// StepRenewed: the claim was renewed. With [ErrLeaseLost], another took
	// it, and the callback's context is canceled.
	StepRenewed
	// StepCallbackReturned: the callback returned.
	StepCallbackReturned
	// StepRecorded: the store answered the record of what became of the
	// delivery: marked it processed, or released the claim of a failed one.
	// A callback that passed its deadline, or lost its claim, and still runs
	// is recorded once it returns, after Done, and reports no step.
	StepRecorded
	// StepEnqueued: the Queue stored the delivery as a job. A copy of a job
	// that the Queue holds already reports no step.
	StepEnqueued
)

// String returns the step's name, such as "verified".
func (s Step) String() string {
	switch s {
	case StepReceived:
		return "received"
	case StepVerified:
		return "verified"
	case StepClaimed:
		return "claimed"
	case StepCallbackStarted:
		return "callback started"
	case StepRenewed:
		return "renewed"
	case StepCallbackReturned:
		return "callback returned"
	case StepRecorded:
		return "recorded"
	case StepEnqueued:
		return "enqueued"
	}
	return fmt.Sprintf("Step(%d)", int(s))
}

// StepInfo describes a step of a delivery, for [Observer.Step].
type StepInfo struct {
	// Step is the step.
	Step Step
	// Event is the delivery's event, from StepVerified on; nil before.
	Event Event
	// Err is the error of the step's call, nil if it succeeded: the store's
	// for StepClaimed, StepRenewed and StepRecorded, and the Queue's for
	// StepEnqueued, as they returned it, so that the step was not passed;
	// the callback's for StepCallbackReturned, wrapped in
	// [ErrCallbackFailed].
	Err error
}

// WithObserver makes the Handler report every delivery that ServeHTTP,
// Receive and Process work to o, as it goes: see [Observer]. A Handler has
// one Observer; WithObserver panics if o is nil, and NewHandler if it is
// given a second one (an Observer can call others).
func WithObserver(o Observer) HandlerOption {
	if o == nil {
		panic("webhooks: WithObserver(nil)")
	}
	return func(h *Handler) {
		if h.observer != nil {
			panic("webhooks: a second WithObserver; pass one Observer that calls the others")
		}
		h.observer = o
	}
}

// observeStart tells the Handler's Observer, if any, that a delivery
// starts, and returns the delivery's context.
func (h *Handler) observeStart(ctx context.Context, s StartInfo) context.Context {
	if h.observer == nil {
		return ctx
	}
	return h.observer.Start(ctx, s)
}

// observeStep tells the Handler's Observer, if any, of a step.
func (h *Handler) observeStep(ctx context.Context, step Step, event Event, err error) {
	if h.observer != nil {
		h.observer.Step(ctx, StepInfo{Step: step, Event: event, Err: err})
	}
}

// observeDone tells the Handler's Observer, if any, what became of a
// delivery.
func (h *Handler) observeDone(ctx context.Context, o Outcome) {
	if h.observer != nil {
		h.observer.Done(ctx, o)
	}
}

// observeRenewals makes c report each renewal of the claim to the
// Handler's Observer, if any, as StepRenewed.
func (h *Handler) observeRenewals(ctx context.Context, c *claim, event Event) {
	if h.observer != nil {
		c.renewed = func(err error) { h.observeStep(ctx, StepRenewed, event, err) }
	}
}

// callback calls fn with event through recoverCall, between the callback
// steps.
func (h *Handler) callback(ctx context.Context, fn func(context.Context, Event) error, event Event) error {
	h.observeStep(ctx, StepCallbackStarted, event, nil)
	err := recoverCall(ctx, fn, event)
	h.observeStep(ctx, StepCallbackReturned, event, err)
	return err
}
