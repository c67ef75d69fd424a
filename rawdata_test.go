package webhooks_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/internal/catalogue"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// rawOf returns the raw data of event: Data.Raw of a typed event, with
// typed true, or the Data of an UnknownEvent.
func rawOf(event webhooks.Event) (raw []byte, typed bool) {
	data := reflect.ValueOf(event).FieldByName("Data")
	if data.Kind() == reflect.Struct {
		return data.FieldByName("Raw").Bytes(), true
	}
	return data.Bytes(), false
}

// offsetIn returns where sub, a non-empty slice, starts in b if it is a
// slice of b's bytes that ends within b, or -1.
func offsetIn(b, sub []byte) int {
	for i := range b {
		if &b[i] == &sub[0] {
			if i+len(sub) > len(b) {
				return -1
			}
			return i
		}
	}
	return -1
}

// checkRaw returns what is wrong with the raw data of event, which
// ParseEvent decoded from body, or nil. It must be a JSON object, the bytes
// that encoding/json finds as the body's data; a typed event's Data.Raw must
// be those very bytes of body, with no capacity beyond them, and each of its
// Has methods must report whether encoding/json finds the member in data.
// UnknownEvent.Data holds the same bytes, in a copy.
func checkRaw(body []byte, event webhooks.Event) error {
	var envelope struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return fmt.Errorf("encoding/json: %w", err)
	}
	raw, typed := rawOf(event)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return fmt.Errorf("got raw data %q, want a JSON object", raw)
	}
	if !bytes.Equal(raw, envelope.Data) {
		return fmt.Errorf("got raw data %q, want %q, the data encoding/json finds", raw, envelope.Data)
	}
	if !typed {
		return nil
	}
	if offsetIn(body, raw) < 0 || cap(raw) != len(raw) {
		return fmt.Errorf("got Data.Raw %q, with capacity %d, want a slice of the body that ends with the data", raw, cap(raw))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return fmt.Errorf("encoding/json: %w", err)
	}
	e, ok := events.Event(string(event.EventType()))
	if !ok {
		return fmt.Errorf("no type %s in the catalogue", event.EventType())
	}
	data := reflect.ValueOf(event).FieldByName("Data")
	for _, f := range optionalFields(e) {
		_, present := members[f.Name]
		if got := data.MethodByName("Has" + f.GoName).Call(nil)[0].Bool(); got != present {
			return fmt.Errorf("got Has%s() %v, want %v: data is %s", f.GoName, got, present, raw)
		}
	}
	return nil
}

// assertRawIsData checks the raw data of event, decoded from body, as
// checkRaw does.
func assertRawIsData(t *testing.T, body []byte, event webhooks.Event) {
	t.Helper()
	assert.NoError(t, checkRaw(body, event), "%s", body)
}

// optionalFields returns the fields of e's data that the catalogue does
// not require: those that have a Has method.
func optionalFields(e catalogue.Event) []catalogue.Field {
	var optional []catalogue.Field
	for _, f := range e.Data {
		if !f.Required {
			optional = append(optional, f)
		}
	}
	return optional
}

// TestParseEventRawData decodes bodies laid out in every way that valid JSON
// allows, and checks that Data.Raw is exactly the bytes of data in each: a
// slice of the body, from the first byte of the value to its last, and no
// copy.
func TestParseEventRawData(t *testing.T) {
	const batch = `"id":"evt_1","object":"event","created_at":1750287018,"type":"batch.completed"`
	tests := []struct {
		name         string
		before, data string // body is before+data+after
		after        string
	}{
		{"compact", `{` + batch + `,"data":`, `{"id":"batch_1"}`, `}`},
		{"pretty-printed",
			"{\n  \"id\": \"evt_1\",\n  \"object\": \"event\",\n  \"created_at\": 1750287018,\n  \"type\": \"batch.completed\",\n  \"data\": ",
			"{\n    \"id\": \"batch_1\"\n  }", "\n}\n"},
		{"space around the colon", "\t{ " + batch + " ,\r\n \"data\" \t:\n ", `{ "id" : "batch_1" }`, " }\n"},
		{"data first", `{"data":`, `{"id":"batch_1"}`, `,` + batch + `}`},
		{"data before type", `{"id":"evt_1","data":`, `{"id":"batch_1"}`, `,"created_at":1750287018,"type":"batch.completed"}`},
		{"unknown members at every level",
			`{"id":"evt_1","extra":{"data":{"id":"not_this"},"list":[{"data":[]}],"s":"} \"data\": {"},"created_at":1750287018,` +
				`"data_x":{"a":"data"},"metadata":"data","type":"batch.completed","data":`,
			`{"id":"batch_1","new":{"data":{"deep":[1,"]}",{"x":null}]}},"tags":["a","\\\"b"],"n":-1.5e3,"ok":true}`,
			`,"after":{"data":1},"z":[[],{}]}`},
		{"type and data nested before them",
			`{"id":"evt_1","extra":{"type":"batch.failed","data":{"id":"not_this"}},"object":"event","created_at":1750287018,"type":"batch.completed","data":`,
			`{"id":"batch_1"}`, `}`},
		{"data after a name that ends in an escaped quote and type", `{"id":"evt_1","x\"type":"batch.failed","data":`, `{"id":"batch_1"}`,
			`,"object":"event","created_at":1750287018,"type":"batch.completed"}`},
		{"a name ending in data, escaped, before it", `{"x\"data":{"id":"not_this"},` + batch + `,"data":`, `{"id":"batch_1"}`, `}`},
		{"a string ending in data, escaped, before it", `{"x":"\"data",` + batch + `,"data":`, `{"id":"batch_1"}`, `}`},
		{"data given as a string before it", `{"object":"data",` + strings.Replace(batch, `"object":"event",`, ``, 1) + `,"data":`, `{"id":"batch_1"}`, `}`},
		{"data's name escaped", `{` + batch + `,"d\u0061ta":`, `{"id":"batch_1"}`, `}`},
		{"data empty of unknown members", `{` + batch + `,"data":`, `{"id":"batch_1","x":{}}`, `}`},
		{"a body of 64 KiB", `{` + batch + `,"data":`, `{"id":"batch_1","blob":"` + strings.Repeat("x", 64<<10) + `"}`, `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.before + tt.data + tt.after)
			event, err := webhooks.ParseEvent(body)
			require.NoError(t, err, "%s", body)
			got := event.(webhooks.BatchCompletedWebhookEvent)
			assert.Equal(t, webhooks.BatchCompletedWebhookEventData{ID: "batch_1"}, withoutRaw(got).(webhooks.BatchCompletedWebhookEvent).Data)

			require.NotEmpty(t, got.Data.Raw)
			assert.Equal(t, tt.data, string(got.Data.Raw))
			assert.Equal(t, len(tt.before), offsetIn(body, got.Data.Raw), "got Data.Raw at offset %d of the body, want a slice of it at %d", offsetIn(body, got.Data.Raw), len(tt.before))
			assert.Equal(t, len(got.Data.Raw), cap(got.Data.Raw), "got room beyond Data.Raw: appending to it would overwrite the body")
			assertRawIsData(t, body, got)
		})
	}
}

// TestParseEventRawDataOfEveryType checks Data.Raw in the fixture
// (indented) and the sample (compact) of every type.
func TestParseEventRawDataOfEveryType(t *testing.T) {
	for _, typ := range webhooks.EventTypes() {
		t.Run(string(typ), func(t *testing.T) {
			for _, body := range [][]byte{fixture(t, typ), webhookstest.Sample(typ)} {
				event, err := webhooks.ParseEvent(body)
				require.NoError(t, err)
				assertRawIsData(t, body, event)
			}
		})
	}
}

// TestParseEventRawDataKeepsWhatTheCatalogueDoesNotName decodes, through
// Data.Raw, a member that OpenAI might add before the catalogue has it.
func TestParseEventRawDataKeepsWhatTheCatalogueDoesNotName(t *testing.T) {
	body := []byte(`{"id":"evt_1","created_at":1750287018,"type":"agent.session.created",` +
		`"data":{"id":"sess_1","environment_type":"self_hosted","connect":{"remote_url":"wss://x","token_ttl":60},"region":{"name":"eu","zones":[1,2]}}}`)
	event, err := webhooks.ParseEvent(body)
	require.NoError(t, err)
	e := event.(webhooks.AgentSessionCreatedWebhookEvent)

	var mine struct {
		Connect struct {
			TokenTTL int `json:"token_ttl"`
		} `json:"connect"`
		Region struct {
			Name  string `json:"name"`
			Zones []int  `json:"zones"`
		} `json:"region"`
	}
	require.NoError(t, json.Unmarshal(e.Data.Raw, &mine))
	assert.Equal(t, 60, mine.Connect.TokenTTL)
	assert.Equal(t, "eu", mine.Region.Name)
	assert.Equal(t, []int{1, 2}, mine.Region.Zones)
}

// TestParseEventRawDataAliasesTheBody changes the body after decoding: Data.Raw,
// which is no copy, shows the change; UnknownEvent.Data, a copy, does not.
func TestParseEventRawDataAliasesTheBody(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantAlias bool
	}{
		{"typed", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, true},
		{"unknown", `{"id":"evt_1","created_at":1,"type":"batch.archived","data":{"id":"batch_1"}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			event, err := webhooks.ParseEvent(body)
			require.NoError(t, err)
			raw, _ := rawOf(event)
			require.Equal(t, `{"id":"batch_1"}`, string(raw))

			copy(body[bytes.Index(body, []byte("batch_1")):], "BATCH")
			assert.Equal(t, tt.wantAlias, string(raw) == `{"id":"BATCH_1"}`, "got raw data %s after the body changed", raw)
		})
	}
}

// TestParseEventHasOptionalFields decodes, for every optional data field
// of every type, the type's example delivery with that member absent, null,
// empty, set, and only inside a member the catalogue does not name: its Has
// method reports whether the member was there (null included), and, with
// Raw set to nil as in a struct built by hand, whether the field is not its
// zero value. The other optional fields keep their examples, and their Has
// methods report true throughout. An empty object that requires a member is
// rejected, with no event.
func TestParseEventHasOptionalFields(t *testing.T) {
	empty := map[string]string{"string": `""`, "integer": `0`, "array": `[]`, "object": `{}`}
	for _, e := range events.Events {
		for _, f := range optionalFields(e) {
			tests := []struct {
				how      string
				value    string // JSON; "" leaves the member out
				nested   string // JSON of the member inside an object of data that the catalogue does not name
				wantHas  bool
				wantZero bool // the field holds its zero value
				wantErr  error
			}{
				{how: "absent", wantZero: true},
				{how: "null", value: `null`, wantHas: true, wantZero: true},
				{how: "empty", value: empty[f.Type], wantHas: true, wantZero: f.Type != "array"},
				{how: "set", value: f.ExampleJSON(), wantHas: true},
				{how: "only inside another member", nested: f.ExampleJSON(), wantZero: true},
			}
			if f.Type == "object" && slices.ContainsFunc(f.Fields, func(sub catalogue.Field) bool { return sub.Required }) {
				tests[2].wantErr = webhooks.ErrInvalidPayload
			}
			for _, tt := range tests {
				t.Run(fmt.Sprintf("%s/%s/%s", e.Type, f.Name, tt.how), func(t *testing.T) {
					var body map[string]any
					require.NoError(t, json.Unmarshal(exampleDelivery(e), &body))
					data := body["data"].(map[string]any)
					delete(data, f.Name)
					if tt.value != "" {
						data[f.Name] = json.RawMessage(tt.value)
					}
					if tt.nested != "" {
						data["x_new"] = map[string]any{f.Name: json.RawMessage(tt.nested)}
					}
					b, err := json.Marshal(body)
					require.NoError(t, err)

					event, err := webhooks.ParseEvent(b)
					if tt.wantErr != nil {
						require.ErrorIs(t, err, tt.wantErr, "%s", b)
						assert.Nil(t, event)
						return
					}
					require.NoError(t, err, "%s", b)
					assertRawIsData(t, b, event)
					for name, event := range map[string]webhooks.Event{"decoded": event, "built by hand": withoutRaw(event)} {
						d := reflect.ValueOf(event).FieldByName("Data")
						assert.Equal(t, tt.wantZero, d.FieldByName(f.GoName).IsZero(), "%s: got %s = %v", name, f.GoName, d.FieldByName(f.GoName))
						for _, other := range optionalFields(e) {
							has := d.MethodByName("Has" + other.GoName)
							require.True(t, has.IsValid(), "no method Has%s", other.GoName)
							want := true
							switch {
							case other.Name != f.Name:
							case name == "decoded":
								want = tt.wantHas
							default:
								want = !tt.wantZero
							}
							assert.Equal(t, want, has.Call(nil)[0].Bool(), "%s: got Has%s() %v, want %v: %s", name, other.GoName, !want, want, b)
						}
					}
				})
			}
		}
	}
}

// TestParseEventHasMethodsAreTheOptionalFields checks that the data struct
// of every type has a Has method for each optional field and no other.
func TestParseEventHasMethodsAreTheOptionalFields(t *testing.T) {
	for _, e := range events.Events {
		t.Run(e.Type, func(t *testing.T) {
			var want, got []string
			for _, f := range optionalFields(e) {
				want = append(want, "Has"+f.GoName)
			}
			data, ok := reflect.TypeOf(fixtureEvents[webhooks.EventType(e.Type)]).FieldByName("Data")
			require.True(t, ok)
			for m := range data.Type.Methods() {
				if strings.HasPrefix(m.Name, "Has") {
					got = append(got, m.Name)
				}
			}
			assert.ElementsMatch(t, want, got)
		})
	}
}

// TestMarshalIgnoresRaw marshals a literal whose Data.Raw says something
// else: the body is made of the fields alone.
func TestMarshalIgnoresRaw(t *testing.T) {
	literal := webhooks.AgentSessionIdleWebhookEvent{
		ID: "evt_1", CreatedAt: 1,
		Data: webhooks.AgentSessionIdleWebhookEventData{ID: "sess_1", EnvironmentType: webhooks.EnvironmentTypeNone,
			Raw: []byte(`{"id":"sess_2","environment_id":"ccarenv_2"}`)},
	}
	body, err := json.Marshal(literal)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"evt_1","object":"event","created_at":1,"type":"agent.session.idle","data":{"id":"sess_1","environment_type":"none"}}`, string(body))
}
