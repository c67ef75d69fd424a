package riverqueue_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// BenchmarkEnqueue receives deliveries over loopback HTTP from 8 senders
// per CPU, each answered once committed to a River queue on SQLite and on
// Postgres (at DATABASE_URL; benchmarks/run.sh starts one that syncs its
// commits to disk, as SQLite does), and, for comparison, by a Handler whose
// callback runs inline (and does nothing). No worker runs: this is the
// receiving side alone. It reports deliveries/s and the median and 99th
// percentile of the time from sending a delivery to its answer.
func BenchmarkEnqueue(b *testing.B) {
	v := verifier(b)
	noop := func(context.Context, webhooks.Event) error { return nil }
	handlers := []struct {
		name string
		new  func(b *testing.B) *webhooks.Handler
	}{
		{"inline", func(*testing.B) *webhooks.Handler { return webhooks.NewHandler(v, noop) }},
		{"sqlite", func(b *testing.B) *webhooks.Handler {
			return webhooks.NewHandler(v, noop, webhooks.WithQueue(newQueue(b, sqliteEngine(b))))
		}},
		{"postgres", func(b *testing.B) *webhooks.Handler {
			return webhooks.NewHandler(v, noop, webhooks.WithQueue(newQueue(b, postgresEngine(b))))
		}},
	}
	body := webhookstest.Sample(webhooks.EventTypeResponseCompleted)
	for _, h := range handlers {
		b.Run(h.name, func(b *testing.B) {
			srv := httptest.NewServer(h.new(b))
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer client.CloseIdleConnections()
			var next atomic.Int64
			var mu sync.Mutex
			var latencies []time.Duration
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				defer func() {
					mu.Lock()
					latencies = append(latencies, mine...)
					mu.Unlock()
				}()
				for pb.Next() {
					id := "wh_bench_" + strconv.FormatInt(next.Add(1), 10)
					headers := webhookstest.Headers(secret, body, webhookstest.WithID(id))
					req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
					req.Header = headers
					start := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mine = append(mine, time.Since(start))
					if resp.StatusCode != http.StatusOK {
						b.Errorf("got status %d", resp.StatusCode)
						return
					}
				}
			})
			b.StopTimer()
			slices.Sort(latencies)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
			b.ReportMetric(percentile(latencies, 0.50).Seconds()*1e3, "p50-ms")
			b.ReportMetric(percentile(latencies, 0.99).Seconds()*1e3, "p99-ms")
		})
	}
}

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}
