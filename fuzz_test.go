package webhooks_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// The fuzz targets check properties, not only that nothing panics. Their
// seeds are testdata/fuzz/<target>/ (written by testdata/fuzz/mkseeds.go)
// and the f.Add calls below; go test runs them every time, and .ci/run fuzzes
// each target for a few seconds.

// deliverySentinels are the errors Verifier.Unwrap may return.
var deliverySentinels = []error{
	webhooks.ErrMissingHeader, webhooks.ErrInvalidHeader, webhooks.ErrInvalidSignature,
	webhooks.ErrTimestampTooOld, webhooks.ErrTimestampTooNew, webhooks.ErrInvalidPayload,
}

// isOneOf reports whether err matches one of sentinels.
func isOneOf(err error, sentinels []error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzParseEvent decodes arbitrary bytes. An accepted body is an event that
// encoding/json reads the same way, field for field, and that survives a
// marshal round trip; a rejected one is an ErrInvalidPayload naming a field.
func FuzzParseEvent(f *testing.F) {
	for _, typ := range webhooks.EventTypes() {
		f.Add(fixture(f, typ))
		f.Add(webhookstest.Sample(typ))
	}
	f.Add([]byte(`{"id":"evt_1","created_at":1,"type":"x","data":{"s":"` + strings.Repeat("a", 1<<20) + `"}}`))
	f.Add([]byte(`{"id":"evt_1","created_at":1,"type":"x","data":` + strings.Repeat(`{"a":`, 10001) + `1` + strings.Repeat(`}`, 10001) + `}`))

	f.Fuzz(func(t *testing.T, body []byte) {
		event, err := webhooks.ParseEvent(body)
		if err != nil {
			var perr *webhooks.PayloadError
			if !errors.As(err, &perr) || !errors.Is(err, webhooks.ErrInvalidPayload) || event != nil {
				t.Fatalf("got (%v, %v), want a nil event and a *PayloadError", event, err)
			}
			return
		}
		if event == nil {
			t.Fatal("got a nil event and no error")
		}
		checkAgainstEncodingJSON(t, body, event)

		out, err := json.Marshal(event)
		if err != nil {
			t.Fatalf("marshalling %#v: %v", event, err)
		}
		again, err := webhooks.ParseEvent(out)
		if err != nil {
			t.Fatalf("got %v decoding our own marshalling %s", err, out)
		}
		if again.EventID() != event.EventID() || again.EventType() != event.EventType() {
			t.Fatalf("round trip changed the event: %#v, then %#v", event, again)
		}
	})
}

// checkAgainstEncodingJSON checks that encoding/json, decoding body into
// the struct that ParseEvent returned, reads the same event: the same type
// and id, and the same value in every field. encoding/json takes the last
// of repeated keys and matches keys in any case, so any difference would be
// a body that two parsers read as different events.
func checkAgainstEncodingJSON(t *testing.T, body []byte, event webhooks.Event) {
	t.Helper()
	var head struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		t.Fatalf("ParseEvent accepted a body encoding/json rejects (%v): %q", err, body)
	}
	if head.ID != event.EventID() || head.Type != string(event.EventType()) {
		t.Fatalf("encoding/json reads type %q id %q, ParseEvent %q %q: %q", head.Type, head.ID, event.EventType(), event.EventID(), body)
	}
	// A parser that keeps the first of repeated keys, and matches them
	// exactly, must read the same too.
	if id, typ := firstTopLevel(t, body, "id"), firstTopLevel(t, body, "type"); id != event.EventID() || typ != string(event.EventType()) {
		t.Fatalf("a first-key-wins parser reads type %q id %q, ParseEvent %q %q: %q", typ, id, event.EventType(), event.EventID(), body)
	}
	std := reflect.New(reflect.TypeOf(event))
	if err := json.Unmarshal(body, std.Interface()); err != nil {
		t.Fatalf("encoding/json cannot decode into %T (%v): %q", event, err, body)
	}
	if !reflect.DeepEqual(std.Elem().Interface(), withoutRaw(event)) {
		t.Fatalf("encoding/json decodes\n%#v\nParseEvent\n%#v\nfrom %q", std.Elem().Interface(), event, body)
	}
	// Data.Raw, which encoding/json leaves alone, is the data it finds.
	if err := checkRaw(body, event); err != nil {
		t.Fatalf("%v, from %q", err, body)
	}
}

// firstTopLevel returns the string value of the first top-level member
// named exactly key, reading body token by token.
func firstTopLevel(t *testing.T, body []byte, key string) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("got %v, %v, want the start of an object", tok, err)
	}
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			t.Fatal(err)
		}
		if name == key {
			var s string
			if err := json.Unmarshal(value, &s); err != nil {
				t.Fatalf("%s is not a string: %s", key, value)
			}
			return s
		}
	}
	t.Fatalf("no %q in %q", key, body)
	return ""
}

// FuzzUnwrap verifies arbitrary bodies and header values. An accepted
// delivery is one the standard-webhooks library accepts too; a rejected one
// gets a sentinel error and no event. And a body signed with the right
// secret, then changed in any one byte, never verifies.
func FuzzUnwrap(f *testing.F) {
	body := fixture(f, webhooks.EventTypeRealtimeCallIncoming)
	d := signedDelivery(f, testSecret, "wh_1", testNow, body)
	f.Add(body, "wh_1", d.headers.Get(webhooks.HeaderTimestamp), d.headers.Get(webhooks.HeaderSignature), false, uint(7), byte(1))
	f.Add(body, "wh_1", d.headers.Get(webhooks.HeaderTimestamp), d.headers.Get(webhooks.HeaderSignature), true, uint(700), byte(0x80))

	v := testVerifier(f)
	hook, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, id, ts, sig string, lowerCase bool, flipAt uint, flipMask byte) {
		h := http.Header{}
		for name, value := range map[string]string{webhooks.HeaderID: id, webhooks.HeaderTimestamp: ts, webhooks.HeaderSignature: sig} {
			if lowerCase {
				h[name] = []string{value}
			} else {
				h.Set(name, value)
			}
		}
		event, err := v.Unwrap(body, h)
		if err != nil {
			if event != nil || !isOneOf(err, deliverySentinels) {
				t.Fatalf("got (%v, %v), want a nil event and a sentinel error", event, err)
			}
		} else {
			canonical := http.Header{}
			canonical.Set(webhooks.HeaderID, id)
			canonical.Set(webhooks.HeaderTimestamp, ts)
			canonical.Set(webhooks.HeaderSignature, sig)
			if err := hook.VerifyIgnoringTimestamp(body, canonical); err != nil {
				t.Fatalf("Unwrap accepted a delivery the standard-webhooks library rejects: %v", err)
			}
			parsed, perr := webhooks.ParseEvent(body)
			if perr != nil || !reflect.DeepEqual(parsed, event) {
				t.Fatalf("Unwrap returned %#v, ParseEvent (%#v, %v)", event, parsed, perr)
			}
		}

		// Sign the body properly, then change one byte of it.
		if id == "" || len(body) == 0 {
			return
		}
		signed := signedDelivery(t, testSecret, id, testNow, body).headers
		if err := v.Verify(body, signed); err != nil {
			t.Fatalf("a body signed with the secret does not verify: %v", err)
		}
		changed := bytes.Clone(body)
		changed[flipAt%uint(len(changed))] ^= flipMask | 1
		if err := v.Verify(changed, signed); !errors.Is(err, webhooks.ErrInvalidSignature) {
			t.Fatalf("a changed body verified, or failed otherwise: %v", err)
		}
	})
}

// secretErrors are the only messages a bad secret may produce: fixed text
// and numbers, never any of the secret itself.
var secretErrors = regexp.MustCompile(`^webhooks: invalid secret: (secret is empty|secret has leading or trailing whitespace|text after whsec_ is not canonical standard base64|whsec_ secret decodes to \d+ bytes, want 24 to 64|secret does not start with whsec_: .*|secret starts with whsec but not whsec_ .*|secret is an OpenAI API key .*)$`)

// FuzzNewVerifier reads arbitrary secrets. An accepted one is usable to
// sign and verify, with the key the rules say; a rejected one gives
// ErrInvalidSecret in a message that never echoes it.
func FuzzNewVerifier(f *testing.F) {
	for _, s := range []string{testSecret, "raw secret", "", "whsec_", "whsec_" + strings.Repeat("A", 32), testSecret + "\n", "sk-proj-x", "whsec-x"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, secret string, raw bool) {
		var opts []webhooks.Option
		if raw {
			opts = append(opts, webhooks.WithRawSecret())
		}
		v, err := webhooks.NewVerifier(secret, opts...)
		if err != nil {
			if v != nil || !errors.Is(err, webhooks.ErrInvalidSecret) || !secretErrors.MatchString(err.Error()) {
				t.Fatalf("got (%v, %q), want a nil Verifier and a fixed ErrInvalidSecret message", v, err)
			}
			return
		}
		key := []byte(secret)
		enc, prefixed := strings.CutPrefix(secret, "whsec_")
		if !prefixed && !raw {
			t.Fatalf("accepted %q, without whsec_ and without WithRawSecret", secret)
		}
		if prefixed {
			decoded, err := base64.StdEncoding.DecodeString(enc)
			if err != nil || base64.StdEncoding.EncodeToString(decoded) != enc || len(decoded) < 24 || len(decoded) > 64 {
				t.Fatalf("accepted %q, not canonical base64 of 24 to 64 bytes", secret)
			}
			key = decoded
		}
		if secret == "" || strings.TrimSpace(secret) != secret {
			t.Fatalf("accepted %q, empty or with whitespace around it", secret)
		}
		hook, err := standardwebhooks.NewWebhookRaw(key)
		if err != nil {
			t.Fatal(err)
		}
		want, err := hook.Sign("wh_1", testNow, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := webhooks.Sign(secret, "wh_1", testNow, []byte("{}"), opts...)
		if err != nil || got != want {
			t.Fatalf("Sign gives (%q, %v), the key the rules give %q", got, err, want)
		}
	})
}

// FuzzHandler serves arbitrary requests. Whatever arrives, the answer is
// one of the documented statuses, the callback runs only for an authentic,
// valid delivery and then the answer is 200, a copy of it is not processed
// again, and the answer never carries the secret.
func FuzzHandler(f *testing.F) {
	body := fixture(f, webhooks.EventTypeBatchCompleted)
	d := signedDelivery(f, testSecret, "wh_1", testNow, body)
	f.Add("POST", body, "wh_1", d.headers.Get(webhooks.HeaderTimestamp), d.headers.Get(webhooks.HeaderSignature), int64(len(body)))
	f.Add("GET", body, "wh_1", d.headers.Get(webhooks.HeaderTimestamp), d.headers.Get(webhooks.HeaderSignature), int64(-1))
	f.Add("POST", body, "wh_1", d.headers.Get(webhooks.HeaderTimestamp), d.headers.Get(webhooks.HeaderSignature), int64(1<<30))

	allowed := map[int]bool{200: true, 400: true, 405: true, 409: true, 413: true}
	v := testVerifier(f)
	f.Fuzz(func(t *testing.T, method string, body []byte, id, ts, sig string, contentLength int64) {
		var calls atomic.Int32
		var got webhooks.Event
		h := webhooks.NewHandler(v, func(_ context.Context, e webhooks.Event) error {
			calls.Add(1)
			got = e
			return nil
		}, webhooks.WithMaxBodyBytes(4096))

		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Method = method
		req.ContentLength = contentLength
		req.Header.Set(webhooks.HeaderID, id)
		req.Header.Set(webhooks.HeaderTimestamp, ts)
		req.Header.Set(webhooks.HeaderSignature, sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if !allowed[rec.Code] {
			t.Fatalf("got status %d", rec.Code)
		}
		if strings.Contains(rec.Body.String(), strings.TrimPrefix(testSecret, "whsec_")) {
			t.Fatal("the answer carries the secret")
		}
		if calls.Load() > 0 {
			if calls.Load() != 1 || rec.Code != http.StatusOK {
				t.Fatalf("got %d calls and status %d, want 1 and 200", calls.Load(), rec.Code)
			}
			event, err := v.Unwrap(body, req.Header)
			if err != nil || !reflect.DeepEqual(event, got) {
				t.Fatalf("the callback got %#v for a delivery Unwrap answers (%#v, %v)", got, event, err)
			}
			again := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			again.Header = req.Header.Clone()
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, again)
			if rec.Code != http.StatusOK || calls.Load() != 1 {
				t.Fatalf("a copy got status %d and %d calls in all, want 200 and 1", rec.Code, calls.Load())
			}
		}
	})
}
