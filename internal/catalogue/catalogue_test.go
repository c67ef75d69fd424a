package catalogue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// load writes src to a file and loads it.
func load(t *testing.T, src string) (*Catalogue, error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "catalogue.json")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
	return Load(file)
}

// valid is a catalogue of two events that share a field, an array of a
// shared object.
const valid = `{
  "enums": [{"go_name": "Kind", "doc": "d", "values": [{"value": "a", "go_name": "KindA", "doc": "a"}]}],
  "objects": [{"go_name": "Pair", "doc": "d", "fields": [
    {"name": "name", "go_name": "Name", "type": "string", "required": true, "doc": "d", "example": "n"}
  ]}],
  "fields": {"pairs": {"name": "pairs", "go_name": "Pairs", "type": "array", "required": true, "items": {"type": "object", "object": "Pair"}, "doc": "d", "example": [{"name": "n"}]}},
  "events": [
    {"type": "b.happened", "go_name": "BHappened", "sent": "b", "example": {"id": "evt_000000000000000000000000000000bb", "created_at": 2}, "data": ["pairs"]},
    {"type": "a.happened", "go_name": "AHappened", "sent": "a", "example": {"id": "evt_000000000000000000000000000000aa", "created_at": 1}, "data": [
      "pairs",
      {"name": "kind", "go_name": "Kind", "type": "string", "enum": "Kind", "doc": "d", "example": "a"},
      {"name": "via", "go_name": "Via", "type": "string", "values": ["x", "y"], "doc": "d", "example": "y"},
      {"name": "inner", "go_name": "Inner", "type": "object", "go_suffix": "Inner", "struct_doc": "is d.", "doc": "d", "fields": [
        {"name": "n", "go_name": "N", "type": "integer", "required": true, "doc": "d", "example": 7}
      ]}
    ]}
  ]
}`

func TestLoad(t *testing.T) {
	c, err := load(t, valid)
	require.NoError(t, err)
	require.Len(t, c.Events, 2)
	a, b := c.Events[0], c.Events[1]
	assert.Equal(t, "a.happened", a.Type, "got events unsorted")
	assert.Equal(t, []string{"AHappenedWebhookEventDataPair"}, a.Aliases)
	assert.Equal(t, []string{"BHappenedWebhookEventDataPair"}, b.Aliases)
	assert.Equal(t, "[]AHappenedWebhookEventDataPair", a.Data[0].GoType)
	assert.Equal(t, "[]BHappenedWebhookEventDataPair", b.Data[0].GoType, "got the shared field resolved for another event")
	assert.Equal(t, "Kind", a.Data[1].GoType)
	assert.Equal(t, []string{"a"}, c.KnownValues(a.Data[1]))
	assert.Equal(t, []string{"x", "y"}, c.KnownValues(a.Data[2]))
	assert.Equal(t, "*AHappenedWebhookEventDataInner", a.Data[3].GoType)
	assert.Equal(t, `{"n":7}`, a.Data[3].ExampleJSON())
	assert.Equal(t, []Struct{{GoName: "AHappenedWebhookEventDataInner", Doc: "is d.", Fields: a.Data[3].Fields}}, a.Nested)
	assert.JSONEq(t, `{"id":"evt_000000000000000000000000000000aa","object":"event","created_at":1,"type":"a.happened",`+
		`"data":{"pairs":[{"name":"n"}],"kind":"a","via":"y","inner":{"n":7}}}`, string(a.Delivery()))
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // valid with old replaced by new
	}{
		{"a duplicate type", `"type": "b.happened", "go_name": "BHappened"`, `"type": "a.happened", "go_name": "BHappened"`},
		{"an unknown member", `"sent": "b",`, `"sent": "b", "sends": "b",`},
		{"a name not in lower case", `{"name": "via"`, `{"name": "Via"`},
		{"a field without doc", `"go_name": "Via", "type": "string", "values": ["x", "y"], "doc": "d"`, `"go_name": "Via", "type": "string", "values": ["x", "y"], "doc": ""`},
		{"a shared field that is not there", `"data": ["pairs"]`, `"data": ["pair"]`},
		{"an enumeration that is not there", `"enum": "Kind"`, `"enum": "Kinds"`},
		{"an example that is not a value of its enumeration", `"enum": "Kind", "doc": "d", "example": "a"`, `"enum": "Kind", "doc": "d", "example": "b"`},
		{"an example that is not one of its values", `"example": "y"`, `"example": "z"`},
		{"values and an enumeration", `"values": ["x", "y"]`, `"enum": "Kind", "values": ["x", "y"]`},
		{"values of an integer", `"type": "integer", "required": true`, `"type": "integer", "values": ["1"], "required": true`},
		{"an object without fields or a shared object", `"go_suffix": "Inner",`, ``},
		{"an object that is not there", `"object": "Pair"`, `"object": "Pairs"`},
		{"an array without items", `"items": {"type": "object", "object": "Pair"}, `, ``},
		{"an unknown JSON type", `"type": "integer"`, `"type": "number"`},
		{"an event without data", `"data": ["pairs"]`, `"data": []`},
		{"an event without an example", `"example": {"id": "evt_000000000000000000000000000000bb", "created_at": 2}, `, ``},
		{"an example id of another form", `"evt_000000000000000000000000000000bb"`, `"evt_1"`},
		{"an example id of another type's", `"evt_000000000000000000000000000000bb"`, `"evt_000000000000000000000000000000aa"`},
		{"an example without created_at", `"created_at": 2`, `"created_at": 0`},
		{"a string example of an integer", `"example": 7`, `"example": "7"`},
		{"an integer example of a string", `"example": "y"`, `"example": 7`},
		{"an example element without a required field", `"example": [{"name": "n"}]`, `"example": [{}]`},
		{"an example element with a member that is no field", `"example": [{"name": "n"}]`, `"example": [{"name": "n", "value": "v"}]`},
		{"an array example that is not an array", `"example": [{"name": "n"}]`, `"example": {"name": "n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, 1, strings.Count(valid, tt.old), "got %q not once in valid", tt.old)
			_, err := load(t, strings.Replace(valid, tt.old, tt.new, 1))
			assert.Error(t, err)
		})
	}
}
