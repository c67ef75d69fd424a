package otelwebhooks_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/otelwebhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// telemetry is an Observer that exports to memory.
type telemetry struct {
	obs    *otelwebhooks.Observer
	tp     *sdktrace.TracerProvider
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
}

func newTelemetry(t *testing.T, opts ...otelwebhooks.Option) *telemetry {
	t.Helper()
	tm := &telemetry{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tm.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tm.spans))
	obs, err := otelwebhooks.New(append([]otelwebhooks.Option{
		otelwebhooks.WithTracerProvider(tm.tp),
		otelwebhooks.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(tm.reader))),
	}, opts...)...)
	require.NoError(t, err)
	tm.obs = obs
	return tm
}

// metrics returns the data points collected, as points prints them: by
// "name{key=value,...}".
func (tm *telemetry) metrics() map[string]string {
	return byKey(points(tm.reader))
}

// byKey returns the values of points by their keys.
func byKey(points []string) map[string]string {
	m := map[string]string{}
	for _, p := range points {
		i := strings.LastIndexByte(p, ' ')
		m[p[:i]] = p[i+1:]
	}
	return m
}

// point returns the key of a data point of name with attrs, as metrics has
// it.
func point(name string, attrs ...string) string {
	attrs = slices.Clone(attrs)
	slices.Sort(attrs)
	return name + "{" + strings.Join(attrs, ",") + "}"
}

// Attributes of the data points, as point takes them.
const (
	recv = "messaging.operation.name=receive"
	proc = "messaging.operation.name=process"
	sys  = "messaging.system=openai"
	typ  = "webhooks.event.type=batch.completed"
)

// events returns the names of s's events, each with the error.type it
// carries, if any: "claimed [webhooks.ErrStoreFull]".
func events(s sdktrace.ReadOnlySpan) []string {
	var names []string
	for _, e := range s.Events() {
		name := e.Name
		for _, a := range e.Attributes {
			if a.Key == "error.type" {
				name += " [" + a.Value.String() + "]"
			}
		}
		names = append(names, name)
	}
	return names
}

// attributes returns s's attributes as strings.
func attributes(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, a := range s.Attributes() {
		m[string(a.Key)] = a.Value.String()
	}
	return m
}

// memQueue keeps jobs in memory, with the trace that the Observer writes in
// them, as riverqueue does in a database with WithPropagator.
type memQueue struct {
	obs  *otelwebhooks.Observer
	fail error

	mu   sync.Mutex
	jobs []job
}

type job struct {
	d     webhooks.Delivery
	body  []byte
	trace map[string]string
}

func (q *memQueue) Enqueue(ctx context.Context, d webhooks.Delivery, body []byte, _ webhooks.Event) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return false, q.fail
	}
	carrier := map[string]string{}
	q.obs.Inject(ctx, carrier)
	q.jobs = append(q.jobs, job{d, body, carrier})
	return true, nil
}

// work passes each job to h as riverqueue's worker does, as its attempt.
func (q *memQueue) work(h *webhooks.Handler, attempt int) {
	q.mu.Lock()
	jobs := slices.Clone(q.jobs)
	q.mu.Unlock()
	for _, j := range jobs {
		d := j.d
		d.Attempt = attempt
		_ = h.Process(q.obs.Extract(context.Background(), j.trace), d, j.body)
	}
}

// wantSpan is what a test expects of a span.
type wantSpan struct {
	name   string
	kind   trace.SpanKind
	status codes.Code
	events []string
	attrs  map[string]string // some of its attributes; an empty value: absent
}

// TestObserver serves one delivery of each kind through a ServeMux, and
// works the queued ones as a queue's worker does, then checks every span,
// with its events, attributes and links, and every metric data point.
func TestObserver(t *testing.T) {
	secret := webhookstest.NewSecret()
	body := webhookstest.Sample(webhooks.EventTypeBatchCompleted)
	event, err := webhooks.ParseEvent(body)
	require.NoError(t, err)
	eventID := event.EventID()
	down := errors.New("connection refused")
	request := func(opts ...webhookstest.Option) *http.Request {
		return webhookstest.NewRequest(secret, body, append([]webhookstest.Option{
			webhookstest.WithID("wh_1"), webhookstest.WithTarget("/webhooks/openai")}, opts...)...)
	}
	store := func(status webhooks.ClaimStatus) webhooks.HandlerOption {
		s := webhooks.NewMemoryStore(0)
		var err error
		if status == webhooks.Processed {
			err = s.Done(context.Background(), "wh_1", "another", time.Hour)
		} else {
			_, err = s.Claim(context.Background(), "wh_1", "another", time.Hour)
		}
		require.NoError(t, err)
		return webhooks.WithIdempotencyStore(s)
	}
	faulty := func(f func(s *webhookstest.FaultyStore)) webhooks.HandlerOption {
		s := webhookstest.FaultyStore{IdempotencyStore: webhooks.NewMemoryStore(0)}
		f(&s)
		return webhooks.WithIdempotencyStore(s)
	}
	callbackFails := func(context.Context) error { return errors.New("database down") }
	late := make(chan struct{})
	returnsLate := func(context.Context) error { <-late; return nil } // whatever its context says
	received := []string{"received", "verified", "claimed", "callback started", "callback returned", "recorded"}
	processed := map[string]string{
		"webhooks.result": "processed", "http.response.status_code": "200", "http.request.method": "POST",
		"http.route": "/webhooks/openai", "messaging.message.id": "wh_1", "webhooks.event.type": "batch.completed",
		"webhooks.event.id": eventID, "messaging.system": "openai", "messaging.operation.name": "receive",
		"error.type": "",
	}
	with := func(m map[string]string, kv ...string) map[string]string {
		m = maps.Clone(m)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	enqueued := wantSpan{"receive batch.completed", trace.SpanKindServer, codes.Unset,
		[]string{"received", "verified", "enqueued"}, with(processed, "webhooks.result", "enqueued")}
	enqueuedMetrics := map[string]string{
		point("webhooks.deliveries", recv, typ, "webhooks.result=enqueued"):  "1",
		point("webhooks.receive.duration", typ, "webhooks.result=enqueued"):  "1",
		point("webhooks.callback.active", proc, typ):                         "0",
		point("messaging.process.duration", proc, sys, typ):                  "1",
		point("webhooks.deliveries", proc, typ, "webhooks.result=processed"): "1",
	}

	tests := []struct {
		name        string
		request     *http.Request
		callback    func(ctx context.Context) error // nil: succeeds
		release     chan struct{}                   // closed once the answer is written, for a callback that waits for it
		opts        []webhooks.HandlerOption
		queue       *memQueue // nil: none
		work        int       // the attempt at which the queue's jobs are worked; 0: not worked
		wantSpans   []wantSpan
		wantMetrics map[string]string // every data point
	}{
		{
			name: "processed", request: request(),
			wantSpans: []wantSpan{{"receive batch.completed", trace.SpanKindServer, codes.Unset, received, processed}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=processed"): "1",
				point("webhooks.receive.duration", typ, "webhooks.result=processed"): "1",
				point("messaging.process.duration", recv, sys, typ):                  "1",
				point("webhooks.callback.active", recv, typ):                         "0",
			},
		},
		{
			name: "duplicate", request: request(), opts: []webhooks.HandlerOption{store(webhooks.Processed)},
			wantSpans: []wantSpan{{"receive batch.completed", trace.SpanKindServer, codes.Unset,
				[]string{"received", "verified"}, with(processed, "webhooks.result", "duplicate")}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=duplicate"): "1",
				point("webhooks.receive.duration", typ, "webhooks.result=duplicate"): "1",
			},
		},
		{
			name: "in progress", request: request(), opts: []webhooks.HandlerOption{store(webhooks.InProgress)},
			wantSpans: []wantSpan{{"receive batch.completed", trace.SpanKindServer, codes.Unset, []string{"received", "verified"},
				with(processed, "webhooks.result", "in progress", "http.response.status_code", "409", "error.type", "webhooks.ErrInProgress")}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=in progress", "error.type=webhooks.ErrInProgress"): "1",
				point("webhooks.receive.duration", typ, "webhooks.result=in progress"):                                      "1",
			},
		},
		{
			name: "rejected: bad signature", request: webhookstest.NewRequest(webhookstest.NewSecret(), body,
				webhookstest.WithID("wh_1"), webhookstest.WithTarget("/webhooks/openai")),
			wantSpans: []wantSpan{{"receive", trace.SpanKindServer, codes.Unset, []string{"received"},
				with(processed, "webhooks.result", "rejected", "http.response.status_code", "400", "error.type", "webhooks.ErrInvalidSignature",
					"webhooks.event.type", "", "webhooks.event.id", "")}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, "webhooks.result=rejected", "error.type=webhooks.ErrInvalidSignature"): "1",
				point("webhooks.receive.duration", "webhooks.result=rejected"):                                            "1",
			},
		},
		{
			name: "rejected before the body: too old", request: request(webhookstest.WithTimestamp(time.Now().Add(-time.Hour))),
			wantSpans: []wantSpan{{"receive", trace.SpanKindServer, codes.Unset, nil,
				with(processed, "webhooks.result", "rejected", "http.response.status_code", "400", "error.type", "webhooks.ErrTimestampTooOld",
					"webhooks.event.type", "", "webhooks.event.id", "")}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, "webhooks.result=rejected", "error.type=webhooks.ErrTimestampTooOld"): "1",
				point("webhooks.receive.duration", "webhooks.result=rejected"):                                           "1",
			},
		},
		{
			name: "failed", request: request(), callback: callbackFails,
			wantSpans: []wantSpan{{"receive batch.completed", trace.SpanKindServer, codes.Error,
				[]string{"received", "verified", "claimed", "callback started", "callback returned [webhooks.ErrCallbackFailed]", "recorded"},
				with(processed, "webhooks.result", "failed", "http.response.status_code", "500", "error.type", "webhooks.ErrCallbackFailed")}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=failed", "error.type=webhooks.ErrCallbackFailed"): "1",
				point("webhooks.receive.duration", typ, "webhooks.result=failed"):                                          "1",
				point("messaging.process.duration", recv, sys, typ, "error.type=webhooks.ErrCallbackFailed"):               "1",
				point("webhooks.callback.active", recv, typ):                                                               "0",
			},
		},
		{
			name: "failed: the claim is lost, and the callback returns after the answer", request: request(),
			callback: returnsLate, release: late,
			opts: []webhooks.HandlerOption{webhooks.WithLease(900 * time.Millisecond), webhooks.WithCallbackTimeout(time.Minute), // renewed at 300 ms, lapses at 900
				faulty(func(s *webhookstest.FaultyStore) { s.RenewFault.Err = webhooks.ErrLeaseLost })},
			wantSpans: []wantSpan{{"receive batch.completed", trace.SpanKindServer, codes.Error,
				[]string{"received", "verified", "claimed", "callback started", "renewed [webhooks.ErrLeaseLost]", "exception [webhooks.ErrLeaseLost]"},
				with(processed, "webhooks.result", "failed", "http.response.status_code", "500", "error.type", "webhooks.ErrCallbackFailed")}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=failed", "error.type=webhooks.ErrCallbackFailed"): "1",
				point("webhooks.receive.duration", typ, "webhooks.result=failed"):                                          "1",
				point("messaging.process.duration", recv, sys, typ):                                                        "1",
				point("webhooks.callback.active", recv, typ):                                                               "0",
				point("webhooks.store.errors", "webhooks.store.operation=renew", "error.type=webhooks.ErrLeaseLost"):       "1",
			},
		},
		{
			name: "unavailable: the store fails", request: request(),
			opts: []webhooks.HandlerOption{faulty(func(s *webhookstest.FaultyStore) { s.ClaimFault.Err = down })},
			wantSpans: []wantSpan{{"receive batch.completed", trace.SpanKindServer, codes.Error, []string{"received", "verified", "claimed [_OTHER]"},
				with(processed, "webhooks.result", "unavailable", "http.response.status_code", "503", "error.type", "webhooks.ErrStoreUnavailable")}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=unavailable", "error.type=webhooks.ErrStoreUnavailable"): "1",
				point("webhooks.receive.duration", typ, "webhooks.result=unavailable"):                                            "1",
				point("webhooks.store.errors", "webhooks.store.operation=claim", "error.type=_OTHER"):                             "1",
			},
		},
		{
			name: "processed, but recording fails", request: request(),
			opts: []webhooks.HandlerOption{faulty(func(s *webhookstest.FaultyStore) { s.DoneFault.Err = down })},
			wantSpans: []wantSpan{{"receive batch.completed", trace.SpanKindServer, codes.Unset,
				append(received[:5:5], "recorded [_OTHER]", "exception [webhooks.ErrStoreUnavailable]"), processed}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=processed"):                   "1",
				point("webhooks.receive.duration", typ, "webhooks.result=processed"):                   "1",
				point("messaging.process.duration", recv, sys, typ):                                    "1",
				point("webhooks.callback.active", recv, typ):                                           "0",
				point("webhooks.store.errors", "webhooks.store.operation=record", "error.type=_OTHER"): "1",
			},
		},
		{
			name: "enqueued", request: request(), queue: &memQueue{},
			wantSpans: []wantSpan{enqueued},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=enqueued"): "1",
				point("webhooks.receive.duration", typ, "webhooks.result=enqueued"): "1",
			},
		},
		{
			name: "unavailable: the queue fails", request: request(), queue: &memQueue{fail: down},
			wantSpans: []wantSpan{{"receive batch.completed", trace.SpanKindServer, codes.Error, []string{"received", "verified", "enqueued [_OTHER]"},
				with(processed, "webhooks.result", "unavailable", "http.response.status_code", "503", "error.type", "webhooks.ErrQueueUnavailable")}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=unavailable", "error.type=webhooks.ErrQueueUnavailable"): "1",
				point("webhooks.receive.duration", typ, "webhooks.result=unavailable"):                                            "1",
				point("webhooks.store.errors", "webhooks.store.operation=enqueue", "error.type=_OTHER"):                           "1",
			},
		},
		{
			name: "enqueued, then worked", request: request(), queue: &memQueue{}, work: 1,
			wantSpans: []wantSpan{enqueued, {"process batch.completed", trace.SpanKindConsumer, codes.Unset,
				[]string{"callback started", "callback returned"},
				map[string]string{"webhooks.result": "processed", "messaging.message.id": "wh_1", "webhooks.attempt": "1",
					"webhooks.event.type": "batch.completed", "webhooks.event.id": eventID, "messaging.operation.name": "process",
					"messaging.operation.type": "process", "messaging.system": "openai", "http.response.status_code": "", "error.type": ""}}},
			wantMetrics: enqueuedMetrics,
		},
		{
			name: "enqueued, then worked and failed", request: request(), callback: callbackFails, queue: &memQueue{}, work: 2,
			wantSpans: []wantSpan{enqueued, {"process batch.completed", trace.SpanKindConsumer, codes.Error,
				[]string{"callback started", "callback returned [webhooks.ErrCallbackFailed]"},
				map[string]string{"webhooks.result": "failed", "webhooks.attempt": "2", "error.type": "webhooks.ErrCallbackFailed"}}},
			wantMetrics: map[string]string{
				point("webhooks.deliveries", recv, typ, "webhooks.result=enqueued"):                                        "1",
				point("webhooks.receive.duration", typ, "webhooks.result=enqueued"):                                        "1",
				point("webhooks.callback.active", proc, typ):                                                               "0",
				point("messaging.process.duration", proc, sys, typ, "error.type=webhooks.ErrCallbackFailed"):               "1",
				point("webhooks.deliveries", proc, typ, "webhooks.result=failed", "error.type=webhooks.ErrCallbackFailed"): "1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := newTelemetry(t)
			verifier, err := webhooks.NewVerifier(secret)
			require.NoError(t, err)
			callback := tt.callback
			if callback == nil {
				callback = func(context.Context) error { return nil }
			}
			opts := append([]webhooks.HandlerOption{webhooks.WithObserver(tm.obs)}, tt.opts...)
			if tt.queue != nil {
				tt.queue.obs = tm.obs
				opts = append(opts, webhooks.WithQueue(tt.queue))
			}
			h := webhooks.NewHandler(verifier, nil, append(opts, webhooks.On(func(ctx context.Context, _ webhooks.BatchCompletedWebhookEvent) error {
				return callback(ctx)
			}))...)
			mux := http.NewServeMux()
			mux.Handle("/webhooks/openai", h)
			mux.ServeHTTP(httptest.NewRecorder(), tt.request)
			if tt.work > 0 {
				tt.queue.work(h, tt.work)
			}
			if tt.release != nil {
				active := point("webhooks.callback.active", recv, typ)
				assert.Equal(t, "1", tm.metrics()[active], "a callback past the answer is running")
				close(tt.release)
				require.Eventually(t, func() bool { return tm.metrics()[active] == "0" }, 5*time.Second, time.Millisecond)
			}

			spans := tm.spans.Ended()
			require.Len(t, spans, len(tt.wantSpans))
			for i, want := range tt.wantSpans {
				s := spans[i]
				assert.Equal(t, want.name, s.Name(), "span %d", i)
				assert.Equal(t, want.kind, s.SpanKind(), "span %d: got %v, want %v", i, s.SpanKind(), want.kind)
				assert.Equal(t, want.status, s.Status().Code, "span %d: got status %v, want %v", i, s.Status().Code, want.status)
				assert.Equal(t, want.events, events(s), "span %d", i)
				got := attributes(s)
				for k, v := range want.attrs {
					if v == "" {
						assert.NotContains(t, got, k, "span %d", i)
					} else {
						assert.Equal(t, v, got[k], "span %d: %s", i, k)
					}
				}
			}
			if tt.work > 0 {
				receive, process := spans[0], spans[1]
				require.Len(t, process.Links(), 1, "a job's span links to the request's")
				assert.Equal(t, receive.SpanContext(), process.Links()[0].SpanContext.WithRemote(false))
				assert.False(t, process.Parent().IsValid(), "a job's span starts a trace of its own")
			} else {
				assert.Empty(t, spans[0].Links())
			}

			assert.Equal(t, tt.wantMetrics, tm.metrics())
		})
	}
}

// TestSpanParents checks where a delivery's span sits in its trace: under
// the caller's span (otelhttp's, say), linked to a trace context that a
// request claims, and above the callback's own spans.
func TestSpanParents(t *testing.T) {
	secret := webhookstest.NewSecret()
	body := webhookstest.Sample(webhooks.EventTypeBatchCompleted)
	claimed := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled,
	})
	tests := []struct {
		name        string
		underSpan   bool // the request's context holds a span of the caller's
		traceparent string
		receive     bool // Receive, not ServeHTTP
		wantKind    trace.SpanKind
		wantLinked  bool // to the trace context the request claims
	}{
		{"a request alone", false, "", false, trace.SpanKindServer, false},
		{"under the caller's span", true, "", false, trace.SpanKindInternal, false},
		{"a request that claims a trace: linked, not its child", false, "00-01000000000000000000000000000000-0200000000000000-01", false,
			trace.SpanKindServer, true},
		{"under the caller's span, with a claimed trace: the caller's child only", true, "00-01000000000000000000000000000000-0200000000000000-01", false,
			trace.SpanKindInternal, false},
		{"Receive", false, "", true, trace.SpanKindServer, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := newTelemetry(t)
			verifier, err := webhooks.NewVerifier(secret)
			require.NoError(t, err)
			h := webhooks.NewHandler(verifier, func(ctx context.Context, _ webhooks.Event) error {
				_, span := tm.tp.Tracer("user").Start(ctx, "the callback's work")
				span.End()
				return nil
			}, webhooks.WithObserver(tm.obs))
			ctx := context.Background()
			var caller trace.Span
			if tt.underSpan {
				ctx, caller = tm.tp.Tracer("caller").Start(ctx, "POST /webhooks/openai", trace.WithSpanKind(trace.SpanKindServer))
			}
			req := webhookstest.NewRequest(secret, body).WithContext(ctx)
			if tt.traceparent != "" {
				req.Header.Set("Traceparent", tt.traceparent)
			}
			if tt.receive {
				o := h.Receive(ctx, body, req.Header)
				require.Equal(t, webhooks.ResultProcessed, o.Result, "%v", o.Err)
			} else {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
			if caller != nil {
				caller.End()
			}

			spans := tm.spans.Ended()
			require.GreaterOrEqual(t, len(spans), 2)
			work, delivery := spans[0], spans[1]
			assert.Equal(t, "the callback's work", work.Name())
			assert.Equal(t, delivery.SpanContext().SpanID(), work.Parent().SpanID(), "the callback's spans nest under the delivery's")
			assert.Equal(t, tt.wantKind, delivery.SpanKind(), "got %v, want %v", delivery.SpanKind(), tt.wantKind)
			if caller != nil {
				assert.Equal(t, caller.SpanContext().SpanID(), delivery.Parent().SpanID())
			} else {
				assert.False(t, delivery.Parent().IsValid(), "a root span")
			}
			if tt.wantLinked {
				require.Len(t, delivery.Links(), 1)
				assert.True(t, claimed.Equal(delivery.Links()[0].SpanContext.WithRemote(false)))
			} else {
				assert.Empty(t, delivery.Links())
			}
			attrs := attributes(delivery)
			assert.Equal(t, "200", attrs["http.response.status_code"])
			if tt.receive {
				assert.NotContains(t, attrs, "http.request.method", "Receive has no request")
			} else {
				assert.Equal(t, "POST", attrs["http.request.method"])
			}
		})
	}
}

// backlog is a Backlog that answers as told.
type backlog struct {
	jobs int
	wait time.Duration
	err  error
}

func (b backlog) Backlog(context.Context) (int, time.Duration, error) { return b.jobs, b.wait, b.err }

// TestBacklogGauges collects the gauges of a queue's backlog.
func TestBacklogGauges(t *testing.T) {
	down := errors.New("database down")
	tests := []struct {
		name    string
		backlog backlog
		want    map[string]string
		wantErr error
	}{
		{"a backlog", backlog{jobs: 3, wait: 1500 * time.Millisecond},
			map[string]string{point("webhooks.queue.jobs"): "3", point("webhooks.queue.lag"): "1.5"}, nil},
		{"empty", backlog{}, map[string]string{point("webhooks.queue.jobs"): "0", point("webhooks.queue.lag"): "0"}, nil},
		{"the queue fails: no gauges, and the collection says why", backlog{err: down}, nil, down},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := newTelemetry(t)
			require.NoError(t, tm.obs.ObserveBacklog(tt.backlog))
			var rm metricdata.ResourceMetrics
			require.ErrorIs(t, tm.reader.Collect(context.Background(), &rm), tt.wantErr)
			if tt.want == nil {
				tt.want = map[string]string{}
			}
			assert.Equal(t, tt.want, byKey(pointsOf(rm)))
		})
	}
}

// TestBaggageCrossesTheQueue: the baggage of the request that enqueued a
// delivery is the baggage of its job's callback.
func TestBaggageCrossesTheQueue(t *testing.T) {
	secret := webhookstest.NewSecret()
	body := webhookstest.Sample(webhooks.EventTypeBatchCompleted)
	tenant, err := baggage.NewMember("tenant", "acme")
	require.NoError(t, err)
	withTenant, err := baggage.New(tenant)
	require.NoError(t, err)
	tests := []struct {
		name    string
		baggage baggage.Baggage
		want    string
	}{
		{"a tenant", withTenant, "acme"},
		{"none", baggage.Baggage{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := newTelemetry(t)
			verifier, err := webhooks.NewVerifier(secret)
			require.NoError(t, err)
			q := &memQueue{obs: tm.obs}
			var got []string
			h := webhooks.NewHandler(verifier, func(ctx context.Context, _ webhooks.Event) error {
				got = append(got, baggage.FromContext(ctx).Member("tenant").Value())
				return nil
			}, webhooks.WithObserver(tm.obs), webhooks.WithQueue(q))
			ctx := baggage.ContextWithBaggage(context.Background(), tt.baggage)
			o := h.Receive(ctx, body, webhookstest.Headers(secret, body))
			require.Equal(t, webhooks.ResultEnqueued, o.Result, "%v", o.Err)
			q.work(h, 1)
			assert.Equal(t, []string{tt.want}, got)
		})
	}
}

// The Observer is a riverqueue Propagator, whose methods these are: this
// module does not import riverqueue, so that its users need not have River.
var _ interface {
	Inject(ctx context.Context, carrier map[string]string)
	Extract(ctx context.Context, carrier map[string]string) context.Context
} = (*otelwebhooks.Observer)(nil)

func TestObserveBacklogPanicsOnMisuse(t *testing.T) {
	tests := []struct {
		name string
		call func(obs *otelwebhooks.Observer)
	}{
		{"nil", func(obs *otelwebhooks.Observer) { _ = obs.ObserveBacklog(nil) }},
		{"a second", func(obs *otelwebhooks.Observer) {
			_ = obs.ObserveBacklog(backlog{})
			_ = obs.ObserveBacklog(backlog{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := newTelemetry(t).obs
			assert.Panics(t, func() { tt.call(obs) })
		})
	}
}
