package webhooks

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
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
}

// scan reads body. It returns an error for anything wrong whatever the
// event's type: malformed JSON, a repeated or ambiguous key, and top-level
// fields of the wrong JSON type. Problems with data fields are kept in
// s.dataErrs, since only the type says which of them matter.
func (s *scanner) scan(body []byte) error {
	s.b = body
	s.ws()
	if s.peek() != '{' {
		return invalidPayload("body is not a JSON object")
	}
	m, err := s.object(topKeys)
	for err == nil {
		var k int
		if k, err = s.next(&m); k == done || err != nil {
			break
		}
		err = s.topMember(k)
	}
	if err != nil {
		return at("", err)
	}
	s.top = m.seen
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
		return at("data", s.dataObject())
	}
	return s.skip()
}

// dataObject reads the data object. A value of the wrong JSON type is
// recorded in s.dataErrs and skipped.
func (s *scanner) dataObject() error {
	s.dataStart = s.i
	m, err := s.object(dataKeys)
	for err == nil {
		var k int
		if k, err = s.next(&m); k == done || err != nil {
			break
		}
		switch k {
		case dataID, dataCallID, dataSessionID:
			if s.peek() != '"' {
				err = s.skipBadData(k, "data."+dataKeys[k], "a string")
				break
			}
			s.dataSpans[k], err = s.str()
		case dataSIPHeaders:
			if s.peek() != '[' {
				err = s.skipBadData(k, "data.sip_headers", "an array")
				break
			}
			err = s.sipHeaderList()
		default:
			err = s.skip()
		}
	}
	s.dataSeen, s.dataEnd = m.seen, s.i
	return err
}

// sipHeaderList reads the array of data.sip_headers into s.sipHeaders.
func (s *scanner) sipHeaderList() error {
	s.sipHeaders = make([]sipHeaderSpan, 0, 8)
	a, err := s.array()
	for n := 0; err == nil; n++ {
		var more bool
		if more, err = s.nextElem(&a); !more || err != nil {
			break
		}
		if s.peek() != '{' {
			err = s.skipBadData(dataSIPHeaders, fmt.Sprintf("data.sip_headers[%d]", n), "an object")
			continue
		}
		var h sipHeaderSpan
		if err = s.sipHeader(n, &h); err != nil {
			return at(fmt.Sprintf("data.sip_headers[%d]", n), err)
		}
		s.sipHeaders = append(s.sipHeaders, h)
	}
	return err
}

// sipHeader reads the n-th object of data.sip_headers into h.
func (s *scanner) sipHeader(n int, h *sipHeaderSpan) error {
	m, err := s.object(sipHeaderKeys)
	for err == nil {
		var k int
		if k, err = s.next(&m); k == done || err != nil {
			break
		}
		switch {
		case k < 0:
			err = s.skip()
		case s.peek() != '"':
			err = s.skipBadData(dataSIPHeaders, fmt.Sprintf("data.sip_headers[%d].%s", n, sipHeaderKeys[k]), "a string")
		case k == sipName:
			h.name, err = s.str()
		default:
			h.value, err = s.str()
		}
	}
	if err != nil {
		return err
	}
	for k, key := range sipHeaderKeys {
		if m.seen&(1<<k) == 0 && s.dataErrs[dataSIPHeaders] == nil {
			s.dataErrs[dataSIPHeaders] = fieldError(fmt.Sprintf("data.sip_headers[%d].%s", n, key), "missing")
		}
	}
	return nil
}

// skipBadData records, unless a problem is already known for data field k,
// that the value at path is not what it should be, then skips the value.
func (s *scanner) skipBadData(k int, path, want string) error {
	if s.dataErrs[k] == nil {
		s.dataErrs[k] = s.typeError(path, want)
	}
	return s.skip()
}

// done is what [scanner.next] returns at the end of an object.
const done = -2

// members iterates over the members of one object; see [scanner.object].
type members struct {
	names   []string
	seen    uint32 // bit k set: key names[k] was present
	started bool
}

// object consumes the '{' at s.i and returns an iterator over the object's
// members, whose keys of interest are names.
func (s *scanner) object(names []string) (members, error) {
	return members{names: names}, s.enter()
}

// next advances to the next member of m. It returns the index of the
// member's key in m.names, or -1 for another key, with s.i at the value,
// which the caller must read; or done after the object's closing brace. A
// key of names given twice, or a key equal to one of names but for case, is
// a *keyError, which the caller turns into a PayloadError with [at].
func (s *scanner) next(m *members) (int, error) {
	b, i := s.b, skipWS(s.b, s.i)
	switch {
	case i < len(b) && b[i] == '}':
		s.i = i + 1
		s.depth--
		return done, nil
	case !m.started:
		m.started = true
	case i < len(b) && b[i] == ',':
		i = skipWS(b, i+1)
	default:
		s.i = i
		return done, s.syntaxError()
	}
	// A key follows '{' or ',': a '}' after ',' is a syntax error here.
	s.i = i
	if i >= len(b) || b[i] != '"' {
		return done, s.syntaxError()
	}
	k, err := s.key(m.names)
	if err != nil {
		return done, err
	}
	if k >= 0 {
		if m.seen&(1<<k) != 0 {
			return done, &keyError{m.names[k], "key given twice"}
		}
		m.seen |= 1 << k
	}
	i = skipWS(b, s.i)
	if i >= len(b) || b[i] != ':' {
		s.i = i
		return done, s.syntaxError()
	}
	s.i = skipWS(b, i+1)
	return k, nil
}

// elements iterates over the elements of one array; see [scanner.array].
type elements struct{ started bool }

// array consumes the '[' at s.i and returns an iterator over its elements.
func (s *scanner) array() (elements, error) {
	return elements{}, s.enter()
}

// nextElem advances to the next element of a, with s.i at it, which the
// caller must read; it reports false after the array's closing bracket.
func (s *scanner) nextElem(a *elements) (bool, error) {
	b, i := s.b, skipWS(s.b, s.i)
	switch {
	case i < len(b) && b[i] == ']':
		s.i = i + 1
		s.depth--
		return false, nil
	case !a.started:
		a.started = true
	case i < len(b) && b[i] == ',':
		i = skipWS(b, i+1) // a value follows: a ']' after ',' is a syntax error for the caller
	default:
		s.i = i
		return false, s.syntaxError()
	}
	s.i = i
	return true, nil
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
	// A key of names written as it is, without escapes, is the common case:
	// the names hold no quote or backslash, so the bytes match exactly.
	rest := s.b[s.i+1:]
	for k, name := range names {
		if len(rest) > len(name) && rest[len(name)] == '"' && string(rest[:len(name)]) == name {
			s.i += len(name) + 2
			return k, nil
		}
	}
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
		m, err := s.object(nil)
		for err == nil {
			var k int
			if k, err = s.next(&m); k == done || err != nil {
				break
			}
			err = s.skip()
		}
		return err
	case c == '[':
		a, err := s.array()
		for err == nil {
			var more bool
			if more, err = s.nextElem(&a); !more || err != nil {
				break
			}
			err = s.skip()
		}
		return err
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
	if c != '-' && !isDigit(c) {
		return s.typeError(name, "an integer")
	}
	start := s.i
	neg := c == '-'
	if neg {
		s.i++
	}
	// Accumulate negatively: the range of int64 is one larger below zero.
	// Fewer than 19 digits always fit.
	const minInt64 = -1 << 63
	var v int64
	overflow := false
	digits := s.i
	for ; s.i < len(s.b) && isDigit(s.b[s.i]); s.i++ {
		d := int64(s.b[s.i] - '0')
		if s.i-digits >= 18 && v < (minInt64+d)/10 {
			overflow = true
		}
		v = v*10 - d
	}
	if s.i == digits || s.b[digits] == '0' && s.i-digits > 1 {
		return s.syntaxError() // no digits, or a leading zero
	}
	if c := s.peek(); c == '.' || c == 'e' || c == 'E' {
		s.i = start
		if _, err := s.number(); err != nil {
			return err
		}
		return fieldError(name, "want an integer, got a number with a fraction or exponent")
	}
	if overflow || !neg && v == minInt64 {
		return fieldError(name, "integer out of range")
	}
	if !neg {
		v = -v
	}
	*n = v
	return nil
}

// str reads the string at s.i, which must start with '"', and returns the
// span of its contents. It checks escapes and UTF-8, and rejects control
// characters. Strings are the only place where JSON allows bytes above
// 0x7F, so checking them checks the whole body.
func (s *scanner) str() (span, error) {
	start := s.i + 1
	escaped := false
	for i := start; ; {
		i = plainRun(s.b, i)
		switch {
		case i >= len(s.b):
			s.i = len(s.b)
			return span{}, s.syntaxError()
		case s.b[i] == '"':
			s.i = i + 1
			return span{start, i, escaped}, nil
		case s.b[i] >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(s.b[i:])
			if r == utf8.RuneError && size == 1 {
				s.i = i
				return span{}, invalidPayload(fmt.Sprintf("invalid UTF-8 at byte %d", i))
			}
			i += size
			continue
		case s.b[i] == '\\' && i+1 < len(s.b):
			escaped = true
			switch s.b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
				continue
			case 'u':
				if _, ok := hex4(s.b[i+2:]); ok {
					i += 6
					continue
				}
			}
		}
		s.i = i // a control character, or a bad escape
		return span{}, s.syntaxError()
	}
}

// plainRun returns the offset of the first byte at or after i in b that is a
// quote, a backslash, a control character or not ASCII, or len(b). It tests
// eight bytes at a time: a byte x of the word is zero (or below 0x20) when
// x-1 (or x-0x20) borrows into its high bit while x's own high bit is
// clear, and not ASCII when its high bit is set. A borrow can flag a byte
// above a real match too, never below, so the lowest flagged byte is a real
// match.
func plainRun(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for w := b[i:]; len(w) >= 8; w = w[8:] {
		v := binary.LittleEndian.Uint64(w)
		quote := v ^ (ones * '"')
		backslash := v ^ (ones * '\\')
		special := ((quote - ones) &^ quote) | ((backslash - ones) &^ backslash) | ((v - ones*0x20) &^ v) | v
		if special &= highs; special != 0 {
			return i + bits.TrailingZeros64(special)/8
		}
		i += 8
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
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
func (s *scanner) ws() { s.i = skipWS(s.b, s.i) }

// skipWS returns the offset of the first byte at or after i in b that is not
// insignificant whitespace.
func skipWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
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
