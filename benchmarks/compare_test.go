// Package benchmarks compares this library with openai-go's webhooks package,
// the standard-webhooks library and a bare HMAC-SHA256, on the same signed
// deliveries. It is a module of its own so that openai-go never becomes a
// dependency of the library. Run ./run.sh for the table of BENCHMARKS.md.
package benchmarks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// bodies are the root module's benchmark deliveries (testdata/bench), and
// small-fresh: 512 copies of small, each with other ids, taken in turn, as a
// receiver meets them. A decoder that remembers the strings it decoded
// (encoding/json/v2 does, per decoder) allocates them again for each.
var bodies = []string{"small", "small-fresh", "agent", "sip8", "64KiB"}

// delivery is one signed delivery: its body and headers, signed now so that
// every implementation's default clock accepts it.
type delivery struct {
	body    []byte
	headers http.Header
	signed  time.Time
}

// load returns the deliveries of the named benchmark.
func load(tb testing.TB, name string) []delivery {
	tb.Helper()
	file, copies := name, 1
	if name == "small-fresh" {
		file, copies = "small", 512
	}
	template, err := os.ReadFile(filepath.Join("..", "testdata", "bench", file+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var ds []delivery
	for i := range copies {
		body := template
		if copies > 1 { // fresh ids, of the same length
			body = []byte(strings.NewReplacer("685343a1381c", fmt.Sprintf("%012x", i), "685343a0b1fc", fmt.Sprintf("%012x", i+1<<20)).Replace(string(template)))
		}
		ds = append(ds, signDelivery(tb, body))
	}
	return ds
}

// signDelivery signs body now, so that every implementation's default
// clock accepts it.
func signDelivery(tb testing.TB, body []byte) delivery {
	tb.Helper()
	now := time.Now()
	sig, err := webhooks.Sign(secret, msgID, now, body)
	if err != nil {
		tb.Fatal(err)
	}
	h := http.Header{}
	h.Set(webhooks.HeaderID, msgID)
	h.Set(webhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(webhooks.HeaderSignature, sig)
	return delivery{body: body, headers: h, signed: now}
}

// implementations are the contenders, each a function that handles one
// delivery as a receiver would.
var implementations = []struct {
	name string
	new  func(tb testing.TB) func(d delivery) error
}{
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
			mac.Write([]byte(msgID))
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

func BenchmarkCompare(b *testing.B) {
	for _, name := range bodies {
		for _, impl := range implementations {
			b.Run(name+"/"+impl.name, func(b *testing.B) {
				ds := load(b, name)
				handle := impl.new(b)
				b.SetBytes(int64(len(ds[0].body)))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := handle(ds[i%len(ds)]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestSameDeliveries checks that every implementation accepts every
// delivery, and that openai-go and this library decode the same event: the
// comparison measures the same work.
func TestSameDeliveries(t *testing.T) {
	client := openai.NewClient(option.WithWebhookSecret(secret), option.WithAPIKey("unused"))
	v := mustVerifier(t)
	for _, name := range bodies {
		d := load(t, name)[0]
		for _, impl := range implementations {
			if err := impl.new(t)(d); err != nil {
				t.Errorf("%s rejects %s: %v", impl.name, name, err)
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
			t.Errorf("%s: openai-go decoded %s %s, this library %s %s", name, theirs.Type, theirs.ID, ours.EventType(), ours.EventID())
		}
	}
}
