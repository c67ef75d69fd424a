package webhooks

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// secretPrefix marks a secret in the form OpenAI shows: base64 after it.
const secretPrefix = "whsec_"

// Bounds on the key that a whsec_ secret decodes to, in bytes.
const (
	minSecretBytes = 24
	maxSecretBytes = 64
)

// WithRawSecret makes the Verifier take a secret that does not start with
// "whsec_" as the key's bytes, as they are: the reading of openai-go, for
// a service whose key really is raw bytes. Without it, such a secret is
// refused, because the two reference implementations read it differently
// (openai-go as raw bytes, the standard-webhooks library as base64) and a
// wrong guess fails every delivery with [ErrInvalidSignature]. A secret
// that starts with "whsec_" is decoded from base64 either way. The option
// applies to the secrets of [WithAdditionalSecrets] too.
func WithRawSecret() Option {
	return func(v *Verifier) error {
		v.rawSecrets = true
		return nil
	}
}

// decodeSecret returns the key that secret stands for, by the rules of
// [NewVerifier]; raw says that a secret without the whsec_ prefix is raw
// key bytes ([WithRawSecret]). Its messages are fixed text: they never hold
// any part of the secret.
func decodeSecret(secret string, raw bool) ([]byte, error) {
	if secret == "" {
		return nil, fmt.Errorf("%w: secret is empty", ErrInvalidSecret)
	}
	if strings.TrimSpace(secret) != secret {
		// Pasted with a space or a newline: it would verify nothing, and
		// every delivery would fail with no hint why.
		return nil, fmt.Errorf("%w: secret has leading or trailing whitespace", ErrInvalidSecret)
	}
	enc, ok := strings.CutPrefix(secret, secretPrefix)
	switch {
	case ok:
	case raw:
		return []byte(secret), nil
	case isAPIKey(secret):
		return nil, fmt.Errorf("%w: secret is an OpenAI API key (sk-...), not a webhook signing secret: "+
			"the signing secret starts with whsec_ and is shown once, when the webhook endpoint is created", ErrInvalidSecret)
	case len(secret) >= len(secretPrefix) && strings.EqualFold(secret[:len(secretPrefix)-1], "whsec"):
		return nil, fmt.Errorf("%w: secret starts with whsec but not whsec_ (lower case, then an underscore): "+
			"write whsec_ followed by the base64 part", ErrInvalidSecret)
	default:
		return nil, fmt.Errorf("%w: secret does not start with whsec_: openai-go would take its characters as the key's bytes, "+
			"the standard-webhooks library would decode them as base64; write whsec_ followed by the value the dashboard shows, "+
			"or pass webhooks.WithRawSecret() if they are raw key bytes", ErrInvalidSecret)
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

// isAPIKey reports whether secret has the form of an OpenAI API key:
// sk-proj-..., sk-svcacct-..., sk-admin-... or a legacy sk-....
func isAPIKey(secret string) bool {
	return strings.HasPrefix(secret, "sk-")
}
