//go:build ignore

// mkevents reads catalogue.json, the one description of OpenAI's webhook
// events, and writes everything that is per event type:
//
//   - events_gen.go: the EventType constants, the open enumerations and their
//     known values, one struct per event with its data and nested structs,
//     their methods (a Has method per optional data field, which reads the
//     data's Raw field), the checks of required fields, and the table from
//     wire type to Go type that ParseEvent decodes with;
//   - webhookstest/samples_gen.go: the example delivery of every type, which
//     webhookstest.Sample returns;
//   - testdata/<type>.json: the same delivery, indented, as the fixture of
//     the package's tests (and no other testdata/*.json);
//   - README.md: the event table between its marker comments.
//
// Run it with go generate; CI fails when its output differs from the files
// in the repository. Adding a type is one entry in catalogue.json and go
// generate.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-openai-webhooks/webhooks/internal/catalogue"
)

func main() {
	c, err := catalogue.Load("catalogue.json")
	if err != nil {
		log.Fatal(err)
	}

	write("events_gen.go", eventsFile(c))
	write("webhookstest/samples_gen.go", samplesFile(c))
	writeFixtures(c)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		log.Fatal(err)
	}
	const begin, end = "<!-- event-types:begin (go generate writes this table) -->\n", "<!-- event-types:end -->"
	before, rest, ok1 := strings.Cut(string(readme), begin)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		log.Fatalf("README.md: no %q ... %q markers", begin, end)
	}
	if err := os.WriteFile("README.md", []byte(before+begin+readmeTable(c)+end+after), 0o644); err != nil {
		log.Fatal(err)
	}
}

// write formats Go source and writes it to name.
func write(name, src string) {
	out, err := format.Source([]byte(src))
	if err != nil {
		log.Fatalf("formatting %s: %v\n%s", name, err, src)
	}
	if err := os.WriteFile(name, out, 0o644); err != nil {
		log.Fatal(err)
	}
}

// tag returns the struct tag of f.
func tag(f catalogue.Field) string {
	j := f.Name
	if !f.Required {
		j += ",omitzero"
	}
	tag := `json:"` + j + `"`
	switch {
	case f.Nonempty:
		tag += ` schema:"required,nonempty"`
	case f.Required:
		tag += ` schema:"required"`
	}
	return "`" + tag + "`"
}

// doc formats text as a Go comment wrapped at 77 columns, indented by indent
// tabs; blank lines in text separate paragraphs.
func doc(indent int, text string) string {
	prefix := strings.Repeat("\t", indent) + "//"
	var b strings.Builder
	for i, para := range strings.Split(text, "\n\n") {
		if i > 0 {
			b.WriteString("\n" + prefix + "\n")
		}
		line := prefix
		for _, word := range strings.Fields(para) {
			if len(line) > len(prefix) && 4*indent+len(line)-indent+1+len(word) > 77 {
				b.WriteString(line + "\n")
				line = prefix
			}
			line += " " + word
		}
		b.WriteString(line)
	}
	return b.String()
}

// check returns the Go conditions that hold when the value at expr has what
// f requires, as far as the decoded values show it (see decode.go). A missing
// required string or integer of a prefilled struct (one inside the event,
// held as a value) holds unset or unsetInt; and any empty required string or
// zero required integer may have been null, or missing from a struct that
// decoding allocated (an array element, an optional object). The conditions
// are false then, and ParseEvent checks the body field by field.
func check(f catalogue.Field, expr string, prefilled bool) []string {
	var conds []string
	switch f.Type {
	case "string":
		if f.Required {
			conds = append(conds, expr+` != ""`)
			if prefilled {
				conds = append(conds, expr+" != unset")
			}
		}
	case "integer":
		if f.Required {
			conds = append(conds, expr+" != 0")
			if prefilled {
				conds = append(conds, expr+" != unsetInt")
			}
		}
	case "object":
		var inner []string
		for _, sub := range f.Fields {
			inner = append(inner, check(sub, expr+"."+sub.GoName, prefilled && f.Required)...)
		}
		if len(inner) == 0 && f.Required {
			// A null object decodes to its zero value; only a required
			// field inside can show it.
			log.Fatalf("field %q: a required object, or an element of an array, needs a required string or integer", f.Name)
		}
		if !f.Required {
			if len(inner) > 0 {
				conds = append(conds, "("+expr+" == nil || "+strings.Join(inner, " && ")+")")
			}
		} else {
			conds = append(conds, inner...)
		}
	case "array":
		if f.Required {
			conds = append(conds, expr+" != nil")
		}
		if elem := check(*f.Items, "x", false); len(elem) > 0 {
			conds = append(conds, fmt.Sprintf("allOf(%s, func(x *%s) bool { return %s })",
				expr, strings.TrimPrefix(strings.TrimPrefix(f.GoType, "[]"), "*"), strings.Join(elem, " && ")))
		}
	}
	return conds
}

// prefill returns the Go literal of the prefilled value of f's struct type,
// or "" when nothing in it is prefilled.
func prefill(f catalogue.Field) string {
	if f.Type != "object" || !f.Required {
		return ""
	}
	var parts []string
	for _, sub := range f.Fields {
		switch {
		case sub.Type == "string" && sub.Required:
			parts = append(parts, sub.GoName+": unset")
		case sub.Type == "integer" && sub.Required:
			parts = append(parts, sub.GoName+": unsetInt")
		case prefill(sub) != "":
			parts = append(parts, sub.GoName+": "+prefill(sub))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return f.GoType + "{" + strings.Join(parts, ", ") + "}"
}

func eventsFile(c *catalogue.Catalogue) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("// Code generated by mkevents.go from catalogue.json; DO NOT EDIT.\n\npackage webhooks\n\n")
	p("import (\n\t\"encoding/json/jsontext\"\n\t\"time\"\n)\n\n")
	p("// The types of the events this package decodes into structs of their own.\nconst (\n")
	for _, e := range c.Events {
		text := fmt.Sprintf("EventType%s is sent when %s; see [%sWebhookEvent].", e.GoName, e.Sent, e.GoName)
		if e.Deprecated != "" {
			text += "\n\nDeprecated: " + e.Deprecated
		}
		p("%s\n\tEventType%s EventType = %q\n", doc(1, text), e.GoName, e.Type)
	}
	p(")\n\n// knownTypes lists the event types of this package, sorted.\nvar knownTypes = [...]EventType{\n")
	for _, e := range c.Events {
		p("\tEventType%s,\n", e.GoName)
	}
	p("}\n\n")
	p("// eventDecoders is the table from wire type to Go type: how to decode a\n// body of each type, prefilled as decode.go explains.\n")
	p("var eventDecoders = map[EventType]func(body []byte) (Event, error){\n")
	for _, e := range c.Events {
		var parts []string
		parts = append(parts, "ID: unset", "CreatedAt: unsetInt", "Type: unset")
		if lit := prefill(catalogue.Field{Type: "object", Required: true, Fields: e.Data, GoType: e.DataStructName()}); lit != "" {
			parts = append(parts, "Data: "+lit)
		}
		p("\tEventType%s: func(body []byte) (Event, error) {\n\t\treturn decodeAs(body, %sWebhookEvent{%s})\n\t},\n",
			e.GoName, e.GoName, strings.Join(parts, ", "))
	}
	p("}\n\n")

	for _, en := range c.Enums {
		p("%s\ntype %s string\n\n// Known values of [%s].\nconst (\n", doc(0, en.Doc), en.GoName, en.GoName)
		for _, v := range en.Values {
			p("%s\n\t%s %s = %q\n", doc(1, fmt.Sprintf("%s means %s.", v.GoName, v.Doc)), v.GoName, en.GoName, v.Value)
		}
		p(")\n\n")
	}
	for _, o := range c.Objects {
		p("%s\ntype %s struct {\n", doc(0, o.Doc), o.GoName)
		for _, f := range o.Fields {
			p("%s\n\t%s %s %s\n", doc(1, f.Doc), f.GoName, f.GoType, tag(f))
		}
		p("}\n\n")
	}

	for _, e := range c.Events {
		name := e.GoName + "WebhookEvent"
		text := fmt.Sprintf("%s is sent when %s.", name, e.Sent)
		if e.Notes != "" {
			text += " " + e.Notes
		}
		if e.Deprecated != "" {
			text += "\n\nDeprecated: " + e.Deprecated
		}
		p("%s\ntype %s struct {\n", doc(0, text), name)
		p("\t// ID is the unique ID of the event (evt_...).\n\tID string `json:\"id\" schema:\"required,nonempty\"`\n")
		p("\t// CreatedAt is when the event was created, in seconds since the Unix\n\t// epoch; see [%s.EventTime].\n\tCreatedAt int64 `json:\"created_at\" schema:\"required\"`\n", name)
		p("\t// Data is the event's payload.\n\tData %sData `json:\"data\" schema:\"required\"`\n", name)
		p("%s\n\tType EventType `json:\"type\" schema:\"required,nonempty\"`\n",
			doc(1, fmt.Sprintf("Type is the event's type: [EventType%s] (%q) once decoded. Marshalling writes that type whatever Type holds.", e.GoName, e.Type)))
		p("\t// Object is the kind of object, \"event\". OpenAI may leave it out: it is\n\t// then empty, and marshalling writes \"event\".\n\tObject string `json:\"object,omitzero\"`\n}\n\n")

		data := e.DataStructName()
		p("%s\ntype %s struct {\n", doc(0, fmt.Sprintf("%s is the payload of every [%s].", data, name)), data)
		for _, f := range e.Data {
			if f.GoName == "Raw" {
				log.Fatalf("%s: a field named Raw stands where the generated one would", data)
			}
			p("%s\n\t%s %s %s\n", doc(1, f.Doc), f.GoName, f.GoType, tag(f))
		}
		p("%s\n\tRaw jsontext.Value `json:\"-\"`\n}\n\n", doc(1, rawDoc))
		for _, f := range e.Data {
			if !f.Required {
				p("%s\n", hasMethod(data, f, e.Data))
			}
		}
		for _, n := range e.Nested {
			p("%s\ntype %s struct {\n", doc(0, n.GoName+" "+n.Doc), n.GoName)
			for _, f := range n.Fields {
				p("%s\n\t%s %s %s\n", doc(1, f.Doc), f.GoName, f.GoType, tag(f))
			}
			p("}\n\n")
		}
		for _, a := range e.Aliases {
			shared := strings.TrimPrefix(a, name+"Data")
			p("%s\ntype %s = %s\n\n", doc(0, fmt.Sprintf("%s is a [%s], under the name that openai-go gives it.", a, shared)), a, shared)
		}

		p("// EventID returns e.ID.\nfunc (e %s) EventID() string { return e.ID }\n\n", name)
		p("// EventType returns [EventType%s].\nfunc (e %s) EventType() EventType { return EventType%s }\n\n", e.GoName, name, e.GoName)
		p("// EventTime returns e.CreatedAt as a time in UTC.\nfunc (e %s) EventTime() time.Time { return unixTime(e.CreatedAt) }\n\n", name)
		p("func (%s) isEvent() {}\n\n", name)
		p("// MarshalJSON writes e as OpenAI sends it, with its own type and, when\n// e.Object is empty, \"object\":\"event\".\n")
		p("func (e %s) MarshalJSON() ([]byte, error) {\n\treturn marshalEvent(e.ID, e.Object, e.CreatedAt, EventType%s, e.Data)\n}\n\n", name, e.GoName)
		conds := []string{`e.ID != ""`, "e.ID != unset", "e.CreatedAt != 0", "e.CreatedAt != unsetInt"}
		conds = append(conds, check(catalogue.Field{Type: "object", Required: true, Fields: e.Data}, "e.Data", true)...)
		p("func (e %s) complete() bool {\n\treturn %s\n}\n\n", name, strings.Join(conds, " &&\n\t\t"))
		p("func (e %s) decodedType() EventType { return e.Type }\n\n", name)
		p("func (e %s) withRaw(body []byte) Event {\n\te.Data.Raw = rawData(body)\n\treturn e\n}\n\n", name)
	}
	return b.String()
}

// rawDoc is the documentation of the Raw field of every event's data.
const rawDoc = `Raw is the delivery's data object exactly as received: the bytes of
the body given to ParseEvent (or Unwrap), which it aliases, not a copy. It
keeps what the catalogue does not name yet, for the caller to decode:
json.Unmarshal(e.Data.Raw, &mine). The caller must not modify the body
while it uses Raw. Raw is nil in a struct built by hand or decoded by
json.Unmarshal, and json.Marshal ignores it, so that a struct literal
marshals to its own body. Being a slice, it makes the struct incomparable
with ==; assert.Equal of a decoded event with a literal needs Raw set to
nil first.`

// hasMethod returns the Has method of the optional field f of the data
// struct named data, whose fields are all.
func hasMethod(data string, f catalogue.Field, all []catalogue.Field) string {
	for _, other := range all {
		if other.GoName == "Has"+f.GoName {
			log.Fatalf("%s: a field named %s stands where the generated method would", data, other.GoName)
		}
	}
	zero, leaves := `""`, "empty"
	switch {
	case f.Type == "integer":
		zero, leaves = "0", "0"
	case strings.HasPrefix(f.GoType, "*") || f.Type == "array":
		zero, leaves = "nil", "nil"
	}
	text := fmt.Sprintf("Has%[1]s reports whether the delivery's data had the member %[2]q. A JSON null counts as present, although it leaves %[1]s %[3]s as absence does. It reads d.Raw; when Raw is nil, as in a struct built by hand, it reports whether %[1]s is not its zero value.",
		f.GoName, f.Name, leaves)
	return fmt.Sprintf("%s\nfunc (d %s) Has%s() bool {\n\tif d.Raw == nil {\n\t\treturn d.%s != %s\n\t}\n\treturn memberValue(d.Raw, %q) != nil\n}\n",
		doc(0, text), data, f.GoName, f.GoName, zero, f.Name)
}

func samplesFile(c *catalogue.Catalogue) string {
	var b strings.Builder
	b.WriteString("// Code generated by mkevents.go from catalogue.json; DO NOT EDIT.\n\npackage webhookstest\n\n")
	b.WriteString("import \"github.com/go-openai-webhooks/webhooks\"\n\n")
	b.WriteString("// samples are the bodies that Sample returns: one delivery of each event\n// type, with every field of the catalogue set to its example.\n")
	b.WriteString("var samples = map[webhooks.EventType]string{\n")
	for _, e := range c.Events {
		body := string(e.Delivery())
		lit := strconv.Quote(body)
		if strconv.CanBackquote(body) {
			lit = "`" + body + "`"
		}
		fmt.Fprintf(&b, "\t%q: %s,\n", e.Type, lit)
	}
	b.WriteString("}\n")
	return b.String()
}

// writeFixtures writes testdata/<type>.json, the example delivery of each
// type indented, and removes the fixtures of types the catalogue no longer
// has.
func writeFixtures(c *catalogue.Catalogue) {
	old, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range old {
		if _, ok := c.Event(strings.TrimSuffix(filepath.Base(name), ".json")); !ok {
			if err := os.Remove(name); err != nil {
				log.Fatal(err)
			}
		}
	}
	for _, e := range c.Events {
		var body bytes.Buffer
		if err := json.Indent(&body, e.Delivery(), "", "  "); err != nil {
			log.Fatal(err)
		}
		body.WriteByte('\n')
		if err := os.WriteFile(filepath.Join("testdata", e.Type+".json"), body.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func readmeTable(c *catalogue.Catalogue) string {
	var b strings.Builder
	b.WriteString("| `type` on the wire | Go struct | `Data` fields (optional ones in italics) |\n| --- | --- | --- |\n")
	for _, e := range c.Events {
		var fields []string
		for _, f := range e.Data {
			name := "`" + f.GoName + "`"
			if f.Enum != "" {
				name += " (`" + f.Enum + "`)"
			}
			if f.Type == "object" {
				var sub []string
				for _, s := range f.Fields {
					sub = append(sub, "`"+s.GoName+"`")
				}
				name += " {" + strings.Join(sub, ", ") + "}"
			}
			if !f.Required {
				name = "*" + name + "*"
			}
			fields = append(fields, name)
		}
		goName := "`" + e.GoName + "WebhookEvent`"
		if e.Deprecated != "" {
			goName += " (deprecated)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", e.Type, goName, strings.Join(fields, ", "))
	}
	b.WriteString("| anything else | `UnknownEvent` | `Data` as `json.RawMessage` |\n")
	return b.String()
}
