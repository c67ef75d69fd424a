// Package webhooks receives the webhooks that OpenAI sends: it verifies each
// delivery's Standard Webhooks signature (an HMAC-SHA256 over the
// webhook-id, webhook-timestamp and body, sent in the webhook-signature
// header) and its timestamp, decodes the body into the Go struct for its
// type, and processes each webhook-id once. A [Handler] does the whole job
// as an [http.Handler], with typed callbacks:
//
//	verifier, err := webhooks.NewVerifier(os.Getenv(webhooks.SecretEnv)) // whsec_...
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.Handle("/webhooks/openai", webhooks.NewHandler(verifier, nil,
//		webhooks.On(func(ctx context.Context, e webhooks.ResponseCompletedWebhookEvent) error {
//			return fetchResponse(ctx, e.Data.ID) // an error answers 500: OpenAI retries
//		})))
//
// It answers with the status that makes OpenAI retry exactly the deliveries
// that were not processed, keeps a claim on each webhook-id while its
// callback runs, and records it as processed for the idempotency window, in
// a [MemoryStore] unless [WithIdempotencyStore] gives it another (the
// redisstore module's, for several replicas); [WithQueue] stores deliveries
// in a durable queue instead (the riverqueue module's) for workers to
// process later. [Handler.Receive] is the same work for other transports,
// such as a serverless function.
//
// [Verifier.Unwrap] alone verifies and decodes, for code that does the rest
// itself:
//
//	event, err := verifier.Unwrap(body, r.Header)
//	if err != nil {
//		http.Error(w, "invalid webhook", http.StatusBadRequest)
//		return
//	}
//	switch e := event.(type) {
//	case webhooks.ResponseCompletedWebhookEvent:
//		log.Printf("response %s completed", e.Data.ID)
//	}
//
// Every error this package returns matches one of its sentinel errors with
// [errors.Is]; the sentinels say which HTTP status a receiver should answer.
// A well-formed event of a type this version does not know decodes to an
// [UnknownEvent] rather than an error, so a receiver keeps accepting
// deliveries when OpenAI adds event types. The webhookstest package signs
// requests and holds a sample delivery of every type, for tests.
package webhooks

//go:generate go run mkevents.go

import (
	"errors"
	"fmt"
	"time"
)

// Names of the Standard Webhooks headers that carry a delivery's metadata, as
// the specification writes them. Lookups in an [http.Header] ignore case.
const (
	// HeaderID names the header that carries the delivery's unique id. A
	// retried delivery keeps its id, so the id is the idempotency key.
	HeaderID = "webhook-id"
	// HeaderTimestamp names the header that carries the Unix time, in
	// seconds, at which the delivery was signed.
	HeaderTimestamp = "webhook-timestamp"
	// HeaderSignature names the header that carries one or more
	// space-separated signatures of the form "v1,<base64 HMAC-SHA256>".
	HeaderSignature = "webhook-signature"
)

// SecretEnv is the environment variable that OpenAI's SDKs read the webhook
// signing secret from.
const SecretEnv = "OPENAI_WEBHOOK_SECRET"

// DefaultTolerance is how far, in either direction, a delivery's timestamp
// may lie from the verifier's clock unless [WithTolerance] says otherwise.
// It matches OpenAI's SDKs.
const DefaultTolerance = 5 * time.Minute

// Sentinel errors. Every error returned by this package matches exactly one
// of them with [errors.Is]; the wrapped detail says which field or header was
// wrong and never contains the secret or a computed signature.
//
// [ErrInvalidSecret] and [ErrInvalidOption] describe the receiver's own
// configuration: fail at start-up. Every other error describes a delivery
// that must not be processed: answer it with 400 Bad Request (OpenAI retries
// any answer that is not 2xx, so a delivery rejected because of a passing
// fault, such as clock skew, is sent again).
var (
	// ErrInvalidSecret reports an empty signing secret, one with leading or
	// trailing whitespace (as pasted from a dashboard), or a whsec_ secret
	// that is not canonical standard base64 of 24 to 64 bytes.
	ErrInvalidSecret = errors.New("webhooks: invalid secret")
	// ErrInvalidOption reports an option given a value it cannot use, such
	// as a tolerance that is not positive or a nil clock.
	ErrInvalidOption = errors.New("webhooks: invalid option")
	// ErrMissingHeader reports that the webhook-id, webhook-timestamp or
	// webhook-signature header is absent or empty; the message names it.
	ErrMissingHeader = errors.New("webhooks: missing header")
	// ErrInvalidHeader reports a webhook-timestamp that is not an integer, a
	// webhook-signature with no "<version>,<signature>" entry, or, in headers
	// without the canonical spelling of a name (Webhook-Id), that name under
	// several other spellings; the canonical spelling, the one net/http
	// uses, wins over the others.
	ErrInvalidHeader = errors.New("webhooks: invalid header")
	// ErrInvalidSignature reports that no v1 signature in webhook-signature
	// matches the body under any of the verifier's secrets.
	ErrInvalidSignature = errors.New("webhooks: no matching signature")
	// ErrTimestampTooOld reports an authentic delivery whose timestamp is
	// further in the past than the tolerance allows. [Handler.ServeHTTP]
	// checks the timestamp before it reads the body, so from it, this error
	// says nothing of the delivery's authenticity.
	ErrTimestampTooOld = errors.New("webhooks: timestamp too old")
	// ErrTimestampTooNew reports an authentic delivery whose timestamp is
	// further in the future than the tolerance allows; from
	// [Handler.ServeHTTP], as for ErrTimestampTooOld, a delivery whose
	// signature was not checked yet.
	ErrTimestampTooNew = errors.New("webhooks: timestamp too new")
	// ErrInvalidPayload reports a body that is not a JSON object of the
	// shape OpenAI's schema requires for its type. The error is a
	// [*PayloadError] that names the field.
	ErrInvalidPayload = errors.New("webhooks: invalid payload")
)

// A PayloadError describes why a body is not a valid event. It matches
// [ErrInvalidPayload] with [errors.Is]; use [errors.As] to read the field,
// for example to log it.
type PayloadError struct {
	// Field is the path of the offending field, such as "created_at" or
	// "data.sip_headers[2].name", or empty when the body as a whole is at
	// fault (not JSON, not an object).
	Field string
	// Problem says what is wrong, such as "missing" or "want a string, got
	// null".
	Problem string
}

// Error returns "webhooks: invalid payload: ", then the field and problem.
func (e *PayloadError) Error() string {
	if e.Field == "" {
		return ErrInvalidPayload.Error() + ": " + e.Problem
	}
	return ErrInvalidPayload.Error() + ": " + e.Field + ": " + e.Problem
}

// Unwrap returns [ErrInvalidPayload].
func (e *PayloadError) Unwrap() error { return ErrInvalidPayload }

// A Verifier checks the signature and timestamp of OpenAI webhook deliveries
// and decodes them. Create one with [NewVerifier] and share it: a Verifier is
// safe for concurrent use by multiple goroutines, as long as the clock given
// to [WithClock] is.
type Verifier struct {
	keys      []*signingKey // one per accepted secret, primary first
	tolerance time.Duration
	now       func() time.Time

	// Set by the options, read by NewVerifier.
	additional []string // WithAdditionalSecrets
	rawSecrets bool     // WithRawSecret
}

// An Option configures a [Verifier] in [NewVerifier] or [Unwrap].
type Option func(*Verifier) error

// NewVerifier returns a Verifier for deliveries signed with secret.
//
// The secret is the one OpenAI shows when a webhook endpoint is created:
// "whsec_" followed by canonical standard base64 that decodes to 24 to 64
// bytes, which are the key. A secret without the prefix is refused, because
// openai-go and the standard-webhooks library read it differently; an
// OpenAI API key (sk-...) or a prefix typo such as "whsec-" is refused with
// a hint of its own. [WithRawSecret] takes an unprefixed secret as raw key
// bytes, as openai-go does. An empty or malformed secret, or one with
// leading or trailing whitespace (Unicode's), gives [ErrInvalidSecret],
// whose message never holds any part of the secret; an option with a value
// it cannot use gives [ErrInvalidOption].
func NewVerifier(secret string, opts ...Option) (*Verifier, error) {
	v := &Verifier{tolerance: DefaultTolerance, now: time.Now}
	for _, opt := range opts {
		if err := opt(v); err != nil {
			return nil, err
		}
	}
	for _, s := range append([]string{secret}, v.additional...) {
		key, err := decodeSecret(s, v.rawSecrets)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, newSigningKey(key))
	}
	v.additional = nil
	return v, nil
}

// WithTolerance sets how far, in either direction, a delivery's timestamp may
// lie from the clock. The default is [DefaultTolerance]; d must be positive.
func WithTolerance(d time.Duration) Option {
	return func(v *Verifier) error {
		if d <= 0 {
			return fmt.Errorf("%w: tolerance %v is not positive", ErrInvalidOption, d)
		}
		v.tolerance = d
		return nil
	}
}

// WithClock sets the function the Verifier reads the current time from, in
// place of [time.Now]. Tests use it to verify fixtures signed at a fixed time.
func WithClock(now func() time.Time) Option {
	return func(v *Verifier) error {
		if now == nil {
			return fmt.Errorf("%w: clock is nil", ErrInvalidOption)
		}
		v.now = now
		return nil
	}
}

// WithAdditionalSecrets makes the Verifier also accept deliveries signed with
// any of secrets, which follow the same rules as the secret given to
// [NewVerifier]. Use it to rotate a secret without dropping deliveries: deploy
// the new secret as the primary one and the old one here, then remove the old
// one once OpenAI signs with the new one only. Each extra secret costs one
// more HMAC for a delivery that the earlier secrets do not verify.
func WithAdditionalSecrets(secrets ...string) Option {
	return func(v *Verifier) error {
		v.additional = append(v.additional, secrets...)
		return nil
	}
}
