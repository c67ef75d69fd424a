package webhooks_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-openai-webhooks/webhooks"
)

// benchBodies are the deliveries of the benchmarks, in testdata/bench; the
// comparison in benchmarks/ runs the same ones through openai-go and the
// standard-webhooks library: a small response.completed, a
// realtime.call.incoming with eight SIP headers, and a response.completed of
// 64 KiB, most of it in a field this package does not read.
var benchBodies = []string{"small", "agent", "sip8", "64KiB"}

func benchBody(b *testing.B, name string) []byte {
	body, err := os.ReadFile(filepath.Join("testdata", "bench", name+".json"))
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// cpuTime returns the CPU time the process has used, in nanoseconds. The
// Handler's benchmarks report it per operation (cpu-ns/op), beside the
// time: it counts the work done, by every goroutine and the garbage
// collector, and not the time the other processes of a busy machine take.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchDeliveries runs handle on each signed benchmark delivery.
func benchDeliveries(b *testing.B, handle func(v *webhooks.Verifier, d testDelivery) error) {
	for _, name := range benchBodies {
		b.Run(name, func(b *testing.B) {
			v := testVerifier(b)
			d := signedDelivery(b, testSecret, "wh_685343a1b2c48190a0e7f2c1b3d4e5f6", testNow, benchBody(b, name))
			b.SetBytes(int64(len(d.body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := handle(v, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	benchDeliveries(b, func(v *webhooks.Verifier, d testDelivery) error { return v.Verify(d.body, d.headers) })
}

func BenchmarkUnwrap(b *testing.B) {
	benchDeliveries(b, func(v *webhooks.Verifier, d testDelivery) error {
		_, err := v.Unwrap(d.body, d.headers)
		return err
	})
}

func BenchmarkParseEvent(b *testing.B) {
	for _, name := range benchBodies {
		b.Run(name, func(b *testing.B) {
			body := benchBody(b, name)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := webhooks.ParseEvent(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestUnwrapAllocationDoesNotGrowWithBody measures the bytes one Unwrap
// allocates for a delivery whose body is 1 KiB and one of 1 MiB, the extra
// bytes in a member the event does not have, and checks that they do not
// grow with the body: verifying streams the body into the HMAC, and decoding
// allocates only the strings the event keeps.
func TestUnwrapAllocationDoesNotGrowWithBody(t *testing.T) {
	v := testVerifier(t)
	perUnwrap := func(padding int) uint64 {
		body := []byte(`{"id":"evt_1","object":"event","created_at":1750287018,"type":"response.completed",` +
			`"data":{"id":"resp_1"},"padding":"` + strings.Repeat("x", padding) + `"}`)
		d := signedDelivery(t, testSecret, "wh_1", testNow, body)
		if _, err := v.Unwrap(d.body, d.headers); err != nil {
			t.Fatal(err)
		}
		const runs = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			if _, err := v.Unwrap(d.body, d.headers); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / runs
	}
	small, large := perUnwrap(1<<10), perUnwrap(1<<20)
	t.Logf("bytes allocated per Unwrap: %d with a 1 KiB body, %d with a 1 MiB body", small, large)
	if large > small+4096 {
		t.Errorf("got %d bytes per Unwrap of a 1 MiB body, %d of a 1 KiB one: allocation grows with the body", large, small)
	}
}

// BenchmarkMemoryStoreClaimDone measures a MemoryStore's Claim and Done of
// fresh ids from 1 to GOMAXPROCS goroutines at once, in deliveries a second:
// with its 64 shards, each with its own lock, the rate grows with the
// goroutines, up to the cores. Run it with -cpu to try more cores. The
// window is 20 ms, so that the store holds some ten thousand ids at these
// rates, as a store holds at realistic rates over its real window.
//
// store=separate gives each goroutine a store of its own: nothing is shared,
// so it shows how far the machine itself lets this work scale.
func BenchmarkMemoryStoreClaimDone(b *testing.B) {
	ctx := context.Background()
	for _, separate := range []bool{false, true} {
		for g := 1; g <= runtime.GOMAXPROCS(0); g++ {
			name := fmt.Sprintf("store=shared/goroutines=%d", g)
			if separate {
				name = fmt.Sprintf("store=separate/goroutines=%d", g)
			}
			b.Run(name, func(b *testing.B) {
				stores := []*webhooks.MemoryStore{webhooks.NewMemoryStore(0)}
				for separate && len(stores) < g {
					stores = append(stores, webhooks.NewMemoryStore(0))
				}
				ids := make([]string, b.N) // made beforehand: the store is measured, not the ids
				for i := range ids {
					ids[i] = "wh_" + strconv.Itoa(i)
				}
				var wg sync.WaitGroup
				b.ResetTimer()
				cpu := cpuTime()
				for k := range g {
					m := stores[k%len(stores)]
					wg.Go(func() {
						for i := k; i < len(ids); i += g {
							if _, err := m.Claim(ctx, ids[i], "token", 10*time.Millisecond); err != nil {
								b.Error(err)
								return
							}
							if err := m.Done(ctx, ids[i], "token", 20*time.Millisecond); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
			})
		}
	}
}

// BenchmarkReceive measures what a Handler does with a small delivery, in
// process, without HTTP: verifying, decoding, and calling a callback that
// returns at once, without a store and with its default MemoryStore, to
// which every delivery is new (a ring of 1 024 deliveries signed
// beforehand with distinct ids, and a fresh Handler for each turn of the
// ring, made while the timer is stopped).
func BenchmarkReceive(b *testing.B) {
	ctx := context.Background()
	v := testVerifier(b)
	body := benchBody(b, "small")
	ring := make([]testDelivery, 1024)
	for i := range ring {
		ring[i] = signedDelivery(b, testSecret, fmt.Sprintf("wh_%032d", i), testNow, body)
	}
	callback := func(context.Context, webhooks.Event) error { return nil }
	for _, store := range []string{"none", "MemoryStore"} {
		b.Run("store="+store, func(b *testing.B) {
			newHandler := func() *webhooks.Handler {
				if store == "none" {
					return webhooks.NewHandler(v, callback, webhooks.WithoutIdempotency())
				}
				return webhooks.NewHandler(v, callback)
			}
			h := newHandler()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := range b.N {
				if i > 0 && i%len(ring) == 0 {
					b.StopTimer()
					h = newHandler()
					b.StartTimer()
				}
				d := ring[i%len(ring)]
				if o := h.Receive(ctx, d.body, d.headers); o.Result != webhooks.ResultProcessed {
					b.Fatalf("got %v (%v), want %v", o.Result, o.Err, webhooks.ResultProcessed)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkHTTP measures deliveries a second over loopback HTTP, from 64
// concurrent keep-alive connections that sign each delivery with a fresh
// webhook-id, into a Handler with its default MemoryStore and a callback
// that returns at once, and into a bare net/http handler that reads the body
// and answers 200: the Handler's own cost, verification, decoding and
// deduplication, is what separates the two. It also reports the CPU time of
// the process per delivery (cpu-ns/op), the senders' included.
func BenchmarkHTTP(b *testing.B) {
	verifier, err := webhooks.NewVerifier(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	servers := []struct {
		name    string
		handler http.Handler
	}{
		{"bare", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				w.WriteHeader(http.StatusBadRequest)
			}
		})},
		{"Handler", webhooks.NewHandler(verifier, func(context.Context, webhooks.Event) error { return nil })},
	}
	body := benchBody(b, "small")
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			srv := httptest.NewServer(s.handler)
			defer srv.Close()
			const connections = 64
			client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: connections, MaxIdleConnsPerHost: connections}}
			defer client.CloseIdleConnections()
			var next atomic.Int64
			b.SetParallelism(max(1, connections/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := "wh_bench_" + strconv.FormatInt(next.Add(1), 10)
					now := time.Now()
					sig, err := webhooks.Sign(testSecret, id, now, body)
					if err != nil {
						b.Error(err)
						return
					}
					req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
					req.Header.Set(webhooks.HeaderID, id)
					req.Header.Set(webhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
					req.Header.Set(webhooks.HeaderSignature, sig)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("got status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
