package webhooks

import "net/http"

// Unwrap verifies a delivery with a Verifier made from secret and opts, then
// decodes it, as [Verifier.Unwrap] does. It decodes the secret on every call:
// a service that receives more than one delivery makes a [Verifier] once and
// calls its Unwrap method.
func Unwrap(body []byte, headers http.Header, secret string, opts ...Option) (Event, error) {
	v, err := NewVerifier(secret, opts...)
	if err != nil {
		return nil, err
	}
	return v.Unwrap(body, headers)
}

// Unwrap verifies a delivery as [Verifier.Verify] does, then decodes its body
// as [ParseEvent] does. The body is trusted only once its signature has been
// checked. On error the Event is nil and the error matches one of the
// sentinels of [Verifier.Verify] or [ErrInvalidPayload].
func (v *Verifier) Unwrap(body []byte, headers http.Header) (Event, error) {
	if _, err := v.verify(body, headers); err != nil {
		return nil, err
	}
	return ParseEvent(body)
}
