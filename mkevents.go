//go:build ignore

// mkevents reads catalogue.json, the one description of OpenAI's webhook
// events, and writes everything that is per event type:
//
//   - events_gen.go: the EventType constants, the open enumerations and their
//     known values, one struct per event with its data and nested structs,
//     their methods, the checks of required fields, and the table from wire
//     type to Go type that ParseEvent decodes with;
//   - webhookstest/samples_gen.go: a realistic sample delivery of every type;
//   - README.md: the event table between its marker comments.
//
// Run it with go generate; CI fails when its output differs from the files
// in the repository. Adding a type is one entry in catalogue.json, a fixture
// in testdata/<type>.json, and go generate.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/format"
	"log"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

type catalogue struct {
	About   []string         `json:"about"`
	Enums   []enum           `json:"enums"`
	Objects []object         `json:"objects"`
	Fields  map[string]field `json:"fields"`
	Events  []event          `json:"events"`
}

type enum struct {
	GoName string `json:"go_name"`
	Doc    string `json:"doc"`
	Values []struct {
		Value  string `json:"value"`
		GoName string `json:"go_name"`
		Doc    string `json:"doc"`
	} `json:"values"`
}

// An object is a struct shared by several events, such as SipHeader.
type object struct {
	GoName string  `json:"go_name"`
	Doc    string  `json:"doc"`
	Fields []field `json:"fields"`
}

type field struct {
	Name      string          `json:"name"`
	GoName    string          `json:"go_name"`
	Type      string          `json:"type"` // string, integer, object, array
	Required  bool            `json:"required"`
	Nonempty  bool            `json:"nonempty"`
	Enum      string          `json:"enum"`
	Object    string          `json:"object"`     // a shared object
	GoSuffix  string          `json:"go_suffix"`  // an object of the event's own
	StructDoc string          `json:"struct_doc"` // its doc, after its name
	Fields    []field         `json:"fields"`     // its fields
	Items     *field          `json:"items"`
	Doc       string          `json:"doc"`
	Example   json.RawMessage `json:"example"`

	goType string // resolved by resolve
}

type event struct {
	Type       string            `json:"type"`
	GoName     string            `json:"go_name"`
	Sent       string            `json:"sent"`
	Notes      string            `json:"notes"`
	Deprecated string            `json:"deprecated"`
	RawData    []json.RawMessage `json:"data"`

	data    []field
	nested  []nestedStruct // structs of this event's own, in order
	aliases []string       // shared objects used, by Go name
}

type nestedStruct struct {
	goName, doc string
	fields      []field
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func main() {
	raw, err := os.ReadFile("catalogue.json")
	if err != nil {
		log.Fatal(err)
	}
	var c catalogue
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		log.Fatalf("catalogue.json: %v", err)
	}
	if err := c.resolve(); err != nil {
		log.Fatalf("catalogue.json: %v", err)
	}
	slices.SortFunc(c.Events, func(a, b event) int { return strings.Compare(a.Type, b.Type) })

	write("events_gen.go", c.eventsFile())
	write("webhookstest/samples_gen.go", c.samplesFile())
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
	if err := os.WriteFile("README.md", []byte(before+begin+c.readmeTable()+end+after), 0o644); err != nil {
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

// resolve expands the shared fields of every event, checks the catalogue and
// works out the Go type of every field.
func (c *catalogue) resolve() error {
	enums := map[string]bool{}
	for _, e := range c.Enums {
		enums[e.GoName] = true
	}
	objects := map[string]bool{}
	for i := range c.Objects {
		objects[c.Objects[i].GoName] = true
		for j := range c.Objects[i].Fields {
			if err := c.resolveField(&c.Objects[i].Fields[j], "", nil, enums, objects); err != nil {
				return fmt.Errorf("object %s: %w", c.Objects[i].GoName, err)
			}
		}
	}
	seen := map[string]bool{}
	for i := range c.Events {
		e := &c.Events[i]
		if seen[e.Type] || e.Type == "" || e.GoName == "" || e.Sent == "" {
			return fmt.Errorf("event %q: duplicate, or without type, go_name or sent", e.Type)
		}
		seen[e.Type] = true
		for _, r := range e.RawData {
			var f field
			var ref string
			if json.Unmarshal(r, &ref) == nil {
				shared, ok := c.Fields[ref]
				if !ok {
					return fmt.Errorf("event %s: no field %q in fields", e.Type, ref)
				}
				f = shared
			} else if err := json.Unmarshal(r, &f); err != nil {
				return fmt.Errorf("event %s: %w", e.Type, err)
			}
			if err := c.resolveField(&f, e.GoName+"WebhookEventData", e, enums, objects); err != nil {
				return fmt.Errorf("event %s: %w", e.Type, err)
			}
			e.data = append(e.data, f)
		}
		if len(e.data) == 0 {
			return fmt.Errorf("event %s: no data fields", e.Type)
		}
	}
	return nil
}

// resolveField checks f and sets its Go type. Objects of an event's own are
// named prefix+GoSuffix and recorded in e.nested.
func (c *catalogue) resolveField(f *field, prefix string, e *event, enums, objects map[string]bool) error {
	return c.resolveValue(f, prefix, e, enums, objects, false)
}

// resolveValue is resolveField for a field, or for the items of an array
// (which have no name, doc or example of their own).
func (c *catalogue) resolveValue(f *field, prefix string, e *event, enums, objects map[string]bool, item bool) error {
	if !item && !validName.MatchString(f.Name) {
		// The decoder's check for case variants of field names relies on
		// names of lower-case ASCII letters, digits and underscores.
		return fmt.Errorf("field name %q: want lower-case ASCII letters, digits and _", f.Name)
	}
	if !item && (f.GoName == "" || f.Doc == "" || len(f.Example) == 0 && f.Type != "object") {
		return fmt.Errorf("field %q: go_name, doc and example (but for an object) are required", f.Name)
	}
	switch f.Type {
	case "string":
		f.goType = "string"
		if f.Enum != "" {
			if !enums[f.Enum] {
				return fmt.Errorf("field %q: no enum %q", f.Name, f.Enum)
			}
			f.goType = f.Enum
		}
	case "integer":
		f.goType = "int64"
	case "object":
		switch {
		case f.Object != "":
			if !objects[f.Object] {
				return fmt.Errorf("field %q: no object %q", f.Name, f.Object)
			}
			f.goType = f.Object
			if e != nil {
				alias := prefix + f.Object
				if !slices.Contains(e.aliases, alias) {
					e.aliases = append(e.aliases, alias)
				}
				f.goType = alias
			}
		case f.GoSuffix != "" && e != nil:
			name := prefix + f.GoSuffix
			for i := range f.Fields {
				if err := c.resolveField(&f.Fields[i], name, e, enums, objects); err != nil {
					return err
				}
			}
			e.nested = append(e.nested, nestedStruct{goName: name, doc: f.StructDoc, fields: f.Fields})
			f.goType = name
		default:
			return fmt.Errorf("field %q: an object needs object, or go_suffix and fields", f.Name)
		}
		if !f.Required {
			f.goType = "*" + f.goType // nil when absent
		}
	case "array":
		if f.Items == nil {
			return fmt.Errorf("field %q: an array needs items", f.Name)
		}
		if err := c.resolveValue(f.Items, prefix, e, enums, objects, true); err != nil {
			return err
		}
		f.goType = "[]" + strings.TrimPrefix(f.Items.goType, "*")
		f.Items.Required = true // an element is never null
	default:
		return fmt.Errorf("field %q: unknown type %q", f.Name, f.Type)
	}
	return nil
}

// tag returns the struct tag of f.
func (f field) tag() string {
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
func (f field) check(expr string, prefilled bool) []string {
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
		for _, sub := range f.objectFields() {
			inner = append(inner, sub.check(expr+"."+sub.GoName, prefilled && f.Required)...)
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
		if elem := f.Items.check("x", false); len(elem) > 0 {
			conds = append(conds, fmt.Sprintf("allOf(%s, func(x *%s) bool { return %s })",
				expr, strings.TrimPrefix(strings.TrimPrefix(f.goType, "[]"), "*"), strings.Join(elem, " && ")))
		}
	}
	return conds
}

// prefill returns the Go literal of the prefilled value of f's struct type,
// or "" when nothing in it is prefilled.
func (f field) prefill() string {
	if f.Type != "object" || !f.Required {
		return ""
	}
	var parts []string
	for _, sub := range f.objectFields() {
		switch {
		case sub.Type == "string" && sub.Required:
			parts = append(parts, sub.GoName+": unset")
		case sub.Type == "integer" && sub.Required:
			parts = append(parts, sub.GoName+": unsetInt")
		case sub.prefill() != "":
			parts = append(parts, sub.GoName+": "+sub.prefill())
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return f.goType + "{" + strings.Join(parts, ", ") + "}"
}

// objects of the catalogue being generated, for objectFields.
var sharedObjects = map[string]object{}

func (f field) objectFields() []field {
	if f.Object != "" {
		return sharedObjects[f.Object].Fields
	}
	return f.Fields
}

func (c *catalogue) eventsFile() string {
	for _, o := range c.Objects {
		sharedObjects[o.GoName] = o
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("// Code generated by mkevents.go from catalogue.json; DO NOT EDIT.\n\npackage webhooks\n\n")
	p("import \"time\"\n\n")
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
		if lit := (field{Type: "object", Required: true, Fields: e.data, goType: e.GoName + "WebhookEventData"}).prefill(); lit != "" {
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
			p("%s\n\t%s %s %s\n", doc(1, f.Doc), f.GoName, f.goType, f.tag())
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

		p("%s\ntype %sData struct {\n", doc(0, fmt.Sprintf("%sData is the payload of every [%s].", name, name)), name)
		for _, f := range e.data {
			p("%s\n\t%s %s %s\n", doc(1, f.Doc), f.GoName, f.goType, f.tag())
		}
		p("}\n\n")
		for _, n := range e.nested {
			p("%s\ntype %s struct {\n", doc(0, n.goName+" "+n.doc), n.goName)
			for _, f := range n.fields {
				p("%s\n\t%s %s %s\n", doc(1, f.Doc), f.GoName, f.goType, f.tag())
			}
			p("}\n\n")
		}
		for _, a := range e.aliases {
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
		conds = append(conds, field{Type: "object", Required: true, Fields: e.data}.check("e.Data", true)...)
		p("func (e %s) complete() bool {\n\treturn %s\n}\n\n", name, strings.Join(conds, " &&\n\t\t"))
		p("func (e %s) decodedType() EventType { return e.Type }\n\n", name)
	}
	return b.String()
}

// example returns the JSON of f's example; an object's is made of its
// fields' examples.
func (f field) example() string {
	if len(f.Example) > 0 || f.Type != "object" {
		return string(f.Example)
	}
	var members []string
	for _, sub := range f.objectFields() {
		members = append(members, strconv.Quote(sub.Name)+":"+sub.example())
	}
	return "{" + strings.Join(members, ",") + "}"
}

func (c *catalogue) samplesFile() string {
	var b strings.Builder
	b.WriteString("// Code generated by mkevents.go from catalogue.json; DO NOT EDIT.\n\npackage webhookstest\n\n")
	b.WriteString("import \"github.com/go-openai-webhooks/webhooks\"\n\n")
	b.WriteString("// samples are the bodies that Sample returns: one delivery of each event\n// type, with every field of the catalogue set to its example.\n")
	b.WriteString("var samples = map[webhooks.EventType]string{\n")
	for i, e := range c.Events {
		sum := sha256.Sum256([]byte(e.Type))
		var data []string
		for _, f := range e.data {
			data = append(data, strconv.Quote(f.Name)+":"+f.example())
		}
		body := fmt.Sprintf(`{"id":"evt_%s","object":"event","created_at":%d,"type":%q,"data":{%s}}`,
			hex.EncodeToString(sum[:16]), 1764100000+97*i, e.Type, strings.Join(data, ","))
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(body)); err != nil {
			log.Fatalf("sample of %s: %v", e.Type, err)
		}
		lit := strconv.Quote(compact.String())
		if strconv.CanBackquote(compact.String()) {
			lit = "`" + compact.String() + "`"
		}
		fmt.Fprintf(&b, "\t%q: %s,\n", e.Type, lit)
	}
	b.WriteString("}\n")
	return b.String()
}

func (c *catalogue) readmeTable() string {
	var b strings.Builder
	b.WriteString("| `type` on the wire | Go struct | `Data` fields (optional ones in italics) |\n| --- | --- | --- |\n")
	for _, e := range c.Events {
		var fields []string
		for _, f := range e.data {
			name := "`" + f.GoName + "`"
			if f.Enum != "" {
				name += " (`" + f.Enum + "`)"
			}
			if f.Type == "object" {
				var sub []string
				for _, s := range f.objectFields() {
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
