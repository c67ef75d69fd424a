package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Result says what became of a delivery: see [Outcome].
type Result int

const (
	// ResultProcessed: the callback returned nil; the answer is 200.
	ResultProcessed Result = iota + 1
	// ResultDuplicate: a delivery of the same webhook-id was processed
	// before; the callback was not called again, and the answer is 200.
	ResultDuplicate
	// ResultIgnored: the event's type has no callback and there is no
	// fallback; the answer is 200.
	ResultIgnored
	// ResultInProgress: a delivery of the same webhook-id is being processed
	// right now, here or at another replica; the answer is 409, so that
	// OpenAI sends it again later.
	ResultInProgress
	// ResultRejected: the request is not a valid delivery (its method, size,
	// headers, signature, timestamp or payload); the answer is 400, 405 or
	// 413, and the error says which.
	ResultRejected
	// ResultFailed: the callback returned an error, panicked or ran past its
	// deadline; the answer is 500, so that OpenAI sends it again.
	ResultFailed
	// ResultUnavailable: the idempotency store or the queue failed or is
	// full, and the callback was not called; the answer is 503, so that
	// OpenAI sends it again.
	ResultUnavailable
	// ResultEnqueued: the delivery is stored in the Handler's queue (see
	// [WithQueue]), committed, to be processed later; the answer is 200.
	ResultEnqueued
)

// String returns the result's name, such as "processed".
func (r Result) String() string {
	switch r {
	case ResultProcessed:
		return "processed"
	case ResultDuplicate:
		return "duplicate"
	case ResultIgnored:
		return "ignored"
	case ResultInProgress:
		return "in progress"
	case ResultRejected:
		return "rejected"
	case ResultFailed:
		return "failed"
	case ResultUnavailable:
		return "unavailable"
	case ResultEnqueued:
		return "enqueued"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// An Outcome is what a [Handler] did with one delivery, and what to answer.
// [Handler.Receive] returns it; [WithOutcomes] receives every one, from
// ServeHTTP too.
type Outcome struct {
	// Result says what became of the delivery.
	Result Result
	// Status is the HTTP status to answer.
	Status int
	// DeliveryID is the webhook-id header, if the delivery had one.
	DeliveryID string
	// EventType and EventID are the event's, if it was decoded.
	EventType EventType
	EventID   string
	// Err says why, for the results that are not answered 200; it is nil
	// for the others. It matches exactly one sentinel error of this package:
	// one of [Verifier.Unwrap]'s for ResultRejected (or [ErrMethodNotAllowed],
	// [ErrBodyTooLarge], [ErrBodyUnreadable]), [ErrInProgress] for
	// ResultInProgress, [ErrCallbackFailed] for ResultFailed, and
	// [ErrStoreUnavailable], [ErrStoreFull] or [ErrQueueUnavailable] for
	// ResultUnavailable.
	Err error
	// StoreErr is news from the idempotency store beside the result, and
	// matches exactly one sentinel: [ErrLeaseLost] when the claim was lost
	// (it lapsed without a successful renewal, or another replica took it),
	// so that the delivery may be processed twice, once here and once there;
	// [ErrStoreUnavailable], wrapping the store's error, when recording a
	// processed delivery failed (a copy of it may then be processed again)
	// or releasing the claim of a failed one did (its next copy then waits
	// for the claim to lapse, within one lease). It is nil when the store
	// did its part.
	StoreErr error
	// Duration is how long the delivery took, from receiving its body to
	// deciding the answer.
	Duration time.Duration
}

// LogOutcomes returns a function for [WithOutcomes] that logs every outcome
// to logger: ResultProcessed, ResultEnqueued, ResultDuplicate, ResultIgnored
// and ResultInProgress (a copy that OpenAI sends again) at level Info,
// ResultRejected at Warn, ResultFailed and ResultUnavailable at Error, any
// outcome with a StoreErr at least at Warn, and one whose StoreErr matches
// [ErrLeaseLost] (it may be processed twice) at Error.
// The attributes are result, status, webhook_id, event_type, event_id,
// duration, and error and store_error when set; none holds the secret or a
// signature.
func LogOutcomes(logger *slog.Logger) func(context.Context, Outcome) {
	return func(ctx context.Context, o Outcome) {
		level := slog.LevelInfo
		switch o.Result {
		case ResultRejected:
			level = slog.LevelWarn
		case ResultFailed, ResultUnavailable:
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("result", o.Result.String()),
			slog.Int("status", o.Status),
			slog.String("webhook_id", o.DeliveryID),
			slog.String("event_type", string(o.EventType)),
			slog.String("event_id", o.EventID),
			slog.Duration("duration", o.Duration),
		}
		if o.Err != nil {
			attrs = append(attrs, slog.String("error", o.Err.Error()))
		}
		if o.StoreErr != nil {
			attrs = append(attrs, slog.String("store_error", o.StoreErr.Error()))
			level = max(level, slog.LevelWarn)
			if errors.Is(o.StoreErr, ErrLeaseLost) {
				level = slog.LevelError
			}
		}
		logger.LogAttrs(ctx, level, "webhook delivery", attrs...)
	}
}
