package otelwebhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/otelwebhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// Example serves one delivery with an Observer that exports to an
// in-memory span recorder and a manual metric reader, and prints what it
// exported: the span, its events and attributes, and the metrics.
func Example() {
	spans := tracetest.NewSpanRecorder()
	metrics := sdkmetric.NewManualReader()
	obs, err := otelwebhooks.New(
		otelwebhooks.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))),
		otelwebhooks.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics))))
	if err != nil {
		panic(err)
	}
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		panic(err)
	}
	handler := webhooks.NewHandler(verifier, nil,
		webhooks.On(func(ctx context.Context, e webhooks.BatchCompletedWebhookEvent) error {
			return nil // ctx carries the span: the callback's own spans nest under it
		}),
		webhooks.WithObserver(obs))
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/openai", handler)

	mux.ServeHTTP(httptest.NewRecorder(), webhookstest.NewRequest(secret,
		webhookstest.Sample(webhooks.EventTypeBatchCompleted),
		webhookstest.WithID("wh_example"), webhookstest.WithTarget("/webhooks/openai")))

	for _, s := range spans.Ended() {
		fmt.Printf("span %q (%s)\n", s.Name(), s.SpanKind())
		for _, e := range s.Events() {
			fmt.Printf("  event %s\n", e.Name)
		}
		for _, a := range sortedAttributes(s) {
			fmt.Printf("  %s\n", a)
		}
	}
	for _, p := range points(metrics) {
		fmt.Println(p)
	}
	// Output:
	// span "receive batch.completed" (server)
	//   event received
	//   event verified
	//   event claimed
	//   event callback started
	//   event callback returned
	//   event recorded
	//   http.request.method=POST
	//   http.response.status_code=200
	//   http.route=/webhooks/openai
	//   messaging.message.id=wh_example
	//   messaging.operation.name=receive
	//   messaging.operation.type=receive
	//   messaging.system=openai
	//   webhooks.event.id=evt_6853b1d4a0fc8190b6f1c2d3e4a5b6c7
	//   webhooks.event.type=batch.completed
	//   webhooks.result=processed
	// messaging.process.duration{messaging.operation.name=receive,messaging.system=openai,webhooks.event.type=batch.completed} 1
	// webhooks.callback.active{messaging.operation.name=receive,webhooks.event.type=batch.completed} 0
	// webhooks.deliveries{messaging.operation.name=receive,webhooks.event.type=batch.completed,webhooks.result=processed} 1
	// webhooks.receive.duration{webhooks.event.type=batch.completed,webhooks.result=processed} 1
}

// sortedAttributes returns the attributes of s as key=value, sorted.
func sortedAttributes(s sdktrace.ReadOnlySpan) []string {
	var attrs []string
	for _, a := range s.Attributes() {
		attrs = append(attrs, string(a.Key)+"="+a.Value.String())
	}
	slices.Sort(attrs)
	return attrs
}

// points collects the metrics of reader and returns each data point as
// "name{key=value,...} value", sorted: a sum's or a gauge's value, a
// histogram's count. It panics if the collection fails.
func points(reader sdkmetric.Reader) []string {
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	return pointsOf(rm)
}

// pointsOf returns the data points of rm, as points does.
func pointsOf(rm metricdata.ResourceMetrics) []string {
	var out []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				out = appendPoints(out, m.Name, d.DataPoints)
			case metricdata.Gauge[int64]:
				out = appendPoints(out, m.Name, d.DataPoints)
			case metricdata.Gauge[float64]:
				out = appendPoints(out, m.Name, d.DataPoints)
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out = append(out, fmt.Sprintf("%s{%s} %d", m.Name, p.Attributes.Encoded(attribute.DefaultEncoder()), p.Count))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// appendPoints appends the points of metric name to out.
func appendPoints[N int64 | float64](out []string, name string, points []metricdata.DataPoint[N]) []string {
	for _, p := range points {
		out = append(out, fmt.Sprintf("%s{%s} %v", name, p.Attributes.Encoded(attribute.DefaultEncoder()), p.Value))
	}
	return out
}
