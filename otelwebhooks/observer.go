package otelwebhooks

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/go-openai-webhooks/webhooks"
)

// delivery is what an Observer keeps of a delivery, in its context.
type delivery struct {
	span trace.Span
	op   string // opReceive or opProcess
	// callbackStart is when the callback was called: written and read on
	// the callback's goroutine only.
	callbackStart time.Time
}

type deliveryKey struct{}

// linkKey holds, in a job's context, the span context that Extract read.
type linkKey struct{}

// Start implements [webhooks.Observer]: it starts the delivery's span and
// returns a context that carries it.
func (o *Observer) Start(ctx context.Context, s webhooks.StartInfo) context.Context {
	d := &delivery{op: opReceive}
	kind := trace.SpanKindServer
	var links []trace.Link
	parent := trace.SpanContextFromContext(ctx)
	switch {
	case s.Job != nil:
		d.op, kind = opProcess, trace.SpanKindConsumer
		if link, ok := ctx.Value(linkKey{}).(trace.SpanContext); ok {
			links = append(links, trace.Link{SpanContext: link})
		}
	case parent.IsValid() && !parent.IsRemote():
		kind = trace.SpanKindInternal // under otelhttp's server span, say
	case !parent.IsValid():
		// A public endpoint: a trace context that the sender claims is
		// linked to, not trusted as the parent.
		if sc := o.remote(s.Header); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	ctx, d.span = o.tracer.Start(ctx, d.op, trace.WithSpanKind(kind), trace.WithLinks(links...))
	if d.span.IsRecording() {
		attrs := []attribute.KeyValue{semconv.MessagingSystemKey.String(System),
			semconv.MessagingOperationName(d.op), semconv.MessagingOperationTypeKey.String(d.op)}
		if s.Job != nil {
			attrs = append(attrs, semconv.MessagingMessageID(s.Job.ID), AttemptKey.Int(s.Job.Attempt))
		}
		if r := s.Request; r != nil {
			attrs = append(attrs, semconv.HTTPRequestMethodKey.String(method(r.Method)))
			if i := strings.IndexByte(r.Pattern, '/'); i >= 0 {
				attrs = append(attrs, semconv.HTTPRoute(r.Pattern[i:]))
			}
		}
		d.span.SetAttributes(attrs...)
	}
	return context.WithValue(ctx, deliveryKey{}, d)
}

// remote returns the span context that header carries, if any.
func (o *Observer) remote(header http.Header) trace.SpanContext {
	if header == nil {
		return trace.SpanContext{}
	}
	return trace.SpanContextFromContext(o.propagator.Extract(context.Background(), propagation.HeaderCarrier(header)))
}

// storeOperations are the webhooks.store.operation of the steps that call
// the store or the queue.
var storeOperations = map[webhooks.Step]string{
	webhooks.StepClaimed:  "claim",
	webhooks.StepRenewed:  "renew",
	webhooks.StepRecorded: "record",
	webhooks.StepEnqueued: "enqueue",
}

// Step implements [webhooks.Observer]: it adds the step's event to the
// delivery's span, counts a failed call of the store or the queue, and
// measures the callback.
func (o *Observer) Step(ctx context.Context, s webhooks.StepInfo) {
	d, ok := ctx.Value(deliveryKey{}).(*delivery)
	if !ok {
		return
	}
	if d.span.IsRecording() {
		if s.Err != nil {
			d.span.AddEvent(s.Step.String(), trace.WithAttributes(errorType(s.Err), semconv.ExceptionMessage(s.Err.Error())))
		} else {
			d.span.AddEvent(s.Step.String())
		}
	}
	switch s.Step {
	case webhooks.StepCallbackStarted:
		d.callbackStart = time.Now()
		if o.active.Enabled(ctx) {
			o.active.Add(ctx, 1, metric.WithAttributes(semconv.MessagingOperationName(d.op), eventType(s.Event)))
		}
	case webhooks.StepCallbackReturned:
		if o.processDur.Enabled(ctx) {
			attrs := []attribute.KeyValue{semconv.MessagingSystemKey.String(System), semconv.MessagingOperationName(d.op), eventType(s.Event)}
			if s.Err != nil {
				attrs = append(attrs, errorType(s.Err))
			}
			o.processDur.Record(ctx, time.Since(d.callbackStart).Seconds(), metric.WithAttributes(attrs...))
		}
		// Last: once no callback is active, every duration is recorded.
		if o.active.Enabled(ctx) {
			o.active.Add(ctx, -1, metric.WithAttributes(semconv.MessagingOperationName(d.op), eventType(s.Event)))
		}
	default:
		if op, ok := storeOperations[s.Step]; ok && s.Err != nil {
			o.storeErrors.Add(ctx, 1, metric.WithAttributes(StoreOperationKey.String(op), errorType(s.Err)))
		}
	}
}

// Done implements [webhooks.Observer]: it counts the delivery, completes
// its span with the outcome and ends it.
func (o *Observer) Done(ctx context.Context, out webhooks.Outcome) {
	d, ok := ctx.Value(deliveryKey{}).(*delivery)
	if !ok {
		return
	}
	var typ, errType attribute.KeyValue
	if out.EventType != "" {
		typ = EventTypeKey.String(string(out.EventType))
	}
	if out.Err != nil {
		errType = errorType(out.Err)
	}
	result := ResultKey.String(out.Result.String())
	if d.op == opReceive && o.receiveDur.Enabled(ctx) {
		o.receiveDur.Record(ctx, out.Duration.Seconds(), metric.WithAttributes(known(result, typ)...))
	}
	if o.deliveries.Enabled(ctx) {
		o.deliveries.Add(ctx, 1, metric.WithAttributes(known(result, typ, errType, semconv.MessagingOperationName(d.op))...))
	}
	if !d.span.IsRecording() {
		d.span.End()
		return
	}
	var id, eventID, status attribute.KeyValue
	if out.DeliveryID != "" {
		id = semconv.MessagingMessageID(out.DeliveryID)
	}
	if out.EventID != "" {
		eventID = EventIDKey.String(out.EventID)
	}
	if out.Status != 0 {
		status = semconv.HTTPResponseStatusCode(out.Status)
	}
	d.span.SetAttributes(known(result, typ, errType, id, eventID, status)...)
	if out.EventType != "" {
		d.span.SetName(d.op + " " + string(out.EventType))
	}
	if out.StoreErr != nil {
		d.span.RecordError(out.StoreErr, trace.WithAttributes(errorType(out.StoreErr)))
	}
	if out.Status >= http.StatusInternalServerError || (d.op == opProcess && out.Err != nil) {
		d.span.SetStatus(codes.Error, out.Err.Error())
	}
	d.span.End()
}

// known returns the attributes of attrs that are set.
func known(attrs ...attribute.KeyValue) []attribute.KeyValue {
	return slices.DeleteFunc(attrs, func(a attribute.KeyValue) bool { return !a.Valid() })
}

// Inject writes the trace of ctx into carrier, for a queued job: with
// riverqueue.WithPropagator, the Queue calls it as it enqueues a delivery.
func (o *Observer) Inject(ctx context.Context, carrier map[string]string) {
	o.propagator.Inject(ctx, propagation.MapCarrier(carrier))
}

// Extract returns ctx with the trace that Inject wrote in carrier: the span
// that Start begins for the job links to it, and its baggage is ctx's.
// With riverqueue.WithPropagator, the Queue's worker calls it before
// Process.
func (o *Observer) Extract(ctx context.Context, carrier map[string]string) context.Context {
	enqueued := o.propagator.Extract(context.Background(), propagation.MapCarrier(carrier))
	if sc := trace.SpanContextFromContext(enqueued); sc.IsValid() {
		ctx = context.WithValue(ctx, linkKey{}, sc)
	}
	if b := baggage.FromContext(enqueued); b.Len() > 0 {
		ctx = baggage.ContextWithBaggage(ctx, b)
	}
	return ctx
}

// eventType returns the webhooks.event.type of e, empty if e is nil.
func eventType(e webhooks.Event) attribute.KeyValue {
	if e == nil {
		return EventTypeKey.String("")
	}
	return EventTypeKey.String(string(e.EventType()))
}

// method returns the http.request.method of m: one of the methods HTTP
// defines, or "_OTHER".
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// sentinels name the errors of the webhooks package for error.type, outer
// ones first: ErrStoreUnavailable wraps the store's own errors.
var sentinels = []struct {
	err  error
	name string
}{
	{webhooks.ErrCallbackFailed, "webhooks.ErrCallbackFailed"},
	{webhooks.ErrStoreUnavailable, "webhooks.ErrStoreUnavailable"},
	{webhooks.ErrQueueUnavailable, "webhooks.ErrQueueUnavailable"},
	{webhooks.ErrInProgress, "webhooks.ErrInProgress"},
	{webhooks.ErrMethodNotAllowed, "webhooks.ErrMethodNotAllowed"},
	{webhooks.ErrBodyTooLarge, "webhooks.ErrBodyTooLarge"},
	{webhooks.ErrBodyUnreadable, "webhooks.ErrBodyUnreadable"},
	{webhooks.ErrMissingHeader, "webhooks.ErrMissingHeader"},
	{webhooks.ErrInvalidHeader, "webhooks.ErrInvalidHeader"},
	{webhooks.ErrInvalidSignature, "webhooks.ErrInvalidSignature"},
	{webhooks.ErrTimestampTooOld, "webhooks.ErrTimestampTooOld"},
	{webhooks.ErrTimestampTooNew, "webhooks.ErrTimestampTooNew"},
	{webhooks.ErrInvalidPayload, "webhooks.ErrInvalidPayload"},
	{webhooks.ErrLeaseLost, "webhooks.ErrLeaseLost"},
	{webhooks.ErrStoreFull, "webhooks.ErrStoreFull"},
	{context.DeadlineExceeded, "context.DeadlineExceeded"},
	{context.Canceled, "context.Canceled"},
}

// errorType returns the error.type of err: the name of the first sentinel it
// matches, or "_OTHER".
func errorType(err error) attribute.KeyValue {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return semconv.ErrorTypeKey.String(s.name)
		}
	}
	return semconv.ErrorTypeOther
}
