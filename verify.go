package webhooks

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// secretPrefix marks a secret in the form OpenAI shows: base64 after it.
const secretPrefix = "whsec_"

// Bounds on the key that a whsec_ secret decodes to, in bytes.
const (
	minSecretBytes = 24
	maxSecretBytes = 64
)

// maxTimestamp is the largest webhook-timestamp that converts to a
// [time.Time] without overflow; later ones are clamped to it, which keeps them
// in the future of any clock.
const maxTimestamp = 1 << 62

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

// decodeSecret returns the key that secret stands for, by the rules of
// [NewVerifier].
func decodeSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, fmt.Errorf("%w: secret is empty", ErrInvalidSecret)
	}
	if strings.TrimSpace(secret) != secret {
		// Pasted with a space or a newline: as raw key bytes it would verify
		// nothing, and every delivery would fail with no hint why.
		return nil, fmt.Errorf("%w: secret has leading or trailing whitespace", ErrInvalidSecret)
	}
	enc, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return []byte(secret), nil
	}
	key, err := base64.StdEncoding.Strict().DecodeString(enc)
	// Decoding skips newlines; re-encoding catches them along with every
	// other non-canonical spelling of the same bytes.
	if err != nil || base64.StdEncoding.EncodeToString(key) != enc {
		return nil, fmt.Errorf("%w: text after %s is not canonical standard base64", ErrInvalidSecret, secretPrefix)
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, fmt.Errorf("%w: %s secret decodes to %d bytes, want %d to %d",
			ErrInvalidSecret, secretPrefix, len(key), minSecretBytes, maxSecretBytes)
	}
	return key, nil
}

// Sign returns the webhook-signature header value for a delivery of body with
// id msgID signed at timestamp, under secret (read by the rules of
// [NewVerifier]). The signature is computed by the standard-webhooks library,
// so a Verifier with the same secret accepts it. Tests use Sign to build
// signed fixtures; the webhookstest package wraps it into ready requests.
//
// Sign returns [ErrInvalidSecret] for a malformed secret and
// [ErrMissingHeader] for an empty msgID, which no Verifier would accept.
func Sign(secret, msgID string, timestamp time.Time, body []byte) (string, error) {
	if msgID == "" {
		return "", fmt.Errorf("%w: %s is empty", ErrMissingHeader, HeaderID)
	}
	key, err := decodeSecret(secret)
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
// The signature is checked first: any of the space-separated "v1,"
// signatures in webhook-signature may match the HMAC-SHA256 of
// "<webhook-id>.<webhook-timestamp>.<body>", under any of the Verifier's
// secrets, compared in constant time. Only then is the webhook-timestamp
// compared with the clock, so [ErrTimestampTooOld] and [ErrTimestampTooNew]
// are only ever reported for authentic deliveries. Verify accepts exactly the
// deliveries that the standard-webhooks library's Verify accepts, without its
// copies of the body: it allocates nothing, whatever the size of the body.
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
	id, err := header(headers, idHeader)
	if err != nil {
		return delivery{}, err
	}
	ts, err := header(headers, timestampHeader)
	if err != nil {
		return delivery{}, err
	}
	sig, err := header(headers, signatureHeader)
	if err != nil {
		return delivery{}, err
	}
	timestamp, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return delivery{}, fmt.Errorf("%w: %s is not an integer", ErrInvalidHeader, HeaderTimestamp)
	}
	if !v.signed(id, timestamp, body, sig) {
		if !hasSignatureEntry(sig) { // then say why nothing could match
			return delivery{}, fmt.Errorf("%w: %s has no \"<version>,<signature>\" entry", ErrInvalidHeader, HeaderSignature)
		}
		return delivery{}, ErrInvalidSignature
	}
	if err := v.checkTimestamp(timestamp); err != nil {
		return delivery{}, err
	}
	return delivery{id: id, timestamp: timestamp}, nil
}

// signed reports whether the signature list matches the delivery under any
// of v's keys.
func (v *Verifier) signed(id string, timestamp int64, body []byte, list string) bool {
	for _, k := range v.keys {
		if k.verifies(id, timestamp, body, list) {
			return true
		}
	}
	return false
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
			if textproto.CanonicalMIMEHeaderKey(k) == hn.canonical {
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

// hasSignatureEntry reports whether the webhook-signature list holds at least
// one entry of the form "<version>,<signature>" with both parts non-empty.
// Entries are separated by single spaces, as the standard-webhooks library
// splits them.
func hasSignatureEntry(list string) bool {
	for rest := list; rest != ""; {
		var entry string
		entry, rest, _ = strings.Cut(rest, " ")
		if version, sig, ok := strings.Cut(entry, ","); ok && version != "" && sig != "" {
			return true
		}
	}
	return false
}
