package webhooks

import (
	"bytes"
	"encoding/json/jsontext"
)

// rawData returns the value of the top-level member "data" of body, a JSON
// object that ParseEvent has decoded, as it is written there: a slice of
// body, not a copy, whose capacity ends with the value, so that appending to
// it cannot overwrite the rest of the body. It does not decode the value
// again, and returns nil when body has no such member.
func rawData(body []byte) jsontext.Value {
	if v := dataAfterType(body); v >= 0 {
		return valueAt(body, v)
	}
	return memberValue(body, "data")
}

// dataAfterType returns where the value of "data" starts in body when body
// is laid out as OpenAI writes it, with "data" right after "type" and no "{"
// before "type", or -1. Nothing before "type" is nested then, so that a
// string ending in type, followed by a colon, is the name of a top-level
// member, whatever came before it (the name is "type", or one ending in an
// escaped quote and type); and a "data" right after that member's string
// value is the top-level member "data". Finding "type" by its "y", as
// typeGuess does, and checking the bytes before it for a "{" costs less than
// walking from string to string.
func dataAfterType(body []byte) int {
	const typeName, dataName = `"type"`, `"data"`
	at := -1
	for from := 2; from < len(body); {
		y := bytes.IndexByte(body[from:], 'y')
		if y < 0 {
			return -1
		}
		y += from
		if y+3 < len(body) && string(body[y-2:y+4]) == typeName {
			at = y - 2
			break
		}
		from = y + 1
	}
	if at < 0 {
		return -1
	}
	if open := skipSpace(body, 0); open >= at || body[open] != '{' || bytes.IndexByte(body[open+1:at], '{') >= 0 {
		return -1
	}
	colon := skipSpace(body, at+len(typeName))
	if colon >= len(body) || body[colon] != ':' {
		return -1
	}
	v := skipSpace(body, colon+1)
	if v >= len(body) || body[v] != '"' {
		return -1
	}
	end := stringEnd(body, v)
	if end < 0 {
		return -1
	}
	comma := skipSpace(body, end+1)
	if comma >= len(body) || body[comma] != ',' {
		return -1
	}
	name := skipSpace(body, comma+1)
	if !bytes.HasPrefix(body[name:], []byte(dataName)) {
		return -1
	}
	colon = skipSpace(body, name+len(dataName))
	if colon >= len(body) || body[colon] != ':' {
		return -1
	}
	return skipSpace(body, colon+1)
}

// memberValue returns the value of the first member named name of the JSON
// object obj, as valueAt does, or nil when obj has none. A member name is
// compared unescaped ("d\u0061ta" is "data"), as decoding compares it. It
// walks the members, skipping each value as valueAt does; it is exact for
// valid JSON, and safe for anything else.
func memberValue(obj []byte, name string) jsontext.Value {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	for i = skipSpace(obj, i+1); i < len(obj) && obj[i] == '"'; i = skipSpace(obj, i+1) {
		end := stringEnd(obj, i)
		if end < 0 {
			return nil
		}
		colon := skipSpace(obj, end+1)
		if colon >= len(obj) || obj[colon] != ':' {
			return nil
		}
		v := skipSpace(obj, colon+1)
		if isName(obj[i:end+1], name) {
			return valueAt(obj, v)
		}
		next := valueEnd(obj, v)
		if next < 0 {
			return nil
		}
		if i = skipSpace(obj, next); i >= len(obj) || obj[i] != ',' {
			return nil
		}
	}
	return nil
}

// valueAt returns the JSON value that starts at b[start], as a slice of b
// whose capacity ends with the value, or nil when b ends before it does.
func valueAt(b []byte, start int) jsontext.Value {
	end := valueEnd(b, start)
	if end < 0 {
		return nil
	}
	return b[start:end:end]
}

// valueEnd returns the index just after the JSON value that starts at
// b[start], or -1 when b ends before it does. It jumps over strings as
// stringEnd does, and counts the brackets outside them.
func valueEnd(b []byte, start int) int {
	if start >= len(b) {
		return -1
	}
	switch b[start] {
	case '"':
		if end := stringEnd(b, start); end >= 0 {
			return end + 1
		}
		return -1
	case '{', '[':
		depth := 0
		for i := start; i < len(b); i++ {
			if !structural[b[i]] {
				continue
			}
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			case '"':
				if i = stringEnd(b, i); i < 0 {
					return -1
				}
			}
		}
		return -1
	}
	// A number, true, false or null, which ends before a delimiter.
	end := start
	for end < len(b) && !delimiter[b[end]] {
		end++
	}
	return end
}

// isName reports whether the quoted member name q, unescaped, is name.
func isName(q []byte, name string) bool {
	if len(q) == len(name)+2 && string(q[1:len(q)-1]) == name {
		return true
	}
	return bytes.IndexByte(q, '\\') >= 0 && string(unquote(q)) == name
}

// structural marks the bytes that valueEnd stops at outside strings.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// delimiter marks the bytes that end a number or a literal in valid JSON.
var delimiter = [256]bool{',': true, '}': true, ']': true, ' ': true, '\t': true, '\n': true, '\r': true}
