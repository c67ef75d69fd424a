//lint:file-ignore SA1019 live.call.incoming is deprecated, and still decoded and tested.

package webhooks_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/internal/catalogue"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// fixture returns the body of testdata/<typ>.json.
func fixture(t testing.TB, typ webhooks.EventType) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", string(typ)+".json"))
	require.NoError(t, err)
	return body
}

// events is catalogue.json, read as go generate reads it: the only place
// that knows the event types.
var events = func() *catalogue.Catalogue {
	c, err := catalogue.Load("catalogue.json")
	if err != nil {
		panic(err) // for ease of use in testing: every test needs it
	}
	return c
}()

// fixtureEvents is what the fixture of each type decodes to: its example
// delivery, each field set to the example that catalogue.json gives it (see
// expectedEvent). fixtureErrors holds the types whose expectation could not
// be built, and why.
var fixtureEvents, fixtureErrors = func() (map[webhooks.EventType]webhooks.Event, map[webhooks.EventType]error) {
	want, errs := map[webhooks.EventType]webhooks.Event{}, map[webhooks.EventType]error{}
	for _, e := range events.Events {
		typ := webhooks.EventType(e.Type)
		event, err := expectedEvent(e, exampleDelivery(e))
		if err != nil {
			errs[typ] = err
			continue
		}
		want[typ] = event
	}
	return want, errs
}()

// exampleDelivery returns the example delivery of e as catalogue.json
// describes it: its example envelope, with every data field set to its
// example. It is built here, not by the generator, so that the fixtures and
// samples that the generator writes are checked against the catalogue.
func exampleDelivery(e catalogue.Event) []byte {
	data := map[string]json.RawMessage{}
	for _, f := range e.Data {
		data[f.Name] = json.RawMessage(f.ExampleJSON())
	}
	body, err := json.Marshal(map[string]any{
		"id": e.Example.ID, "object": "event", "created_at": e.Example.CreatedAt, "type": e.Type, "data": data,
	})
	if err != nil {
		panic(err) // catalogue.Load checked every example
	}
	return body
}

// withoutRaw returns event with Data.Raw set to nil, as in a struct built by
// hand, to compare a decoded event with a literal or with what another
// decoder reads. The tests of rawdata_test.go check Raw itself.
func withoutRaw(event webhooks.Event) webhooks.Event {
	v := reflect.New(reflect.TypeOf(event)).Elem()
	v.Set(reflect.ValueOf(event))
	if data := v.FieldByName("Data"); data.Kind() == reflect.Struct {
		data.FieldByName("Raw").SetZero()
	}
	return v.Interface().(webhooks.Event)
}

// expectedEvent returns the event that body, a delivery of e's type, must
// decode to, built by reflection from catalogue.json alone: the struct
// named e.StructName(), with each member of body that the catalogue names
// set to its value through the field's Go name. It does not depend on the
// generated struct tags, nor on decoding; a null or absent member leaves
// its field zero.
func expectedEvent(e catalogue.Event, body []byte) (webhooks.Event, error) {
	// The struct of e's type: decoding a delivery is the only way to name it.
	sample, err := webhooks.ParseEvent(webhookstest.Sample(webhooks.EventType(e.Type)))
	if err != nil {
		return nil, fmt.Errorf("sample of %s: %w", e.Type, err)
	}
	if got := reflect.TypeOf(sample).Name(); got != e.StructName() {
		return nil, fmt.Errorf("got %s decoded into %s, want %s", e.Type, got, e.StructName())
	}
	v := reflect.New(reflect.TypeOf(sample)).Elem()
	envelope := catalogue.Field{Type: "object", Fields: []catalogue.Field{
		{Name: "id", GoName: "ID", Type: "string"},
		{Name: "object", GoName: "Object", Type: "string"},
		{Name: "created_at", GoName: "CreatedAt", Type: "integer"},
		{Name: "type", GoName: "Type", Type: "string"},
		{Name: "data", GoName: "Data", Type: "object", Required: true, Fields: e.Data},
	}}
	if err := setField(v, envelope, body, e.Type); err != nil {
		return nil, err
	}
	return v.Interface().(webhooks.Event), nil
}

// setField sets v, the Go value of field f at path, to raw.
func setField(v reflect.Value, f catalogue.Field, raw json.RawMessage, path string) error {
	if string(raw) == "null" {
		return nil
	}
	kinds := map[string]reflect.Kind{"string": reflect.String, "integer": reflect.Int64, "object": reflect.Struct, "array": reflect.Slice}
	if f.Type == "object" && !f.Required && v.Kind() == reflect.Pointer {
		v.Set(reflect.New(v.Type().Elem()))
		v = v.Elem()
	}
	if v.Kind() != kinds[f.Type] {
		return fmt.Errorf("%s: got a Go %s, want one for a JSON %s", path, v.Type(), f.Type)
	}
	switch f.Type {
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		v.SetString(s)
	case "integer":
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		v.SetInt(n)
	case "object":
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, sub := range f.Fields {
			m, ok := members[sub.Name]
			if !ok {
				continue
			}
			field := v.FieldByName(sub.GoName)
			if !field.IsValid() {
				return fmt.Errorf("%s: %s has no field %s", path, v.Type(), sub.GoName)
			}
			if err := setField(field, sub, m, path+"."+sub.Name); err != nil {
				return err
			}
		}
	case "array":
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		v.Set(reflect.MakeSlice(v.Type(), len(elems), len(elems)))
		for i, elem := range elems {
			if err := setField(v.Index(i), *f.Items, elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestEveryTypeHasFixtureSampleAndExpectation(t *testing.T) {
	var types []webhooks.EventType
	for _, e := range events.Events {
		types = append(types, webhooks.EventType(e.Type))
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	var fixtures []webhooks.EventType
	for _, f := range files {
		fixtures = append(fixtures, webhooks.EventType(strings.TrimSuffix(filepath.Base(f), ".json")))
	}

	assert.Equal(t, types, webhooks.EventTypes(), "got EventTypes, want the types of catalogue.json (run go generate)")
	assert.Equal(t, types, fixtures, "got fixtures in testdata, want one per type of catalogue.json (run go generate)")
	assert.Empty(t, fixtureErrors, "got expectations that cannot be built from catalogue.json")
	assert.Equal(t, types, slices.Sorted(maps.Keys(fixtureEvents)), "got expectations, want one per type of catalogue.json")
}

// TestParseEventFixtures decodes the fixture and the sample of every type,
// which go generate writes, and checks that each holds the type's example
// delivery, member by member, and decodes to it, field by field.
func TestParseEventFixtures(t *testing.T) {
	for _, e := range events.Events {
		typ := webhooks.EventType(e.Type)
		t.Run(e.Type, func(t *testing.T) {
			want, ok := fixtureEvents[typ]
			require.True(t, ok, "no expected event for %s: %v", typ, fixtureErrors[typ])
			for name, body := range map[string][]byte{"fixture": fixture(t, typ), "sample": webhookstest.Sample(typ)} {
				assert.JSONEq(t, string(exampleDelivery(e)), string(body), "got the %s of %s, want its example delivery", name, typ)
				got, err := webhooks.ParseEvent(body)
				require.NoError(t, err, "%s", name)
				assert.Equal(t, want, withoutRaw(got), "%s", name)
				assert.Equal(t, typ, got.EventType())
				assert.Equal(t, e.Example.ID, got.EventID())
				assert.Equal(t, time.Unix(e.Example.CreatedAt, 0).UTC(), got.EventTime())
			}
		})
	}
}

// TestParseEventWithoutOptionalFields decodes the example delivery of every
// type without "object" and with every optional field (at any depth) left
// out, or null: each reads as its zero value, and the rest as before.
func TestParseEventWithoutOptionalFields(t *testing.T) {
	for _, e := range events.Events {
		for _, how := range []string{"absent", "null"} {
			t.Run(e.Type+"/"+how, func(t *testing.T) {
				var body map[string]any
				require.NoError(t, json.Unmarshal(exampleDelivery(e), &body))
				delete(body, "object")
				body["data"] = withoutOptional(body["data"], e.Data, how == "null")
				b, err := json.Marshal(body)
				require.NoError(t, err)

				want, err := expectedEvent(e, b)
				require.NoError(t, err)
				got, err := webhooks.ParseEvent(b)
				require.NoError(t, err, "%s", b)
				assert.Equal(t, want, withoutRaw(got), "%s", b)
			})
		}
	}
}

// withoutOptional returns v, the value of an object of the given fields,
// with every optional field removed, or set to null, at any depth.
func withoutOptional(v any, fields []catalogue.Field, null bool) any {
	members, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, f := range fields {
		m, present := members[f.Name]
		switch {
		case !present:
		case !f.Required && null:
			members[f.Name] = nil
		case !f.Required:
			delete(members, f.Name)
		case f.Type == "object":
			members[f.Name] = withoutOptional(m, f.Fields, null)
		case f.Type == "array" && f.Items.Type == "object":
			for i, elem := range m.([]any) {
				m.([]any)[i] = withoutOptional(elem, f.Items.Fields, null)
			}
		}
	}
	return members
}

// TestTheEnvelopesTypeAloneChoosesTheStruct decodes live.transport.incoming
// and live.transport.connected, whose data both have a "type" (the
// transport), in either order of the members, and with a data.type that
// names the other event: the envelope's type alone decides the struct.
func TestTheEnvelopesTypeAloneChoosesTheStruct(t *testing.T) {
	incoming := func(transport string) webhooks.LiveTransportIncomingWebhookEvent {
		return webhooks.LiveTransportIncomingWebhookEvent{
			ID: "evt_1", CreatedAt: 1784000000, Type: webhooks.EventTypeLiveTransportIncoming, Object: "event",
			Data: webhooks.LiveTransportIncomingWebhookEventData{
				SessionID: "live_1", SipHeaders: []webhooks.SipHeader{{Name: "From", Value: "<sip:+14155550123@sip.example.com>"}}, Type: transport,
			},
		}
	}
	connected := func(transport string) webhooks.LiveTransportConnectedWebhookEvent {
		return webhooks.LiveTransportConnectedWebhookEvent{
			ID: "evt_2", CreatedAt: 1784000001, Type: webhooks.EventTypeLiveTransportConnected, Object: "event",
			Data: webhooks.LiveTransportConnectedWebhookEventData{SessionID: "live_2", Type: transport},
		}
	}
	const (
		incomingData = `{"session_id":"live_1","sip_headers":[{"name":"From","value":"<sip:+14155550123@sip.example.com>"}],"type":%q}`
		typeFirst    = `{"id":"evt_%d","object":"event","created_at":%d,"type":%q,"data":%s}`
		dataFirst    = `{"data":%[4]s,"id":"evt_%[1]d","object":"event","created_at":%[2]d,"type":%[3]q}`
	)
	connectedData := func(transport string) string {
		return fmt.Sprintf(`{"session_id":"live_2","type":%q}`, transport)
	}
	tests := []struct {
		name string
		body string
		want webhooks.Event
	}{
		{"incoming", fmt.Sprintf(typeFirst, 1, 1784000000, "live.transport.incoming", fmt.Sprintf(incomingData, "sip")), incoming("sip")},
		{"connected", fmt.Sprintf(typeFirst, 2, 1784000001, "live.transport.connected", connectedData("webrtc")), connected("webrtc")},
		{"incoming, data first", fmt.Sprintf(dataFirst, 1, 1784000000, "live.transport.incoming", fmt.Sprintf(incomingData, "sip")), incoming("sip")},
		{"connected, data first", fmt.Sprintf(dataFirst, 2, 1784000001, "live.transport.connected", connectedData("webrtc")), connected("webrtc")},
		{"incoming with the other's type in data, first",
			fmt.Sprintf(dataFirst, 1, 1784000000, "live.transport.incoming", fmt.Sprintf(incomingData, "live.transport.connected")), incoming("live.transport.connected")},
		{"connected with the other's type in data, first",
			fmt.Sprintf(dataFirst, 2, 1784000001, "live.transport.connected", connectedData("live.transport.incoming")), connected("live.transport.incoming")},
		{"connected with the other's type and headers in data, first",
			fmt.Sprintf(dataFirst, 2, 1784000001, "live.transport.connected",
				`{"session_id":"live_2","sip_headers":[{"name":"From","value":"<sip:+14155550123@sip.example.com>"}],"type":"live.transport.incoming"}`),
			connected("live.transport.incoming")},
		{"connected with a transport of tomorrow", fmt.Sprintf(typeFirst, 2, 1784000001, "live.transport.connected", connectedData("webtransport")), connected("webtransport")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhooks.ParseEvent([]byte(tt.body))
			require.NoError(t, err, "%s", tt.body)
			assert.Equal(t, tt.want, withoutRaw(got), "%s", tt.body)
		})
	}
}

func TestMarshalStructLiteralRoundTrip(t *testing.T) {
	for _, typ := range webhooks.EventTypes() {
		t.Run(string(typ), func(t *testing.T) {
			literal := fixtureEvents[typ]
			body, err := json.Marshal(literal)
			require.NoError(t, err)
			again, err := webhooks.ParseEvent(body)
			require.NoError(t, err, "%s", body)

			// Marshalling writes "object":"event" where the literal left it
			// empty; everything else survives unchanged.
			want := reflect.New(reflect.TypeOf(literal)).Elem()
			want.Set(reflect.ValueOf(literal))
			want.FieldByName("Object").SetString("event")
			assert.Equal(t, want.Interface(), withoutRaw(again))
		})
	}
}

func TestMarshalZeroValueWritesTypeObjectAndRequiredArrays(t *testing.T) {
	for _, typ := range webhooks.EventTypes() {
		t.Run(string(typ), func(t *testing.T) {
			zero := reflect.Zero(reflect.TypeOf(fixtureEvents[typ])).Interface()
			body, err := json.Marshal(zero)
			require.NoError(t, err)

			var wire struct {
				Type   string                     `json:"type"`
				Object string                     `json:"object"`
				Data   map[string]json.RawMessage `json:"data"`
			}
			require.NoError(t, json.Unmarshal(body, &wire))
			assert.Equal(t, string(typ), wire.Type)
			assert.Equal(t, "event", wire.Object)
			if headers, ok := wire.Data["sip_headers"]; ok {
				assert.JSONEq(t, `[]`, string(headers), "got nil SipHeaders marshalled as %s, want []", headers)
			}
			for name, value := range wire.Data {
				assert.NotEqual(t, "null", string(value), "got %s null: an absent optional field is left out", name)
			}
		})
	}
}

func TestMarshalStructLiteralBuildsFixture(t *testing.T) {
	literal := webhooks.ResponseCompletedWebhookEvent{
		ID:        "evt_123",
		CreatedAt: 1750287018,
		Data:      webhooks.ResponseCompletedWebhookEventData{ID: "resp_123"},
		Type:      webhooks.EventTypeBatchFailed, // wrong: marshalling writes the struct's own type
	}
	body, err := json.Marshal(literal)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"evt_123","object":"event","created_at":1750287018,"type":"response.completed","data":{"id":"resp_123"}}`, string(body))

	got, err := webhooks.ParseEvent(body)
	require.NoError(t, err)
	literal.Type, literal.Object = webhooks.EventTypeResponseCompleted, "event"
	assert.Equal(t, literal, withoutRaw(got))
}

func TestUnknownEvent(t *testing.T) {
	body := []byte(`{"id":"evt_abc","object":"event","created_at":1760000000,"type":"video.generation.completed",` +
		`"data":{"id":"video_123","seconds":8,"tags":["a","b"]}}`)
	got, err := webhooks.ParseEvent(body)
	require.NoError(t, err)
	want := webhooks.UnknownEvent{
		ID:        "evt_abc",
		CreatedAt: 1760000000,
		Data:      json.RawMessage(`{"id":"video_123","seconds":8,"tags":["a","b"]}`),
		Type:      "video.generation.completed",
		Object:    "event",
	}
	assert.Equal(t, want, got)
	assert.False(t, got.EventType().Known())
	assert.Equal(t, "evt_abc", got.EventID())
	assert.Equal(t, time.Unix(1760000000, 0).UTC(), got.EventTime())

	t.Run("data does not alias the body", func(t *testing.T) {
		copy(body, strings.Repeat("x", len(body)))
		assert.Equal(t, want, got)
	})
	t.Run("round trip", func(t *testing.T) {
		out, err := json.Marshal(got)
		require.NoError(t, err)
		again, err := webhooks.ParseEvent(out)
		require.NoError(t, err)
		assert.Equal(t, got, again)
	})
	t.Run("unknown type may carry data a known type would reject", func(t *testing.T) {
		got, err := webhooks.ParseEvent([]byte(`{"id":"evt_1","created_at":1,"type":"x.y","data":{"id":5,"sip_headers":"none"}}`))
		require.NoError(t, err)
		assert.Equal(t, webhooks.UnknownEvent{ID: "evt_1", CreatedAt: 1, Type: "x.y", Data: json.RawMessage(`{"id":5,"sip_headers":"none"}`)}, got)
	})
}

func TestEventTypes(t *testing.T) {
	types := webhooks.EventTypes()
	assert.True(t, sort.SliceIsSorted(types, func(i, j int) bool { return types[i] < types[j] }), "got %v, want sorted", types)
	for _, typ := range types {
		assert.True(t, typ.Known(), "got %s not known", typ)
	}
	assert.Contains(t, types, webhooks.EventTypeLiveCallIncoming)
	assert.False(t, webhooks.EventType("response.created").Known())
	assert.False(t, webhooks.EventType("").Known())

	types[0] = "mutated"
	assert.Equal(t, webhooks.EventTypeAgentEnvironmentExpired, webhooks.EventTypes()[0], "EventTypes must return a copy")
}

// syntheticType is an event type that OpenAI does not send, of every kind
// of field the catalogue has: shared, inline, an enumeration, known values,
// an integer, an optional object of its own, an array of a shared object.
const syntheticType = `{
  "type": "video.render.completed", "go_name": "VideoRenderCompleted", "sent": "a video render has completed",
  "example": {"id": "evt_0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6", "created_at": 1790000000},
  "data": [
    {"name": "id", "go_name": "ID", "type": "string", "required": true, "nonempty": true, "doc": "ID is the render's ID.", "example": "render_6d1e2f3a4b5c6d7e"},
    "environment_type",
    {"name": "codec", "go_name": "Codec", "type": "string", "values": ["h264", "av1"], "doc": "Codec is the video's codec.", "example": "av1"},
    {"name": "seconds", "go_name": "Seconds", "type": "integer", "doc": "Seconds is the video's length.", "example": 8},
    {"name": "output", "go_name": "Output", "type": "object", "go_suffix": "Output", "struct_doc": "is where a video is.", "doc": "Output is where the video is.", "fields": [
      {"name": "url", "go_name": "URL", "type": "string", "required": true, "nonempty": true, "doc": "URL is the video's URL.", "example": "https://videos.example.com/render_6d1e2f3a4b5c6d7e.mp4"}
    ]},
    "sip_headers"
  ]
}`

// perTypeTests are the tests of the root package and webhookstest that go
// through every type of the catalogue.
const perTypeTests = "^(TestEveryTypeHasFixtureSampleAndExpectation|TestParseEvent.*|TestMarshal.*|TestEventTypes|TestSample|FuzzParseEvent)$"

// TestAddingATypeIsOneCatalogueEntry copies what go generate reads, and the
// tests of the root package and webhookstest, to a temporary directory;
// adds syntheticType to the copy of catalogue.json; runs go generate and
// perTypeTests there: they pass, with nothing else written for the type.
// With the generator broken, they fail.
func TestAddingATypeIsOneCatalogueEntry(t *testing.T) {
	goCommand, err := exec.LookPath("go")
	require.NoError(t, err)
	tests := []struct {
		name     string
		file     string // of the generator, which old, in it once, becomes new
		old, new string
		wantPass bool
	}{
		{name: "as it is", wantPass: true},
		{name: "deliveries without their last field", file: "internal/catalogue/catalogue.go",
			old: "for _, f := range e.Data {\n\t\tdata = append(data, strconv.Quote(f.Name)+\":\"+f.ExampleJSON())",
			new: "for _, f := range e.Data[:len(e.Data)-1] {\n\t\tdata = append(data, strconv.Quote(f.Name)+\":\"+f.ExampleJSON())"},
		{name: "no fixture for the last type", file: "mkevents.go",
			old: "for _, e := range c.Events {\n\t\tvar body bytes.Buffer", new: "for _, e := range c.Events[:len(c.Events)-1] {\n\t\tvar body bytes.Buffer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, sub := range []string{"internal", "testdata", "webhookstest"} {
				require.NoError(t, os.CopyFS(filepath.Join(dir, sub), os.DirFS(sub)))
			}
			top, err := filepath.Glob("*")
			require.NoError(t, err)
			for _, name := range top {
				if info, err := os.Stat(name); err == nil && info.Mode().IsRegular() && name != "go.work" && name != "go.work.sum" {
					src, err := os.ReadFile(name)
					require.NoError(t, err)
					require.NoError(t, os.WriteFile(filepath.Join(dir, name), src, 0o644))
				}
			}
			edit := func(name string, change func(src string) string) {
				src, err := os.ReadFile(filepath.Join(dir, name))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(change(string(src))), 0o644))
			}
			edit("catalogue.json", func(src string) string {
				var c map[string]any
				require.NoError(t, json.Unmarshal([]byte(src), &c))
				var synthetic any
				require.NoError(t, json.Unmarshal([]byte(syntheticType), &synthetic))
				c["events"] = append(c["events"].([]any), synthetic)
				out, err := json.MarshalIndent(c, "", "  ")
				require.NoError(t, err)
				return string(out)
			})
			if tt.file != "" {
				edit(tt.file, func(src string) string {
					require.Equal(t, 1, strings.Count(src, tt.old), "got %q not once in %s", tt.old, tt.file)
					return strings.Replace(src, tt.old, tt.new, 1)
				})
			}

			goRun := func(args ...string) (string, error) {
				cmd := exec.Command(goCommand, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "GOWORK=off")
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			out, err := goRun("generate", ".")
			require.NoError(t, err, "go generate: %s", out)
			fixture, err := os.ReadFile(filepath.Join(dir, "testdata", "video.render.completed.json"))
			if tt.wantPass {
				require.NoError(t, err, "go generate wrote no fixture for the new type")
				assert.Contains(t, string(fixture), `"url": "https://videos.example.com/render_6d1e2f3a4b5c6d7e.mp4"`)
			}

			out, err = goRun("test", "-count=1", "-run", perTypeTests, ".", "./webhookstest")
			if tt.wantPass {
				assert.NoError(t, err, "got the tests failing with the new type:\n%s", out)
				assert.NotContains(t, out, "no tests to run")
			} else {
				assert.Error(t, err, "got the tests passing with the generator broken:\n%s", out)
			}
		})
	}
}
