package webhooks

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the scanner that reads a webhook body in one pass: it checks
// that the whole body is JSON (RFC 8259, UTF-8), and records where the values
// of the fields that events carry are, without copying them. unwrap.go then
// checks what the event's type requires and copies the strings it keeps.
//
// It decodes as encoding/json does, with three differences that make a body
// mean the same to every JSON parser, so none can be used to smuggle a value
// past another reader of the same body: it rejects invalid UTF-8, a repeated
// key that it reads (two "type" keys), and a key that differs from one it
// reads only in case ("Type"), which encoding/json would take for it.

// maxDepth bounds the nesting of arrays and objects, as in encoding/json.
const maxDepth = 10000

// Keys of the top-level object, indexing topKeys.
const (
	keyID = iota
	keyCreatedAt
	keyType
	keyObject
	keyData
)

var topKeys = []string{"id", "created_at", "type", "object", "data"}

// Keys of the data object, indexing dataKeys.
const (
	dataID = iota
	dataCallID
	dataSessionID
	dataSIPHeaders
	numDataFields
)

var dataKeys = []string{"id", "call_id", "session_id", "sip_headers"}

// Keys of a SIP header object.
const (
	sipName = iota
	sipValue
)

var sipHeaderKeys = []string{"name", "value"}

// A span locates the contents of a JSON string, without its quotes, in the
// body; escaped reports whether they hold escape sequences.
type span struct {
	start, end int
	escaped    bool
}

// size returns the length of the span in the body, which bounds the length of
// the string it holds once its escapes are decoded.
func (sp span) size() int { return sp.end - sp.start }

// sipHeaderSpan locates one SIP header's name and value.
type sipHeaderSpan struct{ name, value span }

// A scanner reads one body. Its zero value is ready for scan.
type scanner struct {
	b     []byte
	i     int // offset of the next byte to read
	depth int

	top                uint32 // bit k set: top-level key k was present
	id, typ, obj       span
	createdAt          int64
	dataStart, dataEnd int // the data object, braces included

	dataSeen   uint32               // bit k set: data key k was present
	dataSpans  [numDataFields]span  // string data fields
	dataErrs   [numDataFields]error // first problem with each data field
	sipHeaders []sipHeaderSpan      // valid when dataErrs[dataSIPHeaders] is nil
	sipBuf     [16]sipHeaderSpan    // backing for sipHeaders in the common case
}

// scan reads body. It returns an error for anything wrong whatever the
// event's type: malformed JSON, a repeated or ambiguous key, and top-level
// fields of the wrong JSON type. Problems with data fields are kept in
// s.dataErrs, since only the type says which of them matter.
func (s *scanner) scan(body []byte) error {
	s.b = body
	if !utf8.Valid(body) {
		return invalidPayload("body is not valid UTF-8")
	}
	s.ws()
	if s.peek() != '{' {
		return invalidPayload("body is not a JSON object")
	}
	seen, err := s.object(topKeys, s.topMember)
	if err != nil {
		return at("", err)
	}
	s.top = seen
	s.ws()
	if s.i != len(s.b) {
		return s.syntaxError()
	}
	return nil
}

// topMember reads the value of the top-level member with key k.
func (s *scanner) topMember(k int) error {
	switch k {
	case keyID:
		return s.stringValue(&s.id, "id")
	case keyCreatedAt:
		return s.integerValue(&s.createdAt, "created_at")
	case keyType:
		return s.stringValue(&s.typ, "type")
	case keyObject:
		if s.peek() == 'n' { // null: as if absent
			return s.literal("null")
		}
		return s.stringValue(&s.obj, "object")
	case keyData:
		if s.peek() != '{' {
			return s.typeError("data", "an object")
		}
		s.dataStart = s.i
		seen, err := s.object(dataKeys, s.dataMember)
		s.dataSeen, s.dataEnd = seen, s.i
		return at("data", err)
	}
	return s.skip()
}

// dataMember reads the value of the data member with key k. A value of the
// wrong JSON type is recorded in s.dataErrs and skipped.
func (s *scanner) dataMember(k int) error {
	switch k {
	case dataID, dataCallID, dataSessionID:
		if s.peek() != '"' {
			return s.skipBadData(k, "data."+dataKeys[k], "a string")
		}
		var err error
		s.dataSpans[k], err = s.str()
		return err
	case dataSIPHeaders:
		if s.peek() != '[' {
			return s.skipBadData(k, "data.sip_headers", "an array")
		}
		return s.sipHeaderList()
	}
	return s.skip()
}

// sipHeaderList reads the array of data.sip_headers into s.sipHeaders.
func (s *scanner) sipHeaderList() error {
	s.sipHeaders = s.sipBuf[:0]
	return s.array(func(n int) error {
		if s.peek() != '{' {
			return s.skipBadData(dataSIPHeaders, fmt.Sprintf("data.sip_headers[%d]", n), "an object")
		}
		var h sipHeaderSpan
		seen, err := s.object(sipHeaderKeys, func(k int) error {
			if k < 0 {
				return s.skip()
			}
			if s.peek() != '"' {
				return s.skipBadData(dataSIPHeaders, fmt.Sprintf("data.sip_headers[%d].%s", n, sipHeaderKeys[k]), "a string")
			}
			var err error
			if k == sipName {
				h.name, err = s.str()
			} else {
				h.value, err = s.str()
			}
			return err
		})
		if err != nil {
			return at(fmt.Sprintf("data.sip_headers[%d]", n), err)
		}
		for k, key := range sipHeaderKeys {
			if seen&(1<<k) == 0 && s.dataErrs[dataSIPHeaders] == nil {
				s.dataErrs[dataSIPHeaders] = fieldError(fmt.Sprintf("data.sip_headers[%d].%s", n, key), "missing")
			}
		}
		s.sipHeaders = append(s.sipHeaders, h)
		return nil
	})
}

// skipBadData records, unless a problem is already known for data field k,
// that the value at path is not what it should be, then skips the value.
func (s *scanner) skipBadData(k int, path, want string) error {
	if s.dataErrs[k] == nil {
		s.dataErrs[k] = s.typeError(path, want)
	}
	return s.skip()
}

// object reads the object at s.i, calling member for each member with the
// index of its key in names, or -1 for other keys, and s.i at the value;
// member must read the value. It returns which keys of names were present.
// A key of names given twice, or a key equal to one of names but for case,
// is a *keyError, which the caller turns into a PayloadError with [at].
func (s *scanner) object(names []string, member func(k int) error) (seen uint32, err error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	s.ws()
	if s.peek() == '}' {
		s.i++
		s.depth--
		return 0, nil
	}
	for {
		if s.peek() != '"' {
			return 0, s.syntaxError()
		}
		k, err := s.key(names)
		if err != nil {
			return 0, err
		}
		if k >= 0 {
			if seen&(1<<k) != 0 {
				return 0, &keyError{names[k], "key given twice"}
			}
			seen |= 1 << k
		}
		s.ws()
		if s.peek() != ':' {
			return 0, s.syntaxError()
		}
		s.i++
		s.ws()
		if err := member(k); err != nil {
			return 0, err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			s.depth--
			return seen, nil
		default:
			return 0, s.syntaxError()
		}
	}
}

// array reads the array at s.i, calling elem for each element with its index
// and s.i at the value; elem must read the value.
func (s *scanner) array(elem func(n int) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.ws()
	if s.peek() == ']' {
		s.i++
		s.depth--
		return nil
	}
	for n := 0; ; n++ {
		if err := elem(n); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case ']':
			s.i++
			s.depth--
			return nil
		default:
			return s.syntaxError()
		}
	}
}

// enter consumes the '{' or '[' at s.i, one level deeper.
func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return invalidPayload(fmt.Sprintf("JSON nested deeper than %d levels", maxDepth))
	}
	s.i++
	return nil
}

// key reads the object key at s.i and returns its index in names, or -1.
func (s *scanner) key(names []string) (int, error) {
	sp, err := s.str()
	if err != nil || len(names) == 0 {
		return -1, err
	}
	var buf [32]byte
	key := s.b[sp.start:sp.end]
	if sp.escaped {
		key = appendUnescaped(buf[:0], key)
	}
	for k, name := range names {
		if string(key) == name {
			return k, nil
		}
	}
	for _, name := range names {
		if bytes.EqualFold(key, []byte(name)) {
			return -1, &keyError{name, "key given in another case"}
		}
	}
	return -1, nil
}

// skip reads and discards the value at s.i.
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == '{':
		_, err := s.object(nil, func(int) error { return s.skip() })
		return err
	case c == '[':
		return s.array(func(int) error { return s.skip() })
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		_, err := s.number()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.syntaxError()
}

// stringValue reads the string value of the top-level field name into sp.
func (s *scanner) stringValue(sp *span, name string) error {
	if s.peek() != '"' {
		return s.typeError(name, "a string")
	}
	var err error
	*sp, err = s.str()
	return err
}

// integerValue reads the integer value of the top-level field name into n.
// Like encoding/json decoding into an int64, it rejects fractions, exponents
// and values out of range.
func (s *scanner) integerValue(n *int64, name string) error {
	c := s.peek()
	if c != '-' && (c < '0' || c > '9') {
		return s.typeError(name, "an integer")
	}
	start := s.i
	isInt, err := s.number()
	if err != nil {
		return err
	}
	digits := s.b[start:s.i]
	if !isInt {
		return fieldError(name, "want an integer, got a number with a fraction or exponent")
	}
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	// Accumulate negatively: the range of int64 is one larger below zero.
	var v int64
	const minInt64 = -1 << 63
	for _, d := range digits {
		if v < (minInt64+int64(d-'0'))/10 {
			return fieldError(name, "integer out of range")
		}
		v = v*10 - int64(d-'0')
	}
	if !neg {
		if v == minInt64 {
			return fieldError(name, "integer out of range")
		}
		v = -v
	}
	*n = v
	return nil
}

// str reads the string at s.i, which must start with '"', and returns the
// span of its contents. It checks escapes and rejects control characters;
// scan has checked the body is UTF-8.
func (s *scanner) str() (span, error) {
	start := s.i + 1
	escaped := false
	for i := start; i < len(s.b); {
		switch c := s.b[i]; {
		case c == '"':
			s.i = i + 1
			return span{start, i, escaped}, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(s.b) {
				s.i = len(s.b)
				return span{}, s.syntaxError()
			}
			switch s.b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(s.b[i+2:]); !ok {
					s.i = i
					return span{}, s.syntaxError()
				}
				i += 6
			default:
				s.i = i
				return span{}, s.syntaxError()
			}
		case c < 0x20:
			s.i = i
			return span{}, s.syntaxError()
		default:
			i++
		}
	}
	s.i = len(s.b)
	return span{}, s.syntaxError()
}

// number reads the number at s.i and reports whether it has neither a
// fraction nor an exponent.
func (s *scanner) number() (isInt bool, err error) {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return false, s.syntaxError()
	}
	isInt = true
	if s.peek() == '.' {
		isInt = false
		s.i++
		if !isDigit(s.peek()) {
			return false, s.syntaxError()
		}
		s.digits()
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		isInt = false
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !isDigit(s.peek()) {
			return false, s.syntaxError()
		}
		s.digits()
	}
	return isInt, nil
}

// digits skips a run of decimal digits.
func (s *scanner) digits() {
	for isDigit(s.peek()) {
		s.i++
	}
}

// literal reads the literal word (true, false or null) at s.i.
func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return s.syntaxError()
	}
	s.i += len(word)
	return nil
}

// ws skips insignificant whitespace.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the byte at s.i, or 0 at the end of the body.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// syntaxError reports malformed JSON at s.i.
func (s *scanner) syntaxError() error {
	if s.i >= len(s.b) {
		return invalidPayload("unexpected end of JSON")
	}
	return invalidPayload(fmt.Sprintf("malformed JSON at byte %d", s.i))
}

// typeError reports that the value at s.i, the field at path, is not of the
// JSON type want. A value that is not JSON at all is a syntax error.
func (s *scanner) typeError(path, want string) error {
	var got string
	switch c := s.peek(); {
	case c == '{':
		got = "an object"
	case c == '[':
		got = "an array"
	case c == '"':
		got = "a string"
	case c == '-' || isDigit(c):
		got = "a number"
	case c == 't' || c == 'f':
		got = "a boolean"
	case c == 'n':
		got = "null"
	default:
		return s.syntaxError()
	}
	return fieldError(path, "want "+want+", got "+got)
}

// A keyError is a problem with a key of an object whose path only the
// caller of [scanner.object] knows.
type keyError struct{ key, problem string }

func (e *keyError) Error() string { return e.key + ": " + e.problem }

// at turns a *keyError from reading the object at path into a PayloadError,
// and returns any other error as it is.
func at(path string, err error) error {
	ke, ok := err.(*keyError)
	if !ok {
		return err
	}
	if path != "" {
		path += "."
	}
	return fieldError(path+ke.key, ke.problem)
}

// invalidPayload returns a PayloadError about the body as a whole.
func invalidPayload(problem string) error {
	return &PayloadError{Problem: problem}
}

// fieldError returns a PayloadError about the field at path.
func fieldError(path, problem string) error {
	return &PayloadError{Field: path, Problem: problem}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hex4 decodes the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped appends the contents of a JSON string, whose escapes str
// has checked, to dst with its escapes decoded as encoding/json decodes
// them: a \u escape of an unpaired surrogate becomes U+FFFD.
func appendUnescaped(dst, src []byte) []byte {
	for len(src) > 0 {
		i := bytes.IndexByte(src, '\\')
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i]...)
		src = src[i:]
		switch c := src[1]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(src[2:])
			src = src[6:]
			if utf16.IsSurrogate(r) {
				if len(src) >= 6 && src[0] == '\\' && src[1] == 'u' {
					r2, _ := hex4(src[2:])
					if pair := utf16.DecodeRune(r, r2); pair != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, pair)
						src = src[6:]
						continue
					}
				}
				r = unicode.ReplacementChar
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		src = src[2:]
	}
	return dst
}
