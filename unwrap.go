package webhooks

import (
	"encoding/json"
	"net/http"
	"strings"
)

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

// ParseEvent decodes a webhook body WITHOUT VERIFYING IT. Use it only for a
// body whose signature has been checked elsewhere, or in tests; anything that
// reaches an endpoint must go through [Verifier.Unwrap].
//
// The body must be a JSON object with what OpenAI's schema requires of every
// event: a non-empty string "id", an integer "created_at", a non-empty string
// "type" and an object "data". "object" may be left out. An event of a known
// type decodes to its struct, which also needs the data fields of its type
// (a non-empty string id, call_id or session_id, and for the incoming-call
// types a "sip_headers" array of objects with string "name" and "value").
// An event of any other type decodes to an [UnknownEvent]. Fields the schema
// does not name are ignored.
//
// Anything else gives an error matching [ErrInvalidPayload] that names the
// field and what was wrong, and a nil Event. That includes, beyond what
// encoding/json rejects, invalid UTF-8, a key the decoder reads given twice,
// and such a key spelled in another case ("Type"), so that no other JSON
// parser can read the body as a different event.
//
// The strings of a decoded event share one allocation, a copy of what they
// hold; the event does not refer to body.
func ParseEvent(body []byte) (Event, error) {
	var s scanner
	if err := s.scan(body); err != nil {
		return nil, err
	}
	return s.event()
}

// fields holds the decoded values that an event struct is built from.
type fields struct {
	id, object string
	createdAt  int64
	data       [numDataFields]string // string data fields, by data key
	sipHeaders []SipHeader
}

// An eventDecoder is one row of the table from wire type to Go type.
type eventDecoder struct {
	requires uint32 // bit k set: data key k is required
	build    func(fields) Event
}

// event checks what the scanned body's type requires and builds its event.
func (s *scanner) event() (Event, error) {
	const required = 1<<keyID | 1<<keyCreatedAt | 1<<keyType | 1<<keyData
	if s.top&required != required {
		for _, k := range [...]int{keyID, keyCreatedAt, keyType, keyData} {
			if s.top&(1<<k) == 0 {
				return nil, fieldError(topKeys[k], "missing")
			}
		}
	}
	if s.id.start == s.id.end {
		return nil, fieldError("id", "empty")
	}
	if s.typ.start == s.typ.end {
		return nil, fieldError("type", "empty")
	}
	var buf [32]byte
	typ := s.b[s.typ.start:s.typ.end]
	if s.typ.escaped {
		typ = appendUnescaped(buf[:0], typ)
	}
	dec, known := eventDecoders[EventType(typ)]
	if !known {
		return s.unknownEvent(), nil
	}
	// Check the data fields the type requires, and size the strings the
	// event keeps, to copy them into one allocation.
	n := s.id.size() + s.obj.size()
	for k, key := range dataKeys {
		if dec.requires&(1<<k) == 0 {
			continue
		}
		switch {
		case s.dataErrs[k] != nil:
			return nil, s.dataErrs[k]
		case s.dataSeen&(1<<k) == 0:
			return nil, fieldError("data."+key, "missing")
		case k != dataSIPHeaders && s.dataSpans[k].size() == 0:
			return nil, fieldError("data."+key, "empty")
		}
		n += s.dataSpans[k].size()
	}
	wantSIP := dec.requires&(1<<dataSIPHeaders) != 0
	if wantSIP {
		for _, h := range s.sipHeaders {
			n += h.name.size() + h.value.size()
		}
	}
	var t stringTable
	t.sb.Grow(n)
	f := fields{id: t.add(s.b, s.id), object: t.add(s.b, s.obj), createdAt: s.createdAt}
	for k := range dataKeys {
		if dec.requires&(1<<k) != 0 {
			f.data[k] = t.add(s.b, s.dataSpans[k])
		}
	}
	if wantSIP {
		f.sipHeaders = make([]SipHeader, len(s.sipHeaders))
		for i, h := range s.sipHeaders {
			f.sipHeaders[i] = SipHeader{Name: t.add(s.b, h.name), Value: t.add(s.b, h.value)}
		}
	}
	return dec.build(f), nil
}

// unknownEvent builds the UnknownEvent of a scanned body.
func (s *scanner) unknownEvent() Event {
	var t stringTable
	t.sb.Grow(s.id.size() + s.typ.size() + s.obj.size())
	return UnknownEvent{
		ID:        t.add(s.b, s.id),
		CreatedAt: s.createdAt,
		Data:      append(json.RawMessage(nil), s.b[s.dataStart:s.dataEnd]...),
		Type:      EventType(t.add(s.b, s.typ)),
		Object:    t.add(s.b, s.obj),
	}
}

// A stringTable copies the strings of one event into one allocation: Grow
// its builder by their total size, then add each. A strings.Builder only
// appends, so every string that add returns stays valid and unchanged.
type stringTable struct {
	sb strings.Builder
}

// add copies the string at sp in b, decoding its escapes, and returns it.
func (t *stringTable) add(b []byte, sp span) string {
	if sp.size() == 0 {
		return ""
	}
	start := t.sb.Len()
	if sp.escaped {
		var buf [64]byte
		t.sb.Write(appendUnescaped(buf[:0], b[sp.start:sp.end]))
	} else {
		t.sb.Write(b[sp.start:sp.end])
	}
	return t.sb.String()[start:]
}
