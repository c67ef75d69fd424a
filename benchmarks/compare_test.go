// Package benchmarks compares this library with openai-go's webhooks package,
// the standard-webhooks library and a bare HMAC-SHA256, on the same signed
// deliveries. It is a module of its own so that openai-go never becomes a
// dependency of the library. Run ./run.sh for the tables of BENCHMARKS.md.
package benchmarks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	openai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/go-openai-webhooks/webhooks"
)

const (
	secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	msgID  = "wh_685343a1b2c48190a0e7f2c1b3d4e5f6"
)

// bodies are the root module's benchmark deliveries, testdata/bench/*.json.
var bodies = []string{"small", "agent", "sip8", "64KiB"}

// Each delivery is measured twice: "reused", one signed delivery handled
// again and again, as a benchmark written from outside the library does;
// and "fresh", freshCopies signed copies with other ids, taken in turn, as
// a receiver meets them. A decoder that remembers the strings it decoded
// last (encoding/json/v2 does, per decoder) would be faster on the first
// than a receiver ever sees; the two must give the same ratios.
var freshness = []string{"reused", "fresh"}

const freshCopies = 512

// delivery is one signed delivery: its body and its headers, with the
// canonical keys that net/http gives a request's headers.
type delivery struct {
	body    []byte
	headers http.Header
}

// ids are the ids in the benchmark bodies: a prefix and hex digits.
var ids = regexp.MustCompile(`"(evt|resp|sess|ccarenv|rtc)_[0-9a-f]{12}`)

// load returns the deliveries of the named body, one if reused, else
// freshCopies with other ids of the same lengths and another webhook-id
// each, all signed now, so that every implementation's default clock
// accepts them.
func load(tb testing.TB, name, fresh string) []delivery {
	tb.Helper()
	template, err := os.ReadFile(filepath.Join("..", "testdata", "bench", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	if fresh == "reused" {
		return []delivery{signDelivery(tb, template)}
	}
	var ds []delivery
	for i := range freshCopies {
		n := 0
		body := ids.ReplaceAllFunc(template, func(id []byte) []byte {
			n++
			prefix, _, _ := bytes.Cut(id, []byte("_"))
			return fmt.Appendf(nil, "%s_%06x%06x", prefix, i, n)
		})
		d := signDelivery(tb, body)
		d.headers.Set(webhooks.HeaderID, fmt.Sprintf("wh_%032x", i))
		d = resign(tb, d)
		ds = append(ds, d)
	}
	return ds
}

// signDelivery signs body now, as msgID.
func signDelivery(tb testing.TB, body []byte) delivery {
	tb.Helper()
	h := http.Header{}
	h.Set(webhooks.HeaderID, msgID)
	return resign(tb, delivery{body: body, headers: h})
}

// resign signs d again, now, with its webhook-id.
func resign(tb testing.TB, d delivery) delivery {
	tb.Helper()
	now := time.Now()
	sig, err := webhooks.Sign(secret, d.headers.Get(webhooks.HeaderID), now, d.body)
	if err != nil {
		tb.Fatal(err)
	}
	d.headers.Set(webhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	d.headers.Set(webhooks.HeaderSignature, sig)
	return d
}

// implementations are the contenders, each a function that handles one
// delivery as a receiver would. openai-go's Unwrap verifies and decodes the
// envelope into a union; AsAny then decodes the body again into the struct
// of its type, which is what this library's Unwrap returns.
var implementations = []struct {
	name string
	new  func(tb testing.TB) func(d delivery) error
}{
	{"openai-go Unwrap", func(tb testing.TB) func(delivery) error {
		client := openai.NewClient(option.WithWebhookSecret(secret), option.WithAPIKey("unused"))
		return func(d delivery) error {
			_, err := client.Webhooks.Unwrap(d.body, d.headers)
			return err
		}
	}},
	{"openai-go Unwrap+AsAny", func(tb testing.TB) func(delivery) error {
		client := openai.NewClient(option.WithWebhookSecret(secret), option.WithAPIKey("unused"))
		return func(d delivery) error {
			event, err := client.Webhooks.Unwrap(d.body, d.headers)
			if err != nil {
				return err
			}
			_ = event.AsAny()
			return nil
		}
	}},
	{"standard-webhooks Verify", func(tb testing.TB) func(delivery) error {
		hook, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			tb.Fatal(err)
		}
		return func(d delivery) error { return hook.Verify(d.body, d.headers) }
	}},
	{"bare HMAC-SHA256", func(tb testing.TB) func(delivery) error {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			tb.Fatal(err)
		}
		return func(d delivery) error {
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte(d.headers.Get(webhooks.HeaderID)))
			mac.Write([]byte{'.'})
			mac.Write([]byte(d.headers.Get(webhooks.HeaderTimestamp)))
			mac.Write([]byte{'.'})
			mac.Write(d.body)
			_ = mac.Sum(nil)
			return nil
		}
	}},
	{"this Verify", func(tb testing.TB) func(delivery) error {
		v := mustVerifier(tb)
		return func(d delivery) error { return v.Verify(d.body, d.headers) }
	}},
	{"this Unwrap", func(tb testing.TB) func(delivery) error {
		v := mustVerifier(tb)
		return func(d delivery) error {
			_, err := v.Unwrap(d.body, d.headers)
			return err
		}
	}},
}

func mustVerifier(tb testing.TB) *webhooks.Verifier {
	v, err := webhooks.NewVerifier(secret)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// BenchmarkCompare runs every implementation on every delivery, reused and
// fresh. Besides the time, it reports the CPU time of the process per
// delivery (cpu-ns/op): the work done, the garbage collector's included,
// and the time other processes of a busy machine took left out.
func BenchmarkCompare(b *testing.B) {
	for _, name := range bodies {
		for _, fresh := range freshness {
			for _, impl := range implementations {
				b.Run(name+"/"+fresh+"/"+impl.name, func(b *testing.B) {
					ds := load(b, name, fresh)
					measure(b, ds, impl.new(b))
				})
			}
		}
	}
}

// measure handles the deliveries ds in turn, b.N times in all.
func measure(b *testing.B, ds []delivery, handle func(delivery) error) {
	b.SetBytes(int64(len(ds[0].body)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := handle(ds[i%len(ds)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the CPU time the process has used, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkCauses measures, on the small delivery reused, what changes the
// ratios a benchmark of this library sees, one cause at a time: the form of
// the headers' keys, a Verifier made for each delivery (the package-level
// Unwrap), and a body without its "object" member (150 bytes, as OpenAI's
// documentation shows some). Each is next to the contenders that can take the
// same input.
func BenchmarkCauses(b *testing.B) {
	small := load(b, "small", "reused")[0]
	lower := delivery{body: small.body, headers: http.Header{}}
	for k, v := range small.headers {
		lower.headers[strings.ToLower(k)] = v
	}
	noObject := signDelivery(b, bytes.Replace(small.body, []byte(`"object":"event",`), nil, 1))
	unwrap := implementations[len(implementations)-1]
	cases := []struct {
		name   string
		d      delivery
		handle func(tb testing.TB) func(delivery) error
	}{
		{"canonical keys/this Unwrap", small, unwrap.new},
		{"lower-case keys/this Unwrap", lower, unwrap.new},
		{"package-level Unwrap/this Unwrap", small, func(testing.TB) func(delivery) error {
			return func(d delivery) error {
				_, err := webhooks.Unwrap(d.body, d.headers, secret)
				return err
			}
		}},
		{"no object member/this Unwrap", noObject, unwrap.new},
		{"no object member/openai-go Unwrap", noObject, implementations[0].new},
		{"no object member/standard-webhooks Verify", noObject, implementations[2].new},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { measure(b, []delivery{c.d}, c.handle(b)) })
	}
}

// TestSameDeliveries checks that every implementation accepts every
// delivery, and that openai-go and this library decode the same event: the
// comparison measures the same work.
func TestSameDeliveries(t *testing.T) {
	client := openai.NewClient(option.WithWebhookSecret(secret), option.WithAPIKey("unused"))
	v := mustVerifier(t)
	for _, name := range bodies {
		for _, fresh := range freshness {
			ds := load(t, name, fresh)
			for _, d := range []delivery{ds[0], ds[len(ds)-1]} {
				for _, impl := range implementations {
					if err := impl.new(t)(d); err != nil {
						t.Errorf("%s rejects %s (%s): %v", impl.name, name, fresh, err)
					}
				}
				theirs, err := client.Webhooks.Unwrap(d.body, d.headers)
				if err != nil {
					t.Fatal(err)
				}
				ours, err := v.Unwrap(d.body, d.headers)
				if err != nil {
					t.Fatal(err)
				}
				if theirs.ID != ours.EventID() || theirs.Type != string(ours.EventType()) {
					t.Errorf("%s (%s): openai-go decoded %s %s, this library %s %s", name, fresh, theirs.Type, theirs.ID, ours.EventType(), ours.EventID())
				}
			}
			if fresh == "fresh" && bytes.Equal(ds[0].body, ds[1].body) {
				t.Errorf("%s: fresh copies have the same body", name)
			}
		}
	}
}
