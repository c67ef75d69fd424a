package webhooks_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

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
