package webhooks

import (
	"bytes"
	jsonv1 "encoding/json"
	"encoding/json/jsontext"
	"reflect"
	"strconv"
	"strings"
)

// rawMessageType is the type of [UnknownEvent.Data]: any JSON object.
var rawMessageType = reflect.TypeFor[jsonv1.RawMessage]()

// checkSchema reads body, which decoded into a value of type t without error,
// token by token alongside t, and reports the first field that is not what
// the schema says: a required field that is missing or null, an empty id, or
// a member name that differs only in case from a field of t. The schema is
// in the struct tags that mkevents.go generates: json for the name,
// schema:"required" and schema:"required,nonempty".
//
// ParseEvent calls it only when the decoded values are not conclusive, which
// a valid delivery from OpenAI rarely is; it is slower than decoding.
func checkSchema(body []byte, t reflect.Type) error {
	// A bytes.Buffer is read in place, without a copy of the body.
	dec := jsontext.NewDecoder(bytes.NewBuffer(body))
	return checkValue(dec, t, "", true, false)
}

// checkValue checks the next value of dec against t. path names it.
func checkValue(dec *jsontext.Decoder, t reflect.Type, path string, required, nonempty bool) error {
	kind := dec.PeekKind()
	if kind == 'n' {
		if _, err := dec.ReadToken(); err != nil {
			return fieldError(path, err.Error())
		}
		if required {
			return fieldError(path, "want "+jsonWant(t)+", got null")
		}
		return nil
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	want := map[reflect.Kind]jsontext.Kind{reflect.String: '"', reflect.Int64: '0', reflect.Slice: '[', reflect.Struct: '{'}[t.Kind()]
	if t == rawMessageType {
		want = '{'
	}
	if kind != want {
		return fieldError(path, "want "+jsonWant(t)+", got "+kind.String())
	}
	switch {
	case t == rawMessageType:
		return skip(dec, path)
	case t.Kind() == reflect.Struct:
		return checkObject(dec, t, path)
	case t.Kind() == reflect.Slice:
		if _, err := dec.ReadToken(); err != nil {
			return fieldError(path, err.Error())
		}
		for i := 0; dec.PeekKind() != ']'; i++ {
			if err := checkValue(dec, t.Elem(), path+"["+strconv.Itoa(i)+"]", true, false); err != nil {
				return err
			}
		}
		_, err := dec.ReadToken()
		if err != nil {
			return fieldError(path, err.Error())
		}
		return nil
	case nonempty:
		tok, err := dec.ReadToken()
		if err != nil {
			return fieldError(path, err.Error())
		}
		if tok.String() == "" {
			return fieldError(path, "empty")
		}
		return nil
	}
	return skip(dec, path)
}

// schemaField is one field of a struct, as checkObject reads it.
type schemaField struct {
	name               string
	typ                reflect.Type
	required, nonempty bool
}

// checkObject checks the object that is dec's next value against struct t.
func checkObject(dec *jsontext.Decoder, t reflect.Type, path string) error {
	var fields []schemaField
	for sf := range t.Fields() {
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue // Raw, which decoding leaves alone
		}
		schema := sf.Tag.Get("schema")
		fields = append(fields, schemaField{
			name:     name,
			typ:      sf.Type,
			required: strings.HasPrefix(schema, "required"),
			nonempty: strings.HasSuffix(schema, ",nonempty"),
		})
	}
	if _, err := dec.ReadToken(); err != nil {
		return fieldError(path, err.Error())
	}
	seen := make([]bool, len(fields))
	for dec.PeekKind() != '}' {
		quoted, err := dec.ReadValue()
		if err != nil {
			return fieldError(path, err.Error())
		}
		name, found := unquote(quoted), false
		for i, f := range fields {
			if string(name) == f.name {
				seen[i], found = true, true
				if err := checkValue(dec, f.typ, joinPath(path, f.name), f.required, f.nonempty); err != nil {
					return err
				}
				break
			}
		}
		if found {
			continue
		}
		for _, f := range fields {
			// encoding/json (v1) would take this member for f.
			if bytes.EqualFold(name, []byte(f.name)) {
				return fieldError(joinPath(path, f.name), "given as "+strconv.Quote(string(name))+", which differs in case")
			}
		}
		if err := skip(dec, path); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return fieldError(path, err.Error())
	}
	for i, f := range fields {
		if f.required && !seen[i] {
			return fieldError(joinPath(path, f.name), "missing")
		}
	}
	return nil
}

// skip skips dec's next value.
func skip(dec *jsontext.Decoder, path string) error {
	if err := dec.SkipValue(); err != nil {
		return fieldError(path, err.Error())
	}
	return nil
}

// joinPath returns the path of the member name of the object at path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
