package webhooks

import (
	"fmt"
	"iter"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// maxTimestamp is the largest webhook-timestamp that converts to a
// [time.Time] without overflow; later ones are clamped to it, which keeps them
// in the future of any clock.
const maxTimestamp = 1 << 62

// Bounds on the webhook-signature header, which OpenAI fills with one
// signature, or two while a secret is rotated. They keep a hostile header
// (a million blank entries) from costing more than a valid one. They are the
// one way [Verifier.Verify] differs from the standard-webhooks library, which
// reads every entry of a header of any length.
const (
	// MaxSignatureEntries is the number of space-separated entries of
	// webhook-signature that are examined; the ones after it are ignored.
	MaxSignatureEntries = 32
	// MaxSignatureHeaderBytes is the length of the longest webhook-signature
	// accepted: 32 entries of the longest signatures of the Standard
	// Webhooks scheme fit in it.
	MaxSignatureHeaderBytes = 4096
)

// A headerName is a header's name as the specification writes it and in the
// canonical form that net/http stores it under.
type headerName struct{ name, canonical string }

func newHeaderName(name string) headerName {
	return headerName{name, textproto.CanonicalMIMEHeaderKey(name)}
}

var (
	idHeader        = newHeaderName(HeaderID)
	timestampHeader = newHeaderName(HeaderTimestamp)
	signatureHeader = newHeaderName(HeaderSignature)
)

// Sign returns the webhook-signature header value for a delivery of body with
// id msgID signed at timestamp, under secret, read by the rules of
// [NewVerifier] and the options that say how to read it ([WithRawSecret];
// the others do not matter here). The signature is computed by the
// standard-webhooks library, so a Verifier with the same secret accepts it.
// Tests use Sign to build signed fixtures; the webhookstest package wraps it
// into ready requests.
//
// Sign returns [ErrInvalidSecret] for a malformed secret,
// [ErrInvalidOption] for an option it cannot use, and [ErrMissingHeader]
// for an empty msgID, which no Verifier would accept.
func Sign(secret, msgID string, timestamp time.Time, body []byte, opts ...Option) (string, error) {
	if msgID == "" {
		return "", fmt.Errorf("%w: %s is empty", ErrMissingHeader, HeaderID)
	}
	var c Verifier
	for _, opt := range opts {
		if err := opt(&c); err != nil {
			return "", err
		}
	}
	key, err := decodeSecret(secret, c.rawSecrets)
	if err != nil {
		return "", err
	}
	// NewWebhookRaw never fails; its error result is for future versions.
	hook, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return "", err
	}
	return hook.Sign(msgID, timestamp, body)
}

// Verify reports whether body and headers form an authentic, timely delivery.
//
// The signature is checked first: any of the first [MaxSignatureEntries]
// space-separated "v1," signatures in webhook-signature may match the
// HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>", under any of the
// Verifier's secrets, compared in constant time; a webhook-signature longer
// than [MaxSignatureHeaderBytes] is refused unread. Only then is the
// webhook-timestamp compared with the clock, so [ErrTimestampTooOld] and
// [ErrTimestampTooNew] are only ever reported for authentic deliveries.
// Within those two bounds, Verify accepts exactly the deliveries that the
// standard-webhooks library's Verify accepts, without its copies of the
// body: it allocates nothing, whatever the size of the body.
//
// Header names are matched whatever their case, so headers may come from a
// request or be built by hand with lower-case keys, as serverless platforms
// deliver them. When a name has several values, the first one counts.
//
// The error, if any, matches [ErrMissingHeader], [ErrInvalidHeader],
// [ErrInvalidSignature], [ErrTimestampTooOld] or [ErrTimestampTooNew].
func (v *Verifier) Verify(body []byte, headers http.Header) error {
	_, err := v.verify(body, headers)
	return err
}

// delivery is the metadata of a verified delivery.
type delivery struct {
	id        string
	timestamp int64 // Unix seconds
}

// verify implements [Verifier.Verify] and returns the verified metadata.
func (v *Verifier) verify(body []byte, headers http.Header) (delivery, error) {
	m, err := readHeaders(headers)
	if err != nil {
		return delivery{}, err
	}
	if !v.signed(m.id, m.timestamp, m.decimal, body, m.signatures) {
		if !hasSignatureEntry(m.signatures) { // then say why nothing could match
			return delivery{}, errNoSignatureEntry
		}
		return delivery{}, ErrInvalidSignature
	}
	if err := v.checkTimestamp(m.timestamp); err != nil {
		return delivery{}, err
	}
	return delivery{id: m.id, timestamp: m.timestamp}, nil
}

// errNoSignatureEntry reports a webhook-signature in which nothing could be
// a signature.
var errNoSignatureEntry = fmt.Errorf("%w: %s has no \"<version>,<signature>\" entry in its first %d", ErrInvalidHeader, HeaderSignature, MaxSignatureEntries)

// deliveryHeaders are the Standard Webhooks headers of a delivery, as read,
// not yet verified.
type deliveryHeaders struct {
	id         string
	timestamp  int64  // Unix seconds
	decimal    string // the timestamp as it is signed, if the header has it so; else empty
	signatures string
}

// readHeaders reads the three headers of a delivery: each must be present
// and not empty, webhook-timestamp an integer, and webhook-signature no
// longer than [MaxSignatureHeaderBytes].
func readHeaders(headers http.Header) (deliveryHeaders, error) {
	id, err := header(headers, idHeader)
	if err != nil {
		return deliveryHeaders{}, err
	}
	ts, err := header(headers, timestampHeader)
	if err != nil {
		return deliveryHeaders{}, err
	}
	sig, err := header(headers, signatureHeader)
	if err != nil {
		return deliveryHeaders{}, err
	}
	if len(sig) > MaxSignatureHeaderBytes {
		return deliveryHeaders{}, fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidHeader, HeaderSignature, MaxSignatureHeaderBytes)
	}
	timestamp, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return deliveryHeaders{}, fmt.Errorf("%w: %s is not an integer", ErrInvalidHeader, HeaderTimestamp)
	}
	m := deliveryHeaders{id: id, timestamp: timestamp, signatures: sig}
	if canonicalDecimal(ts) {
		m.decimal = ts
	}
	return m, nil
}

// checkBeforeBody checks what can be checked of a delivery before its body
// is read, so that a request that cannot verify costs no memory: the three
// headers are there, webhook-timestamp is an integer within the tolerance
// and webhook-signature has an entry that could be a signature. The
// signature itself needs the body, so a stale timestamp reported here says
// nothing of the delivery's authenticity.
func (v *Verifier) checkBeforeBody(headers http.Header) error {
	m, err := readHeaders(headers)
	if err != nil {
		return err
	}
	if !hasSignatureEntry(m.signatures) {
		return errNoSignatureEntry
	}
	return v.checkTimestamp(m.timestamp)
}

// signed reports whether the signature list matches the delivery under any
// of v's keys.
func (v *Verifier) signed(id string, timestamp int64, decimal string, body []byte, list string) bool {
	for _, k := range v.keys {
		if k.verifies(id, timestamp, decimal, body, list) {
			return true
		}
	}
	return false
}

// canonicalDecimal reports whether s, which strconv.ParseInt reads, is
// written as strconv.FormatInt writes it: no sign but a minus, and no
// leading zero.
func canonicalDecimal(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	return s[0] != '+' && digits != "" && (digits[0] != '0' || s == "0")
}

// checkTimestamp compares a signed timestamp (Unix seconds) with v's clock.
// The comparisons are those of the standard-webhooks library: exactly the
// tolerance away, in either direction, is still in time.
func (v *Verifier) checkTimestamp(timestamp int64) error {
	signed := time.Unix(min(timestamp, maxTimestamp), 0)
	now := v.now()
	if age := now.Sub(signed); age > v.tolerance {
		return fmt.Errorf("%w: signed %v ago, tolerance %v", ErrTimestampTooOld, age.Truncate(time.Second), v.tolerance)
	}
	if signed.After(now.Add(v.tolerance)) {
		return fmt.Errorf("%w: signed %v ahead of the clock, tolerance %v",
			ErrTimestampTooNew, signed.Sub(now).Truncate(time.Second), v.tolerance)
	}
	return nil
}

// header returns the first value of the named header. The canonical key, as
// net/http stores it, wins; without it, a key in any other case is found,
// unless several such spellings are present, which is ambiguous.
func header(h http.Header, hn headerName) (string, error) {
	values, ok := h[hn.canonical]
	if !ok {
		matches := 0
		for k, vs := range h {
			if equalFoldASCII(k, hn.canonical) { // as CanonicalMIMEHeaderKey(k) == hn.canonical, without a copy of k
				values = vs
				matches++
			}
		}
		if matches > 1 {
			return "", fmt.Errorf("%w: %s is given under %d spellings", ErrInvalidHeader, hn.name, matches)
		}
	}
	if len(values) == 0 || values[0] == "" {
		return "", fmt.Errorf("%w: %s", ErrMissingHeader, hn.name)
	}
	return values[0], nil
}

// equalFoldASCII reports whether a and b are equal when ASCII letters are
// compared without case. Unlike strings.EqualFold it folds nothing else: a
// key with the Kelvin sign "K" is not "webhook-id", for net/http either.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// hasSignatureEntry reports whether the first [MaxSignatureEntries] entries
// of the webhook-signature list hold one of the form "<version>,<signature>"
// with both parts non-empty.
func hasSignatureEntry(list string) bool {
	for entry := range signatureEntries(list) {
		if version, sig, ok := strings.Cut(entry, ","); ok && version != "" && sig != "" {
			return true
		}
	}
	return false
}

// signatureEntries yields the first [MaxSignatureEntries] entries of the
// webhook-signature list, split at single spaces, as the standard-webhooks
// library splits them: two spaces make an empty entry.
func signatureEntries(list string) iter.Seq[string] {
	return func(yield func(string) bool) {
		rest, more := list, true
		for n := 0; more && n < MaxSignatureEntries; n++ {
			var entry string
			entry, rest, more = strings.Cut(rest, " ")
			if !yield(entry) {
				return
			}
		}
	}
}
