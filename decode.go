package webhooks

import (
	"bytes"
	"encoding/json/jsontext"
	"encoding/json/v2"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// ParseEvent decodes a webhook body WITHOUT VERIFYING IT. Use it only for a
// body whose signature has been checked elsewhere, or in tests; anything that
// reaches an endpoint must go through [Verifier.Unwrap].
//
// The body must be a JSON object with what OpenAI's schema requires of every
// event: a non-empty string "id", an integer "created_at", a non-empty string
// "type" and an object "data"; "object" may be left out. An event of a known
// type decodes to its struct, which also needs the data fields its type
// requires (the fields tagged schema:"required"; ids and URLs must not be
// empty). An absent or null optional field reads as its zero value: an empty
// string, or a nil pointer for an optional object such as
// [AgentSessionCreatedWebhookEventData.Connect]. An event of any other type
// decodes to an [UnknownEvent]. Fields the schema does not name are ignored,
// and so are values of open enumerations that have no constant yet; a typed
// event's Data.Raw keeps them, as a slice of body, which the caller must
// then not modify while it uses Raw (see [Event]).
//
// Anything else gives an error matching [ErrInvalidPayload] that names the
// field and what was wrong, and a nil Event. That includes, beyond what
// encoding/json/v2 rejects (invalid UTF-8, a member name given twice), a
// member name spelled in another case than the field it stands for ("Type",
// or "ſession_id", which Unicode folding matches to "session_id"), so that no
// other JSON parser can read the body as a different event.
func ParseEvent(body []byte) (Event, error) {
	// OpenAI writes "type" before "data", so the first member named "type"
	// is nearly always the event's: try it, and let decoding confirm it.
	if typ, ok := typeGuess(body); ok {
		if decode, known := eventDecoders[EventType(typ)]; known {
			if event, err := decode(body); err == nil {
				return event, nil
			}
		}
	}
	typ, ok := peekType(body)
	if decode, known := eventDecoders[EventType(typ)]; ok && known {
		return decode(body)
	}
	event, err := decodeAs(body, UnknownEvent{ID: unset, CreatedAt: unsetInt, Type: unset})
	if err == nil && event.EventType().Known() {
		// peekType missed the type, which it cannot on a body that decoded.
		return nil, fieldError("type", "not where a JSON parser finds it")
	}
	return event, err
}

// A decodable event is one of the structs ParseEvent decodes into.
type decodable interface {
	Event
	// complete reports whether the decoded event has every field its type
	// requires. It is generated from the catalogue and reads only the
	// decoded values, which cannot show every missing field: false means
	// "check the body field by field".
	complete() bool
	// decodedType returns the type field as decoded.
	decodedType() EventType
	// withRaw returns the event with the raw fields that alias body set:
	// Data.Raw of a typed event (see rawdata.go).
	withRaw(body []byte) Event
}

// Before decoding, ParseEvent puts unset into the required strings and
// unsetInt into the required integers of the event and of the structs it
// holds as values. Decoding leaves a member that the body leaves out as it
// was, so unset after decoding means "missing"; no JSON string decodes to it,
// as it is not valid UTF-8. A null, though, sets a field to its zero value, as
// decoding does in the structs it allocates itself (array elements, optional
// objects), so an empty required string or a zero required integer is not
// conclusive either.
const (
	unset    = "\xff"
	unsetInt = math.MinInt64
)

// rejectUnknown makes decoding fail on a member name that no field has: most
// deliveries have none, and for those one decode is enough. A body with one
// is decoded again, allowing it; and if it has a name that is not plain (see
// plainNames), which may spell a field in another case, it is checked field
// by field.
var rejectUnknown = json.RejectUnknownMembers(true)

// decodeAs decodes body into e, prefilled as the table says, and checks it.
// Decoding with encoding/json/v2 checks the syntax, the UTF-8, the member
// names given twice and the JSON type of every field; the decoded values
// then show whether every required field is there, and when they cannot tell
// (see unset), checkSchema reads the body field by field.
func decodeAs[E decodable](body []byte, e E) (Event, error) {
	prefilled := e
	err := json.Unmarshal(body, &e, rejectUnknown)
	check := false
	if errors.Is(err, json.ErrUnknownName) {
		e = prefilled
		err = json.Unmarshal(body, &e)
		check = !plainNames(body)
	}
	if err != nil {
		return nil, payloadError(err)
	}
	if check || !e.complete() {
		if err := checkSchema(body, reflect.TypeFor[E]()); err != nil {
			return nil, err
		}
	}
	if e.decodedType() != e.EventType() {
		return nil, fieldError("type", "not where a JSON parser finds it")
	}
	return e.withRaw(body), nil
}

// allOf reports whether ok holds for every element of s.
func allOf[T any](s []T, ok func(*T) bool) bool {
	for i := range s {
		if !ok(&s[i]) {
			return false
		}
	}
	return true
}

// fieldError returns a *PayloadError for field.
func fieldError(field, problem string) error {
	return &PayloadError{Field: field, Problem: problem}
}

// payloadError turns an error of encoding/json/v2 into a *PayloadError that
// names the field at fault.
func payloadError(err error) error {
	var syntactic *jsontext.SyntacticError
	if errors.As(err, &syntactic) {
		if errors.Is(syntactic.Err, jsontext.ErrDuplicateName) {
			return fieldError(fieldPath(syntactic.JSONPointer), "given more than once")
		}
		return fieldError("", fmt.Sprintf("the body is not JSON: %v, at byte offset %d", syntactic.Err, syntactic.ByteOffset))
	}
	var semantic *json.SemanticError
	if errors.As(err, &semantic) {
		problem := "want " + jsonWant(semantic.GoType) + ", got " + semantic.JSONKind.String()
		switch {
		case errors.Is(semantic.Err, strconv.ErrRange):
			problem = "out of the range of " + semantic.GoType.String()
		case errors.Is(semantic.Err, strconv.ErrSyntax):
			problem = "want an integer, got a number with a fraction or an exponent"
		}
		return fieldError(fieldPath(semantic.JSONPointer), problem)
	}
	return fieldError("", err.Error())
}

// fieldPath turns a JSON pointer such as /data/sip_headers/2/name into the
// path PayloadError reports, data.sip_headers[2].name. No field name of the
// catalogue is a number, so a number is an array index.
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.ParseUint(tok, 10, 64); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// jsonWant names the JSON value that decodes into a Go value of type t.
func jsonWant(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	if t == rawMessageType {
		return "an object"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return "a value"
}

// typeGuess returns the value of the first member named "type" in b.
func typeGuess(b []byte) ([]byte, bool) {
	// Look for its "y", a letter that ids in hex and the other names of the
	// envelope do not have, which is faster than looking for the whole name.
	i := -1
	for from := 2; from < len(b); {
		y := bytes.IndexByte(b[from:], 'y')
		if y < 0 {
			return nil, false
		}
		y += from
		if y+3 < len(b) && string(b[y-2:y+4]) == `"type"` {
			i = y - 2
			break
		}
		from = y + 1
	}
	if i < 0 {
		return nil, false
	}
	colon := skipSpace(b, i+len(`"type"`))
	if colon >= len(b) || b[colon] != ':' {
		return nil, false
	}
	v := skipSpace(b, colon+1)
	if v >= len(b) || b[v] != '"' {
		return nil, false
	}
	end := stringEnd(b, v)
	if end < 0 {
		return nil, false
	}
	return unquote(b[v : end+1]), true
}

// peekType returns the top-level "type" string of a JSON object, unescaped,
// without decoding the object, so that ParseEvent decodes the body once, into
// the struct of its type. It reads only up to that member, which OpenAI
// sends before "data", walking the members as memberValue does. It is exact
// for valid JSON, and safe for anything else, which decoding then rejects.
func peekType(b []byte) ([]byte, bool) {
	v := memberValue(b, "type")
	if len(v) == 0 || v[0] != '"' {
		return nil, false
	}
	return unquote(v), true
}

// stringEnd returns the index of the quote that ends the string starting at
// b[start], or -1.
func stringEnd(b []byte, start int) int {
	for i := start + 1; i < len(b); {
		k := bytes.IndexByte(b[i:], '"')
		if k < 0 {
			return -1
		}
		j := i + k
		// The quote is escaped if an odd number of backslashes precede it.
		backslashes := 0
		for q := j - 1; q > start && b[q] == '\\'; q-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return j
		}
		i = j + 1
	}
	return -1
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainNames reports whether every member name in the JSON body b, as
// written, has only lower-case ASCII letters, digits and underscores. Every
// name of the catalogue has, so only a name that is not plain can spell a
// field in another case: an upper-case letter, an escape, or a non-ASCII
// letter that Unicode folding matches to an ASCII one (ſ, K). It jumps from
// quote to quote, as peekType does.
func plainNames(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end := stringEnd(b, i)
		if end < 0 {
			return false
		}
		if colon := skipSpace(b, end+1); colon < len(b) && b[colon] == ':' {
			for _, c := range b[i+1 : end] {
				if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
					return false
				}
			}
		}
		i = end
	}
	return true
}

// unquote returns the contents of the quoted JSON string q, unescaped. It
// allocates only when q has escapes.
func unquote(q []byte) []byte {
	if bytes.IndexByte(q, '\\') < 0 {
		return q[1 : len(q)-1]
	}
	s, err := jsontext.AppendUnquote(nil, q)
	if err != nil {
		return nil
	}
	return s
}
