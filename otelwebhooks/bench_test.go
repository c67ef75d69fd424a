package otelwebhooks_test

import (
	"context"
	"strconv"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/otelwebhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// BenchmarkReceive measures Handler.Receive of a delivery with a fresh
// webhook-id and a callback that returns at once, with its default
// MemoryStore: without an Observer, with one whose providers are
// OpenTelemetry's no-ops (what a service that exports nothing pays), and
// with the SDK's, recording every span and metric (into a ManualReader that
// is never collected, and no span processor).
func BenchmarkReceive(b *testing.B) {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		b.Fatal(err)
	}
	observer := func(opts ...otelwebhooks.Option) []webhooks.HandlerOption {
		obs, err := otelwebhooks.New(opts...)
		if err != nil {
			b.Fatal(err)
		}
		return []webhooks.HandlerOption{webhooks.WithObserver(obs)}
	}
	observers := []struct {
		name string
		opts []webhooks.HandlerOption
	}{
		{"none", nil},
		{"noop", observer(otelwebhooks.WithTracerProvider(tracenoop.NewTracerProvider()),
			otelwebhooks.WithMeterProvider(metricnoop.NewMeterProvider()))},
		{"sdk", observer(otelwebhooks.WithTracerProvider(sdktrace.NewTracerProvider()),
			otelwebhooks.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))))},
	}
	body := webhookstest.Sample(webhooks.EventTypeBatchCompleted)
	for _, o := range observers {
		b.Run(o.name, func(b *testing.B) {
			h := webhooks.NewHandler(verifier, func(context.Context, webhooks.Event) error { return nil }, o.opts...)
			headers := make([]map[string][]string, 0, 1024)
			for i := range cap(headers) {
				headers = append(headers, webhookstest.Headers(secret, body, webhookstest.WithID("wh_bench_"+strconv.Itoa(i))))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				hs := headers[i%len(headers)]
				if i >= len(headers) { // a fresh id: sign again, outside the timer
					b.StopTimer()
					hs = webhookstest.Headers(secret, body, webhookstest.WithID("wh_bench_"+strconv.Itoa(i)))
					b.StartTimer()
				}
				if o := h.Receive(context.Background(), body, hs); o.Result != webhooks.ResultProcessed {
					b.Fatalf("got %v: %v", o.Result, o.Err)
				}
			}
		})
	}
}
