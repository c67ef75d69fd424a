// Package webhookstest provides what tests of an OpenAI webhook receiver
// need: secrets, signed requests and headers, and a sample delivery of every
// event type, as net/http/httptest does for HTTP handlers.
//
// Testing a handler takes two lines:
//
//	req := webhookstest.NewRequest(secret, webhookstest.Sample(webhooks.EventTypeBatchCompleted))
//	handler.ServeHTTP(rec, req)
//
// Like httptest, the helpers panic on misuse (a malformed secret, a value
// that cannot be marshalled) for ease of use in tests.
package webhookstest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/go-openai-webhooks/webhooks"
)

// NewSecret returns a fresh random signing secret in the form OpenAI shows:
// "whsec_" and the standard base64 of 32 random bytes.
func NewSecret() string {
	return "whsec_" + base64.StdEncoding.EncodeToString(random(32))
}

// NewID returns a fresh random webhook-id, "wh_" and 32 hex digits.
func NewID() string {
	return "wh_" + hex.EncodeToString(random(16))
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}

// An Option changes how a delivery is signed or addressed.
type Option func(*delivery)

type delivery struct {
	id        string
	timestamp time.Time
	extra     []string
	target    string
	raw       bool // the secret is raw key bytes
}

// WithID sets the webhook-id. The default is a fresh [NewID], so that two
// deliveries are never taken for copies of one; pass the same id twice to
// test what a receiver does with a retry.
func WithID(id string) Option { return func(d *delivery) { d.id = id } }

// WithTimestamp sets when the delivery was signed. The default is now; a
// time further from the receiver's clock than its tolerance tests stale and
// future deliveries.
func WithTimestamp(t time.Time) Option { return func(d *delivery) { d.timestamp = t } }

// WithExtraSignatures adds entries to webhook-signature after the valid one,
// as a sender rotating its secret does; for example a signature under
// another secret (see [webhooks.Sign]) or a malformed entry.
func WithExtraSignatures(signatures ...string) Option {
	return func(d *delivery) { d.extra = append(d.extra, signatures...) }
}

// WithRawSecret signs with a secret that does not start with "whsec_" as
// raw key bytes, as [webhooks.WithRawSecret] makes a Verifier read it.
func WithRawSecret() Option { return func(d *delivery) { d.raw = true } }

// DefaultTarget is the request target of [NewRequest] unless [WithTarget]
// sets another: the path at which the package webhooks' documentation
// mounts a [webhooks.Handler], so that a request reaches a handler served by
// an [http.ServeMux] as the documentation shows. A Handler served without a
// mux ignores the path.
const DefaultTarget = "/webhooks/openai"

// WithTarget sets the request target of [NewRequest], the path (and query)
// at which the receiver under test serves its Handler; the default is
// [DefaultTarget].
func WithTarget(target string) Option { return func(d *delivery) { d.target = target } }

// Headers returns the webhook-id, webhook-timestamp and webhook-signature
// headers of a delivery of body signed with secret, for receivers that take
// the body and the headers separately. It panics if secret is malformed.
func Headers(secret string, body []byte, opts ...Option) http.Header {
	return newDelivery(opts).headers(secret, body)
}

// newDelivery applies opts to the defaults.
func newDelivery(opts []Option) delivery {
	d := delivery{id: NewID(), timestamp: time.Now(), target: DefaultTarget}
	for _, opt := range opts {
		opt(&d)
	}
	return d
}

// headers signs body as d says.
func (d delivery) headers(secret string, body []byte) http.Header {
	var opts []webhooks.Option
	if d.raw {
		opts = append(opts, webhooks.WithRawSecret())
	}
	sig, err := webhooks.Sign(secret, d.id, d.timestamp, body, opts...)
	if err != nil {
		panic(fmt.Sprintf("webhookstest: signing: %v", err))
	}
	h := http.Header{}
	h.Set(webhooks.HeaderID, d.id)
	h.Set(webhooks.HeaderTimestamp, strconv.FormatInt(d.timestamp.Unix(), 10))
	h.Set(webhooks.HeaderSignature, strings.Join(append([]string{sig}, d.extra...), " "))
	return h
}

// NewRequest returns a signed POST request of [DefaultTarget] (or the
// target of [WithTarget]) that delivers event, ready for handler.ServeHTTP. event is the body itself as a []byte or
// [json.RawMessage] (such as a [Sample]), or a value to marshal, such as a
// struct literal of an event type. The request carries Content-Type
// application/json and the headers of [Headers]. Like
// [httptest.NewRequest], it is for serving in-process, not for sending; a
// client sends the body with [Headers].
//
// NewRequest panics if secret is malformed or event cannot be marshalled.
func NewRequest(secret string, event any, opts ...Option) *http.Request {
	body := Body(event)
	d := newDelivery(opts)
	req := httptest.NewRequest(http.MethodPost, d.target, bytes.NewReader(body))
	req.Header = d.headers(secret, body)
	req.Header.Set("Content-Type", "application/json")
	return req
}

// Body returns the body that delivers event: event itself if it is a []byte
// or [json.RawMessage], else its JSON encoding. It panics if event cannot be
// marshalled.
func Body(event any) []byte {
	switch b := event.(type) {
	case []byte:
		return b
	case json.RawMessage:
		return b
	}
	body, err := json.Marshal(event)
	if err != nil {
		panic(fmt.Sprintf("webhookstest: marshalling %T: %v", event, err))
	}
	return body
}

// Sample returns a realistic body of an event of type t, valid for OpenAI's
// schema, with ids in OpenAI's formats and every optional field set;
// [webhooks.ParseEvent] decodes it to the struct of t. The samples are
// generated from the package's catalogue, so every type in
// [webhooks.EventTypes] has one. Each call returns a fresh copy. Sample
// panics if t is not one of [webhooks.EventTypes].
func Sample(t webhooks.EventType) []byte {
	body, ok := samples[t]
	if !ok {
		panic(fmt.Sprintf("webhookstest: no sample for event type %q", t))
	}
	return []byte(body)
}
