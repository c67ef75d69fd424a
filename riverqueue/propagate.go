package riverqueue

import "context"

// A Propagator carries a trace from the request that enqueues a delivery to
// the worker that processes its job: Inject writes what the request's
// context holds of it (such as W3C traceparent and tracestate) in the job's
// [Args.Trace], and Extract reads it back into the worker's context, before
// the Handler's Process. The otelwebhooks module's Observer is one, so that
// the span of a job links to the span of the request that enqueued it.
// Implementations must be safe for concurrent use.
type Propagator interface {
	// Inject writes what ctx carries of its trace into carrier, which is
	// empty, when a delivery is enqueued.
	Inject(ctx context.Context, carrier map[string]string)
	// Extract returns ctx with what carrier holds, as Inject wrote it, when
	// the delivery's job is worked.
	Extract(ctx context.Context, carrier map[string]string) context.Context
}

// WithPropagator makes the Queue carry each delivery's trace through its
// job with p; see [Propagator]. A job enqueued without a trace, or by a
// Queue without a Propagator, is worked without one. It panics if p is nil.
func WithPropagator(p Propagator) Option {
	if p == nil {
		panic("riverqueue: WithPropagator(nil)")
	}
	return func(c *config) { c.propagator = p }
}

// inject returns the trace of ctx for a job, or nil.
func (q *Queue[TTx]) inject(ctx context.Context) map[string]string {
	if q.propagator == nil {
		return nil
	}
	carrier := map[string]string{}
	q.propagator.Inject(ctx, carrier)
	if len(carrier) == 0 {
		return nil
	}
	return carrier
}

// extract returns ctx with the trace of a job, if it has one.
func (q *Queue[TTx]) extract(ctx context.Context, carrier map[string]string) context.Context {
	if q.propagator == nil || len(carrier) == 0 {
		return ctx
	}
	return q.propagator.Extract(ctx, carrier)
}
