// Package otelwebhooks exports what a [webhooks.Handler] does with each
// OpenAI webhook delivery to OpenTelemetry: a span per delivery, with an
// event at each step, and metrics. It hangs off the Handler's
// [webhooks.Observer] seam, one option, and, with a queue, off the
// riverqueue module's
// [github.com/go-openai-webhooks/webhooks/riverqueue.Propagator], one more,
// so that a queued job's span links to the span of the request that
// enqueued it:
//
//	obs, err := otelwebhooks.New() // the global TracerProvider and MeterProvider
//	queue, err := riverqueue.New(driver, riverqueue.WithWorkers(10), riverqueue.WithPropagator(obs))
//	err = obs.ObserveBacklog(queue) // the queue's depth and lag
//	handler := webhooks.NewHandler(verifier, nil, callbacks...,
//		webhooks.WithObserver(obs), webhooks.WithQueue(queue))
//
// Without a queue, the first line and webhooks.WithObserver(obs) are all.
// The root module depends on no part of OpenTelemetry, and this one on no
// part of River; [webhooks.LogOutcomes] stays the way to log deliveries
// without OpenTelemetry. For the HTTP server's own spans and http.server.*
// metrics, wrap the Handler with otelhttp as any other: the spans of this
// package nest under otelhttp's.
//
// # Spans
//
// ServeHTTP and Receive start a span "receive", named "receive
// batch.completed" once the event's type is known, of kind server (internal
// under another local span, such as otelhttp's). A webhook endpoint is
// public, so a trace context in the request's headers is linked to, not
// made the parent, as otelhttp's WithPublicEndpoint does. Process, which the
// queue's workers call, starts a span "process batch.completed" of kind
// consumer, linked to the span of the request that enqueued the job. The
// callback's context carries the span, so the callback's own spans and
// outgoing calls nest under it.
//
// Each step of the delivery is an event of its span, in order: received,
// verified, claimed, callback started, renewed, callback returned, recorded,
// or received, verified, enqueued and, in the job's span, callback started,
// callback returned; see [webhooks.Step]. A step whose call failed carries
// error.type and exception.message. Once the delivery's outcome is decided,
// its span has the attributes:
//
//	attribute                  value
//	messaging.system           "openai"
//	messaging.operation.name   "receive" (ServeHTTP, Receive) or "process" (Process)
//	messaging.operation.type   the same
//	messaging.message.id       the webhook-id, the same for every attempt
//	webhooks.event.type        the event's type, such as "batch.completed"
//	webhooks.event.id          the event's id
//	webhooks.result            the Result: "processed", "duplicate", "in progress", ...
//	webhooks.attempt           the queue's attempt at a job, from 1 (Process)
//	http.request.method        the request's method (ServeHTTP)
//	http.route                 the pattern of the ServeMux route (ServeHTTP)
//	http.response.status_code  the status answered (ServeHTTP, Receive)
//	error.type                 the Outcome's error, as its sentinel: "webhooks.ErrCallbackFailed"
//
// The Outcome's StoreErr, news from the idempotency store beside the
// result (a claim that was lost, a record that failed), is an exception
// event of the span, with its error.type. The span's status is Error for a
// delivery that failed or was unavailable (5xx), and for a job that failed;
// a rejected delivery (4xx) or one in progress (409) is not an error of the
// receiver, as OpenTelemetry's HTTP conventions say of server spans.
//
// # Metrics
//
//	name                        instrument     unit        attributes
//	webhooks.deliveries         Counter        {delivery}  messaging.operation.name, webhooks.result, webhooks.event.type, error.type
//	webhooks.receive.duration   Histogram      s           webhooks.result, webhooks.event.type
//	messaging.process.duration  Histogram      s           messaging.system, messaging.operation.name, webhooks.event.type, error.type
//	webhooks.callback.active    UpDownCounter  {callback}  messaging.operation.name, webhooks.event.type
//	webhooks.store.errors       Counter        {error}     webhooks.store.operation, error.type
//	webhooks.queue.jobs         Gauge          {job}       (none)
//	webhooks.queue.lag          Gauge          s           (none)
//
// webhooks.deliveries counts every delivery ServeHTTP, Receive (operation
// "receive") and Process (operation "process") finished.
// webhooks.receive.duration is how long ServeHTTP or Receive took to decide
// the answer, from the request's start. messaging.process.duration, of
// OpenTelemetry's messaging conventions, is how long each callback ran, at
// once (operation "receive") or in a job (operation "process"), to its
// return, also past its deadline; webhooks.callback.active counts the
// callbacks running. webhooks.store.errors counts the failed calls of the
// idempotency store (operation "claim", "renew" or "record") and of the
// queue ("enqueue"). webhooks.queue.jobs and webhooks.queue.lag, observed
// with [Observer.ObserveBacklog], are how many jobs wait for a worker and
// how long the oldest has waited. Attribute values that are not known, such
// as the event type of a request rejected before it was decoded, are left
// out.
package otelwebhooks

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/go-openai-webhooks/webhooks"
)

// ScopeName is the instrumentation scope of the spans and metrics.
const ScopeName = "github.com/go-openai-webhooks/webhooks/otelwebhooks"

// Attribute keys of this package, for what OpenTelemetry's conventions have
// no name for.
const (
	EventTypeKey      = attribute.Key("webhooks.event.type")
	EventIDKey        = attribute.Key("webhooks.event.id")
	ResultKey         = attribute.Key("webhooks.result")
	AttemptKey        = attribute.Key("webhooks.attempt")
	StoreOperationKey = attribute.Key("webhooks.store.operation")
)

// System is the messaging.system of the spans and metrics.
const System = "openai"

// Operation names: messaging.operation.name and messaging.operation.type.
const (
	opReceive = "receive"
	opProcess = "process"
)

// An Observer exports the deliveries of a Handler to OpenTelemetry: it is a
// [webhooks.Observer], for [webhooks.WithObserver], and a riverqueue
// Propagator, for riverqueue.WithPropagator. Create it with [New]; it is
// safe for concurrent use, and one Observer may serve several Handlers and
// queues.
type Observer struct {
	tracer      trace.Tracer
	propagator  propagation.TextMapPropagator
	deliveries  metric.Int64Counter
	receiveDur  metric.Float64Histogram
	processDur  metric.Float64Histogram
	active      metric.Int64UpDownCounter
	storeErrors metric.Int64Counter

	meter   metric.Meter
	backlog atomic.Bool // ObserveBacklog was called
}

var _ webhooks.Observer = (*Observer)(nil)

// An Option configures an [Observer] in [New].
type Option func(*config)

type config struct {
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	propagator propagation.TextMapPropagator
}

// WithTracerProvider sets the TracerProvider of the spans; the default is
// the global one, [otel.GetTracerProvider].
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider sets the MeterProvider of the metrics; the default is
// the global one, [otel.GetMeterProvider].
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithPropagators sets how a trace is written in a queued job and read back,
// and read from a request's headers to be linked to. The default is W3C
// Trace Context and Baggage, whatever the global propagator is: the job is
// written and read by this package alone.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.propagator = p }
}

// durationBuckets are the histograms' bucket boundaries, in seconds: those
// OpenTelemetry's conventions advise, and more for the work of a queue.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 300}

// New returns an Observer that exports to the providers of opts. It fails
// only if the MeterProvider refuses an instrument.
func New(opts ...Option) (*Observer, error) {
	c := config{
		tp:         otel.GetTracerProvider(),
		mp:         otel.GetMeterProvider(),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	for _, opt := range opts {
		opt(&c)
	}
	meter := c.mp.Meter(ScopeName)
	o := &Observer{tracer: c.tp.Tracer(ScopeName), propagator: c.propagator, meter: meter}
	var errs [5]error
	o.deliveries, errs[0] = meter.Int64Counter("webhooks.deliveries", metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries finished, by result."))
	o.receiveDur, errs[1] = meter.Float64Histogram("webhooks.receive.duration", metric.WithUnit("s"),
		metric.WithDescription("Time to decide the answer to a delivery."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	o.processDur, errs[2] = meter.Float64Histogram("messaging.process.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of processing operation."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	o.active, errs[3] = meter.Int64UpDownCounter("webhooks.callback.active", metric.WithUnit("{callback}"),
		metric.WithDescription("Callbacks running."))
	o.storeErrors, errs[4] = meter.Int64Counter("webhooks.store.errors", metric.WithUnit("{error}"),
		metric.WithDescription("Failed calls of the idempotency store and the queue."))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return o, nil
}

// A Backlog reports a queue's depth and lag: riverqueue's Queue is one.
type Backlog interface {
	// Backlog returns how many jobs wait for a worker, and how long the
	// oldest of them has waited.
	Backlog(ctx context.Context) (jobs int, wait time.Duration, err error)
}

// ObserveBacklog makes the Observer report b's depth and lag as the gauges
// webhooks.queue.jobs and webhooks.queue.lag, asking b at each collection of
// the metrics: with riverqueue, two queries of the database. When b fails,
// the gauges are not observed, and the collection returns b's error (a
// PeriodicReader hands it to OpenTelemetry's error handler). It fails only
// if the MeterProvider refuses an instrument. An Observer observes one
// backlog: the gauges have no attribute to tell two apart, so a second call
// panics.
func (o *Observer) ObserveBacklog(b Backlog) error {
	if b == nil {
		panic("otelwebhooks: ObserveBacklog(nil)")
	}
	if o.backlog.Swap(true) {
		panic("otelwebhooks: a second ObserveBacklog; an Observer reports one queue's backlog")
	}
	meter := o.meter
	jobs, err := meter.Int64ObservableGauge("webhooks.queue.jobs", metric.WithUnit("{job}"),
		metric.WithDescription("Jobs waiting for a worker."))
	if err != nil {
		return err
	}
	lag, err := meter.Float64ObservableGauge("webhooks.queue.lag", metric.WithUnit("s"),
		metric.WithDescription("How long the oldest job waiting for a worker has waited."))
	if err != nil {
		return err
	}
	_, err = meter.RegisterCallback(func(ctx context.Context, obs metric.Observer) error {
		n, wait, err := b.Backlog(ctx)
		if err != nil {
			return err
		}
		obs.ObserveInt64(jobs, int64(n))
		obs.ObserveFloat64(lag, wait.Seconds())
		return nil
	}, jobs, lag)
	return err
}
