// Package catalogue reads catalogue.json, the one description of the OpenAI
// webhook events that package webhooks decodes into structs of their own.
// Whatever reads the catalogue reads it through [Load], so that its rules
// live in one place: mkevents.go, which generates the code from it, and
// scripts/drift, which compares it with openai-go. The file's "about" member
// says what each member means.
package catalogue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A Catalogue is catalogue.json, resolved: every event's data fields are
// expanded from the shared ones, and every field has its Go type.
type Catalogue struct {
	About   []string         `json:"about"`
	Enums   []Enum           `json:"enums"`
	Objects []Object         `json:"objects"`
	Fields  map[string]Field `json:"fields"`
	// Events are sorted by type.
	Events []Event `json:"events"`
}

// An Enum is an open enumeration: a string type with constants for the
// values known today.
type Enum struct {
	GoName string      `json:"go_name"`
	Doc    string      `json:"doc"`
	Values []EnumValue `json:"values"`
}

// An EnumValue is one known value of an [Enum] and its constant.
type EnumValue struct {
	Value  string `json:"value"`
	GoName string `json:"go_name"`
	Doc    string `json:"doc"`
}

// An Object is a struct shared by several events, such as SipHeader.
type Object struct {
	GoName string  `json:"go_name"`
	Doc    string  `json:"doc"`
	Fields []Field `json:"fields"`
}

// A Field is a member of an event's data, of an object, or the element of
// an array (which has no name, doc or example of its own).
type Field struct {
	Name      string   `json:"name"`
	GoName    string   `json:"go_name"`
	Type      string   `json:"type"` // string, integer, object, array
	Required  bool     `json:"required"`
	Nonempty  bool     `json:"nonempty"`
	Enum      string   `json:"enum"`       // a string's open enumeration, from Enums
	Values    []string `json:"values"`     // or the values known today of a plain string
	Object    string   `json:"object"`     // a shared object, from Objects
	GoSuffix  string   `json:"go_suffix"`  // or an object of the event's own
	StructDoc string   `json:"struct_doc"` // its doc, after its name
	// Fields are the fields of an object: its own, or, once loaded, its
	// shared object's.
	Fields  []Field         `json:"fields"`
	Items   *Field          `json:"items"`
	Doc     string          `json:"doc"`
	Example json.RawMessage `json:"example"`

	// GoType is the field's Go type, set by Load: an optional object is a
	// pointer, an object of an event is named after the event.
	GoType string `json:"-"`
}

// An Event is one event type.
type Event struct {
	Type       string `json:"type"`
	GoName     string `json:"go_name"` // the struct is GoName+"WebhookEvent"
	Sent       string `json:"sent"`
	Notes      string `json:"notes"`
	Deprecated string `json:"deprecated"`
	// ObjectRequired records that OpenAI's schema requires "object" of
	// this type. The package never requires it (see README.md); the drift
	// check compares the flag with openai-go.
	ObjectRequired bool `json:"object_required"`
	// Example is the envelope of the type's example delivery, whose data
	// holds every field's example: the type's sample in webhookstest, and
	// its fixture in testdata.
	Example struct {
		ID        string `json:"id"` // evt_ and 32 hex digits
		CreatedAt int64  `json:"created_at"`
	} `json:"example"`
	RawData []json.RawMessage `json:"data"` // a name from Fields, or a field

	// Set by Load:
	Data    []Field  `json:"-"` // the fields of data, in order
	Nested  []Struct `json:"-"` // the structs of this event's own, in order
	Aliases []string `json:"-"` // the names it gives shared objects
}

// A Struct is an object of an event's own, such as
// AgentSessionCreatedWebhookEventDataConnect.
type Struct struct {
	GoName, Doc string
	Fields      []Field
}

// StructName returns the name of e's struct.
func (e Event) StructName() string { return e.GoName + "WebhookEvent" }

// DataStructName returns the name of the struct of e's data.
func (e Event) DataStructName() string { return e.StructName() + "Data" }

var (
	validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	validID   = regexp.MustCompile(`^evt_[0-9a-f]{32}$`)
)

// Load reads and checks the catalogue in file.
func Load(file string) (*Catalogue, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var c Catalogue
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := c.resolve(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	slices.SortFunc(c.Events, func(a, b Event) int { return strings.Compare(a.Type, b.Type) })
	return &c, nil
}

// Event returns the event of type typ.
func (c *Catalogue) Event(typ string) (Event, bool) {
	i := slices.IndexFunc(c.Events, func(e Event) bool { return e.Type == typ })
	if i < 0 {
		return Event{}, false
	}
	return c.Events[i], true
}

// KnownValues returns the values of f known today: its enumeration's, or
// its own.
func (c *Catalogue) KnownValues(f Field) []string {
	if f.Enum == "" {
		return f.Values
	}
	var values []string
	for _, en := range c.Enums {
		if en.GoName == f.Enum {
			for _, v := range en.Values {
				values = append(values, v.Value)
			}
		}
	}
	return values
}

// resolve expands the shared fields of every event, checks the catalogue and
// works out the Go type of every field.
func (c *Catalogue) resolve() error {
	enums := map[string]bool{}
	for _, e := range c.Enums {
		enums[e.GoName] = true
	}
	objects := map[string][]Field{}
	for i := range c.Objects {
		o := &c.Objects[i]
		for j := range o.Fields {
			if err := c.resolveField(&o.Fields[j], "", nil, enums, objects); err != nil {
				return fmt.Errorf("object %s: %w", o.GoName, err)
			}
		}
		objects[o.GoName] = o.Fields
	}
	seen, ids := map[string]bool{}, map[string]bool{}
	for i := range c.Events {
		e := &c.Events[i]
		if seen[e.Type] || e.Type == "" || e.GoName == "" || e.Sent == "" {
			return fmt.Errorf("event %q: duplicate, or without type, go_name or sent", e.Type)
		}
		seen[e.Type] = true
		if !validID.MatchString(e.Example.ID) || ids[e.Example.ID] || e.Example.CreatedAt <= 0 {
			return fmt.Errorf("event %s: example needs an id of its own, evt_ and 32 hex digits, and a created_at", e.Type)
		}
		ids[e.Example.ID] = true
		for _, r := range e.RawData {
			var f Field
			var ref string
			if json.Unmarshal(r, &ref) == nil {
				shared, ok := c.Fields[ref]
				if !ok {
					return fmt.Errorf("event %s: no field %q in fields", e.Type, ref)
				}
				f = shared.clone() // resolving sets its Go types for this event
			} else if err := json.Unmarshal(r, &f); err != nil {
				return fmt.Errorf("event %s: %w", e.Type, err)
			}
			if err := c.resolveField(&f, e.DataStructName(), e, enums, objects); err != nil {
				return fmt.Errorf("event %s: %w", e.Type, err)
			}
			e.Data = append(e.Data, f)
		}
		if len(e.Data) == 0 {
			return fmt.Errorf("event %s: no data fields", e.Type)
		}
	}
	return nil
}

// resolveField checks f and sets its Go type. Objects of an event's own are
// named prefix+GoSuffix and recorded in e.Nested.
func (c *Catalogue) resolveField(f *Field, prefix string, e *Event, enums map[string]bool, objects map[string][]Field) error {
	return c.resolveValue(f, prefix, e, enums, objects, false)
}

// resolveValue is resolveField for a field, or for the items of an array
// (which have no name, doc or example of their own).
func (c *Catalogue) resolveValue(f *Field, prefix string, e *Event, enums map[string]bool, objects map[string][]Field, item bool) error {
	if !item && !validName.MatchString(f.Name) {
		// The decoder's check for case variants of field names relies on
		// names of lower-case ASCII letters, digits and underscores.
		return fmt.Errorf("field name %q: want lower-case ASCII letters, digits and _", f.Name)
	}
	if !item && (f.GoName == "" || f.Doc == "" || len(f.Example) == 0 && f.Type != "object") {
		return fmt.Errorf("field %q: go_name, doc and example (but for an object) are required", f.Name)
	}
	if f.Type != "string" && (f.Enum != "" || f.Values != nil) || f.Enum != "" && f.Values != nil {
		return fmt.Errorf("field %q: enum or values, only for a string and not both", f.Name)
	}
	switch f.Type {
	case "string":
		f.GoType = "string"
		if f.Enum != "" {
			if !enums[f.Enum] {
				return fmt.Errorf("field %q: no enum %q", f.Name, f.Enum)
			}
			f.GoType = f.Enum
		}
		if known := c.KnownValues(*f); len(known) > 0 && len(f.Example) > 0 {
			var example string
			if err := json.Unmarshal(f.Example, &example); err != nil || !slices.Contains(known, example) {
				return fmt.Errorf("field %q: example %s is not one of its values %q", f.Name, f.Example, known)
			}
		}
	case "integer":
		f.GoType = "int64"
	case "object":
		switch {
		case f.Object != "" && f.Fields == nil && f.GoSuffix == "":
			shared, ok := objects[f.Object]
			if !ok {
				return fmt.Errorf("field %q: no object %q", f.Name, f.Object)
			}
			f.Fields = shared
			f.GoType = f.Object
			if e != nil {
				alias := prefix + f.Object
				if !slices.Contains(e.Aliases, alias) {
					e.Aliases = append(e.Aliases, alias)
				}
				f.GoType = alias
			}
		case f.Object == "" && f.GoSuffix != "" && e != nil:
			name := prefix + f.GoSuffix
			for i := range f.Fields {
				if err := c.resolveField(&f.Fields[i], name, e, enums, objects); err != nil {
					return err
				}
			}
			e.Nested = append(e.Nested, Struct{GoName: name, Doc: f.StructDoc, Fields: f.Fields})
			f.GoType = name
		default:
			return fmt.Errorf("field %q: an object needs object, or go_suffix and fields", f.Name)
		}
		if !f.Required {
			f.GoType = "*" + f.GoType // nil when absent
		}
	case "array":
		if f.Items == nil {
			return fmt.Errorf("field %q: an array needs items", f.Name)
		}
		if err := c.resolveValue(f.Items, prefix, e, enums, objects, true); err != nil {
			return err
		}
		f.GoType = "[]" + strings.TrimPrefix(f.Items.GoType, "*")
		f.Items.Required = true // an element is never null
	default:
		return fmt.Errorf("field %q: unknown type %q", f.Name, f.Type)
	}
	if len(f.Example) > 0 {
		if err := checkExample(*f, f.Example); err != nil {
			return fmt.Errorf("field %q: example %s: %w", f.Name, f.Example, err)
		}
	}
	return nil
}

// checkExample reports whether v is a value of f's JSON type, and, for an
// object, has its required fields and no others.
func checkExample(f Field, v json.RawMessage) error {
	switch f.Type {
	case "string":
		var s string
		return json.Unmarshal(v, &s)
	case "integer":
		var n int64
		return json.Unmarshal(v, &n)
	case "array":
		var elems []json.RawMessage
		if err := json.Unmarshal(v, &elems); err != nil {
			return err
		}
		for _, elem := range elems {
			if err := checkExample(*f.Items, elem); err != nil {
				return err
			}
		}
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(v, &members); err != nil || members == nil {
		return fmt.Errorf("want an object")
	}
	for _, sub := range f.Fields {
		m, ok := members[sub.Name]
		if !ok && sub.Required {
			return fmt.Errorf("no %q", sub.Name)
		}
		if ok {
			if err := checkExample(sub, m); err != nil {
				return fmt.Errorf("%q: %w", sub.Name, err)
			}
			delete(members, sub.Name)
		}
	}
	for name := range members {
		return fmt.Errorf("%q is not a field", name)
	}
	return nil
}

// clone returns a deep copy of f.
func (f Field) clone() Field {
	f.Fields = slices.Clone(f.Fields)
	for i := range f.Fields {
		f.Fields[i] = f.Fields[i].clone()
	}
	if f.Items != nil {
		items := f.Items.clone()
		f.Items = &items
	}
	return f
}

// ExampleJSON returns the JSON of f's example; an object's is made of its
// fields' examples.
func (f Field) ExampleJSON() string {
	if len(f.Example) > 0 || f.Type != "object" {
		return string(f.Example)
	}
	var members []string
	for _, sub := range f.Fields {
		members = append(members, strconv.Quote(sub.Name)+":"+sub.ExampleJSON())
	}
	return "{" + strings.Join(members, ",") + "}"
}

// Delivery returns the body of e's example delivery, compact: its example
// envelope, with every field of data set to its example.
func (e Event) Delivery() []byte {
	var data []string
	for _, f := range e.Data {
		data = append(data, strconv.Quote(f.Name)+":"+f.ExampleJSON())
	}
	body := fmt.Sprintf(`{"id":%q,"object":"event","created_at":%d,"type":%q,"data":{%s}}`,
		e.Example.ID, e.Example.CreatedAt, e.Type, strings.Join(data, ","))
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(body)); err != nil {
		panic(fmt.Sprintf("catalogue: the example delivery of %s: %v", e.Type, err)) // Load checked every example
	}
	return compact.Bytes()
}
