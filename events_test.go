package webhooks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
)

// fixture returns the body of testdata/<typ>.json.
func fixture(t testing.TB, typ webhooks.EventType) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", string(typ)+".json"))
	require.NoError(t, err)
	return body
}

// sipHeaders are the headers of the SIP INVITE in the incoming-call fixtures.
var sipHeaders = []webhooks.SipHeader{
	{Name: "Max-Forwards", Value: "63"},
	{Name: "CSeq", Value: "851287 INVITE"},
	{Name: "Content-Type", Value: "application/sdp"},
	{Name: "To", Value: "<sip:+14255550112@sip.api.openai.com>"},
	{Name: "From", Value: `"Jane Roe" <sip:+14155550123@sip.example.com>;tag=64a1f8c2`},
	{Name: "Call-ID", Value: "8f2b4c6d-3a1e-4b7f-9c2d-5e6f7a8b9c0d@203.0.113.17"},
	{Name: "Via", Value: "SIP/2.0/TLS 203.0.113.17:5061;branch=z9hG4bK776asdhds"},
	{Name: "User-Agent", Value: "Acme-PBX/4.2"},
}

// fixtureEvents is what each fixture in testdata decodes to, field by field.
var fixtureEvents = map[webhooks.EventType]webhooks.Event{
	webhooks.EventTypeBatchCancelled: webhooks.BatchCancelledWebhookEvent{
		ID: "evt_6853a9c2f1d88190b0b5d1e6c2a4f7e1", CreatedAt: 1750313410,
		Data: webhooks.BatchCancelledWebhookEventData{ID: "batch_6853a7b0c4e88190a5c2a4e2a1f3b9d2"},
		Type: webhooks.EventTypeBatchCancelled, Object: "event",
	},
	webhooks.EventTypeBatchCompleted: webhooks.BatchCompletedWebhookEvent{
		ID: "evt_6853b1d4a0fc8190b6f1c2d3e4a5b6c7", CreatedAt: 1750315476,
		Data: webhooks.BatchCompletedWebhookEventData{ID: "batch_6853a7b0c4e88190a5c2a4e2a1f3b9d3"},
		Type: webhooks.EventTypeBatchCompleted, Object: "event",
	},
	webhooks.EventTypeBatchExpired: webhooks.BatchExpiredWebhookEvent{ // no "object" in the body
		ID: "evt_6854f2e1b3a48190a1b2c3d4e5f60718", CreatedAt: 1750397665,
		Data: webhooks.BatchExpiredWebhookEventData{ID: "batch_6853a7b0c4e88190a5c2a4e2a1f3b9d4"},
		Type: webhooks.EventTypeBatchExpired,
	},
	webhooks.EventTypeBatchFailed: webhooks.BatchFailedWebhookEvent{
		ID: "evt_6853a8f0e2c48190b7a6c5d4e3f2a1b0", CreatedAt: 1750313200,
		Data: webhooks.BatchFailedWebhookEventData{ID: "batch_6853a7b0c4e88190a5c2a4e2a1f3b9d5"},
		Type: webhooks.EventTypeBatchFailed, Object: "event",
	},
	webhooks.EventTypeEvalRunCanceled: webhooks.EvalRunCanceledWebhookEvent{
		ID: "evt_68544c1e9a7c8190b2d3e4f5a6b7c8d9", CreatedAt: 1750355998,
		Data: webhooks.EvalRunCanceledWebhookEventData{ID: "evalrun_68544b7f2d2c8190a91c3f5e7b9d1a3c"},
		Type: webhooks.EventTypeEvalRunCanceled, Object: "event",
	},
	webhooks.EventTypeEvalRunFailed: webhooks.EvalRunFailedWebhookEvent{ // no "object" in the body
		ID: "evt_68544d02b5e48190a3c4d5e6f7a8b9c0", CreatedAt: 1750356226,
		Data: webhooks.EvalRunFailedWebhookEventData{ID: "evalrun_68544b7f2d2c8190a91c3f5e7b9d1a3d"},
		Type: webhooks.EventTypeEvalRunFailed,
	},
	webhooks.EventTypeEvalRunSucceeded: webhooks.EvalRunSucceededWebhookEvent{
		ID: "evt_68544e6f13b08190b4d5e6f7a8b9c0d1", CreatedAt: 1750356591,
		Data: webhooks.EvalRunSucceededWebhookEventData{ID: "evalrun_68544b7f2d2c8190a91c3f5e7b9d1a3e"},
		Type: webhooks.EventTypeEvalRunSucceeded, Object: "event",
	},
	webhooks.EventTypeFineTuningJobCancelled: webhooks.FineTuningJobCancelledWebhookEvent{
		ID: "evt_685512a4c7d88190a5e6f7a8b9c0d1e2", CreatedAt: 1750405796,
		Data: webhooks.FineTuningJobCancelledWebhookEventData{ID: "ftjob-Zq4k8VbT2mN7xR1cY9wL3sPa"},
		Type: webhooks.EventTypeFineTuningJobCancelled, Object: "event",
	},
	webhooks.EventTypeFineTuningJobFailed: webhooks.FineTuningJobFailedWebhookEvent{
		ID: "evt_685513b8d9e08190b6f7a8b9c0d1e2f3", CreatedAt: 1750406072,
		Data: webhooks.FineTuningJobFailedWebhookEventData{ID: "ftjob-Hc7pW2nQ9dK4vJ6tB1mX8rLe"},
		Type: webhooks.EventTypeFineTuningJobFailed, Object: "event",
	},
	webhooks.EventTypeFineTuningJobSucceeded: webhooks.FineTuningJobSucceededWebhookEvent{
		ID: "evt_685518f2a1b48190a7a8b9c0d1e2f3a4", CreatedAt: 1750407410,
		Data: webhooks.FineTuningJobSucceededWebhookEventData{ID: "ftjob-Tb3yM6kR8wN1cV5qJ2hZ9pDf"},
		Type: webhooks.EventTypeFineTuningJobSucceeded, Object: "event",
	},
	webhooks.EventTypeLiveCallIncoming: webhooks.LiveCallIncomingWebhookEvent{
		ID: "evt_6a1c2d3e4f508190b1c2d3e4f5a6b7c8", CreatedAt: 1779120001,
		Data: webhooks.LiveCallIncomingWebhookEventData{
			SessionID:  "rtc_8d1e4f2a6b7c4d9e8f0a1b2c3d4e5f6a",
			SipHeaders: sipHeaders[:6],
		},
		Type: webhooks.EventTypeLiveCallIncoming, Object: "event",
	},
	webhooks.EventTypeRealtimeCallIncoming: webhooks.RealtimeCallIncomingWebhookEvent{
		ID: "evt_68a4f0c1e5d88190a1b2c3d4e5f6a7b8", CreatedAt: 1755645599,
		Data: webhooks.RealtimeCallIncomingWebhookEventData{
			CallID:     "rtc_479a275623b54bdb9b6fbae2f7cbd408",
			SipHeaders: sipHeaders,
		},
		Type: webhooks.EventTypeRealtimeCallIncoming, Object: "event",
	},
	webhooks.EventTypeResponseCancelled: webhooks.ResponseCancelledWebhookEvent{
		ID: "evt_68535f0a9c2c8190b8b9c0d1e2f3a4b5", CreatedAt: 1750294282,
		Data: webhooks.ResponseCancelledWebhookEventData{ID: "resp_68535e8c7a0c8190a3f2b1c0d9e8f7a6"},
		Type: webhooks.EventTypeResponseCancelled, Object: "event",
	},
	webhooks.EventTypeResponseCompleted: webhooks.ResponseCompletedWebhookEvent{
		ID: "evt_685343a1381c819085d44c354e1b330e", CreatedAt: 1750287018,
		Data: webhooks.ResponseCompletedWebhookEventData{ID: "resp_685343a0b1fc8190a0a6f7cbd4b1c3e2"},
		Type: webhooks.EventTypeResponseCompleted, Object: "event",
	},
	webhooks.EventTypeResponseFailed: webhooks.ResponseFailedWebhookEvent{ // no "object" in the body
		ID: "evt_6853601bc2e08190a9c0d1e2f3a4b5c6", CreatedAt: 1750294555,
		Data: webhooks.ResponseFailedWebhookEventData{ID: "resp_68535fd1a4f08190b2e3f4a5b6c7d8e9"},
		Type: webhooks.EventTypeResponseFailed,
	},
	webhooks.EventTypeResponseIncomplete: webhooks.ResponseIncompleteWebhookEvent{
		ID: "evt_685361a7d3f48190b0d1e2f3a4b5c6d7", CreatedAt: 1750294951,
		Data: webhooks.ResponseIncompleteWebhookEventData{ID: "resp_685360f2b5e48190a4f5a6b7c8d9e0f1"},
		Type: webhooks.EventTypeResponseIncomplete, Object: "event",
	},
}

func TestEveryTypeHasFixtureAndExpectation(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	var fixtures []webhooks.EventType
	for _, f := range files {
		fixtures = append(fixtures, webhooks.EventType(strings.TrimSuffix(filepath.Base(f), ".json")))
	}
	var expected []webhooks.EventType
	for typ := range fixtureEvents {
		expected = append(expected, typ)
	}
	sort.Slice(expected, func(i, j int) bool { return expected[i] < expected[j] })

	assert.Len(t, webhooks.EventTypes(), 16, "OpenAI publishes sixteen event types")
	assert.Equal(t, webhooks.EventTypes(), fixtures, "got fixtures in testdata, want one per known type")
	assert.Equal(t, webhooks.EventTypes(), expected, "got expectations in fixtureEvents, want one per known type")
}

func TestParseEventFixtures(t *testing.T) {
	for _, typ := range webhooks.EventTypes() {
		t.Run(string(typ), func(t *testing.T) {
			want, ok := fixtureEvents[typ]
			require.True(t, ok, "no expected event for %s", typ)

			got, err := webhooks.ParseEvent(fixture(t, typ))
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, typ, got.EventType())
			assert.Equal(t, reflect.ValueOf(want).FieldByName("ID").String(), got.EventID())
			createdAt := reflect.ValueOf(want).FieldByName("CreatedAt").Int()
			assert.Equal(t, time.Unix(createdAt, 0).UTC(), got.EventTime())
		})
	}
}

func TestEventsWithoutSlicesAreComparable(t *testing.T) {
	a, err := webhooks.ParseEvent(fixture(t, webhooks.EventTypeResponseCompleted))
	require.NoError(t, err)
	b, err := webhooks.ParseEvent(fixture(t, webhooks.EventTypeResponseCompleted))
	require.NoError(t, err)
	assert.True(t, a == b, "got two decodings of one body unequal with ==")
	assert.True(t, a == fixtureEvents[webhooks.EventTypeResponseCompleted], "got decoded event != its struct literal")
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, typ := range webhooks.EventTypes() {
		t.Run(string(typ), func(t *testing.T) {
			event, err := webhooks.ParseEvent(fixture(t, typ))
			require.NoError(t, err)
			body, err := json.Marshal(event)
			require.NoError(t, err)
			again, err := webhooks.ParseEvent(body)
			require.NoError(t, err)

			// Marshalling writes "object":"event" where the body left it
			// out; everything else survives unchanged.
			want := reflect.ValueOf(&event).Elem().Elem()
			copied := reflect.New(want.Type()).Elem()
			copied.Set(want)
			copied.FieldByName("Object").SetString("event")
			assert.Equal(t, copied.Interface(), again)
		})
	}
}

func TestMarshalZeroValueWritesTypeAndObject(t *testing.T) {
	for _, typ := range webhooks.EventTypes() {
		t.Run(string(typ), func(t *testing.T) {
			zero := reflect.Zero(reflect.TypeOf(fixtureEvents[typ])).Interface()
			body, err := json.Marshal(zero)
			require.NoError(t, err)

			var wire map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(body, &wire))
			assert.JSONEq(t, `"`+string(typ)+`"`, string(wire["type"]))
			assert.JSONEq(t, `"event"`, string(wire["object"]))
			if strings.HasSuffix(string(typ), ".call.incoming") {
				var data map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(wire["data"], &data))
				assert.JSONEq(t, `[]`, string(data["sip_headers"]), "got nil SipHeaders marshalled as %s, want []", data["sip_headers"])
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
	assert.Equal(t, literal, got)
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
	assert.Equal(t, webhooks.EventTypeBatchCancelled, webhooks.EventTypes()[0], "EventTypes must return a copy")
}

// TestParseEventAccepts lists bodies that decode, and checks each against
// encoding/json decoding the same body into the same struct.
func TestParseEventAccepts(t *testing.T) {
	tests := []struct {
		name string
		body string
		want webhooks.Event
	}{
		{
			name: "object left out",
			body: `{"id":"evt_1","created_at":1750000000,"type":"batch.completed","data":{"id":"batch_1"}}`,
			want: webhooks.BatchCompletedWebhookEvent{ID: "evt_1", CreatedAt: 1750000000, Type: "batch.completed", Data: webhooks.BatchCompletedWebhookEventData{ID: "batch_1"}},
		},
		{
			name: "object null",
			body: `{"id":"evt_1","object":null,"created_at":1750000000,"type":"batch.completed","data":{"id":"batch_1"}}`,
			want: webhooks.BatchCompletedWebhookEvent{ID: "evt_1", CreatedAt: 1750000000, Type: "batch.completed", Data: webhooks.BatchCompletedWebhookEventData{ID: "batch_1"}},
		},
		{
			name: "fields in another order, whitespace everywhere",
			body: " \t\r\n{ \"data\" : { \"id\" : \"resp_1\" } , \"type\" : \"response.failed\" ,\n\"created_at\" : 0 , \"id\" : \"evt_1\" }\n",
			want: webhooks.ResponseFailedWebhookEvent{ID: "evt_1", Type: "response.failed", Data: webhooks.ResponseFailedWebhookEventData{ID: "resp_1"}},
		},
		{
			name: "unknown fields at every level are ignored",
			body: `{"id":"evt_1","extra":{"a":[1,2.5e-3,true,false,null,{"b":"c"}]},"created_at":1,"type":"realtime.call.incoming",` +
				`"data":{"call_id":"rtc_1","sip_headers":[{"name":"To","value":"x","extra":[]}],"new":"field"}}`,
			want: webhooks.RealtimeCallIncomingWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "realtime.call.incoming",
				Data: webhooks.RealtimeCallIncomingWebhookEventData{CallID: "rtc_1", SipHeaders: []webhooks.SipHeader{{Name: "To", Value: "x"}}}},
		},
		{
			name: "empty sip_headers",
			body: `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"rtc_1","sip_headers":[]}}`,
			want: webhooks.LiveCallIncomingWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "live.call.incoming",
				Data: webhooks.LiveCallIncomingWebhookEventData{SessionID: "rtc_1", SipHeaders: []webhooks.SipHeader{}}},
		},
		{
			name: "empty sip header value",
			body: `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"rtc_1","sip_headers":[{"name":"","value":""}]}}`,
			want: webhooks.LiveCallIncomingWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "live.call.incoming",
				Data: webhooks.LiveCallIncomingWebhookEventData{SessionID: "rtc_1", SipHeaders: []webhooks.SipHeader{{}}}},
		},
		{
			name: "escapes are decoded",
			body: `{"id":"evt_\u0031\n\t\"\\\/","created_at":1,"type":"realtime.call.incoming",` +
				`"data":{"call_id":"rtc_\ud83d\ude00","sip_headers":[{"name":"\ud800 lone","value":"\u00e9\u4e16"}]}}`,
			want: webhooks.RealtimeCallIncomingWebhookEvent{ID: "evt_1\n\t\"\\/", CreatedAt: 1, Type: "realtime.call.incoming",
				Data: webhooks.RealtimeCallIncomingWebhookEventData{CallID: "rtc_😀", SipHeaders: []webhooks.SipHeader{{Name: "\uFFFD lone", Value: "é世"}}}},
		},
		{
			name: "escaped keys and type",
			body: `{"\u0069d":"evt_1","created\u005fat":1,"typ\u0065":"response\u002ecompleted","data":{"i\u0064":"resp_1"}}`,
			want: webhooks.ResponseCompletedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "response.completed", Data: webhooks.ResponseCompletedWebhookEventData{ID: "resp_1"}},
		},
		{
			name: "negative and extreme created_at",
			body: `{"id":"evt_1","created_at":-9223372036854775808,"type":"batch.failed","data":{"id":"batch_1"}}`,
			want: webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: -9223372036854775808, Type: "batch.failed", Data: webhooks.BatchFailedWebhookEventData{ID: "batch_1"}},
		},
		{
			name: "largest created_at",
			body: `{"id":"evt_1","created_at":9223372036854775807,"type":"batch.failed","data":{"id":"batch_1"}}`,
			want: webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: 9223372036854775807, Type: "batch.failed", Data: webhooks.BatchFailedWebhookEventData{ID: "batch_1"}},
		},
		{
			name: "object with another value is kept",
			body: `{"id":"evt_1","object":"thing","created_at":1,"type":"batch.failed","data":{"id":"batch_1"}}`,
			want: webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "batch.failed", Object: "thing", Data: webhooks.BatchFailedWebhookEventData{ID: "batch_1"}},
		},
		{
			name: "data fields of other types are ignored",
			body: `{"id":"evt_1","created_at":1,"type":"batch.failed","data":{"id":"batch_1","call_id":7,"sip_headers":"no"}}`,
			want: webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "batch.failed", Data: webhooks.BatchFailedWebhookEventData{ID: "batch_1"}},
		},
		{
			name: "huge number in an unknown field",
			body: `{"id":"evt_1","n":-1` + strings.Repeat("0", 5000) + `.5e99999999,"created_at":1,"type":"batch.failed","data":{"id":"batch_1"}}`,
			want: webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "batch.failed", Data: webhooks.BatchFailedWebhookEventData{ID: "batch_1"}},
		},
		{
			name: "repeated unknown keys are ignored",
			body: `{"id":"evt_1","x":1,"x":2,"created_at":1,"type":"batch.failed","data":{"id":"batch_1","y":1,"y":2}}`,
			want: webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "batch.failed", Data: webhooks.BatchFailedWebhookEventData{ID: "batch_1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhooks.ParseEvent([]byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			std := reflect.New(reflect.TypeOf(tt.want))
			require.NoError(t, json.Unmarshal([]byte(tt.body), std.Interface()), "encoding/json")
			assert.Equal(t, std.Elem().Interface(), got, "got a value encoding/json decodes differently")
		})
	}
}

func TestParseEventRejects(t *testing.T) {
	const valid = `{"id":"evt_1","object":"event","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	tests := []struct {
		name  string
		body  string
		field string // PayloadError.Field: where the problem is, "" for the body as a whole
	}{
		{"empty body", ``, ""},
		{"whitespace only", " \n", ""},
		{"not JSON", `hello`, ""},
		{"JSON array", `[` + valid + `]`, ""},
		{"JSON string", `"evt_1"`, ""},
		{"JSON null", `null`, ""},
		{"truncated", valid[:len(valid)-1], ""},
		{"trailing data", valid + `{}`, ""},
		{"trailing comma", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"},}`, ""},
		{"single quotes", `{'id':"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"missing id", `{"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "id"},
		{"missing created_at", `{"id":"evt_1","type":"batch.completed","data":{"id":"batch_1"}}`, "created_at"},
		{"missing type", `{"id":"evt_1","created_at":1,"data":{"id":"batch_1"}}`, "type"},
		{"missing data", `{"id":"evt_1","created_at":1,"type":"batch.completed"}`, "data"},
		{"missing data of unknown type", `{"id":"evt_1","created_at":1,"type":"new.type"}`, "data"},
		{"id number", `{"id":1,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "id"},
		{"id null", `{"id":null,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "id"},
		{"id empty", `{"id":"","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "id"},
		{"created_at float", `{"id":"evt_1","created_at":1.5,"type":"batch.completed","data":{"id":"batch_1"}}`, "created_at"},
		{"created_at integral float", `{"id":"evt_1","created_at":1.0,"type":"batch.completed","data":{"id":"batch_1"}}`, "created_at"},
		{"created_at exponent", `{"id":"evt_1","created_at":1e9,"type":"batch.completed","data":{"id":"batch_1"}}`, "created_at"},
		{"created_at string", `{"id":"evt_1","created_at":"1750000000","type":"batch.completed","data":{"id":"batch_1"}}`, "created_at"},
		{"created_at null", `{"id":"evt_1","created_at":null,"type":"batch.completed","data":{"id":"batch_1"}}`, "created_at"},
		{"created_at above int64", `{"id":"evt_1","created_at":9223372036854775808,"type":"batch.completed","data":{"id":"batch_1"}}`, "created_at"},
		{"created_at below int64", `{"id":"evt_1","created_at":-9223372036854775809,"type":"batch.completed","data":{"id":"batch_1"}}`, "created_at"},
		{"created_at huge", `{"id":"evt_1","created_at":` + strings.Repeat("9", 400) + `,"type":"batch.completed","data":{"id":"batch_1"}}`, "created_at"},
		{"created_at leading zero", `{"id":"evt_1","created_at":01,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"created_at plus sign", `{"id":"evt_1","created_at":+1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"type number", `{"id":"evt_1","created_at":1,"type":7,"data":{"id":"batch_1"}}`, "type"},
		{"type empty", `{"id":"evt_1","created_at":1,"type":"","data":{"id":"batch_1"}}`, "type"},
		{"object number", `{"id":"evt_1","object":1,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "object"},
		{"data null", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":null}`, "data"},
		{"data array", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":[]}`, "data"},
		{"data string of unknown type", `{"id":"evt_1","created_at":1,"type":"new.type","data":"x"}`, "data"},
		{"data.id missing", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{}}`, "data.id"},
		{"data.id empty", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":""}}`, "data.id"},
		{"data.id number", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":12}}`, "data.id"},
		{"data.id null", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":null}}`, "data.id"},
		{"call_id missing", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"sip_headers":[]}}`, "data.call_id"},
		{"call_id given as id", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"id":"rtc_1","sip_headers":[]}}`, "data.call_id"},
		{"session_id missing", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"call_id":"rtc_1","sip_headers":[]}}`, "data.session_id"},
		{"sip_headers missing", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1"}}`, "data.sip_headers"},
		{"sip_headers null", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":null}}`, "data.sip_headers"},
		{"sip_headers object", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"rtc_1","sip_headers":{}}}`, "data.sip_headers"},
		{"sip header not an object", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":["To: x"]}}`, "data.sip_headers[0]"},
		{"sip header name missing", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[{"value":"x"}]}}`, "data.sip_headers[0].name"},
		{"sip header value missing", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[{"name":"To"}]}}`, "data.sip_headers[0].value"},
		{"sip header value number", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"rtc_1","sip_headers":[{"name":"To","value":5}]}}`, "data.sip_headers[0].value"},
		{"second sip header bad", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"rtc_1","sip_headers":[{"name":"To","value":"x"},{"name":null,"value":"y"}]}}`, "data.sip_headers[1].name"},
		{"type given twice", `{"id":"evt_1","created_at":1,"type":"batch.completed","type":"response.completed","data":{"id":"batch_1"}}`, "type"},
		{"id given twice", `{"id":"evt_1","id":"evt_2","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "id"},
		{"data given twice", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"},"data":{"id":"batch_2"}}`, "data"},
		{"data.id given twice", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1","id":"batch_2"}}`, "data.id"},
		{"escaped key repeats a key", `{"id":"evt_1","created_at":1,"type":"batch.completed","typ\u0065":"x","data":{"id":"batch_1"}}`, "type"},
		{"sip header name given twice", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"rtc_1","sip_headers":[{"name":"a","name":"b","value":"c"}]}}`, "data.sip_headers[0].name"},
		{"key in another case", `{"id":"evt_1","created_at":1,"type":"batch.completed","Type":"response.completed","data":{"id":"batch_1"}}`, "type"},
		{"key in another case alone", `{"ID":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "id"},
		{"data key in another case", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1","Id":"batch_2"}}`, "data.id"},
		{"key folding to a key (long s)", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"rtc_1","\u017fession_id":"rtc_2","sip_headers":[]}}`, "data.session_id"},
		{"invalid UTF-8 in a value", "{\"id\":\"evt_\xff\",\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"batch_1\"}}", ""},
		{"invalid UTF-8 in an unknown field", "{\"id\":\"evt_1\",\"x\":\"\xc3\x28\",\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"batch_1\"}}", ""},
		{"NUL byte in a string", "{\"id\":\"evt_\x00\",\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"batch_1\"}}", ""},
		{"newline in a string", "{\"id\":\"evt_\n\",\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"batch_1\"}}", ""},
		{"invalid escape", `{"id":"evt_\x41","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"short unicode escape", `{"id":"evt_\u12","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"unterminated string", `{"id":"evt_1`, ""},
		{"bad literal", `{"id":"evt_1","x":nul,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"bad number in unknown field", `{"id":"evt_1","x":-,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"trailing comma in an unknown array", `{"id":"evt_1","x":[1,],"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"leading comma in an unknown array", `{"id":"evt_1","x":[,1],"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"missing comma in an unknown array", `{"id":"evt_1","x":[1 2],"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"trailing comma in an unknown object", `{"id":"evt_1","x":{"a":1,},"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"lone comma in an unknown object", `{"id":"evt_1","x":{,},"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"missing colon in an unknown object", `{"id":"evt_1","x":{"a" 1},"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"missing comma in data", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1" "x":1}}`, ""},
		{"trailing comma in sip_headers", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"rtc_1","sip_headers":[{"name":"a","value":"b"},]}}`, ""},
		{"non-string key", `{"id":"evt_1",1:2,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"unclosed object", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}`, ""},
		{"unclosed unknown array", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"},"x":[1`, ""},
		{"byte-order mark", "\xef\xbb\xbf" + valid, ""},
		{"nested deeper than 10000", `{"id":"evt_1","x":` + deep + `,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhooks.ParseEvent([]byte(tt.body))
			require.ErrorIs(t, err, webhooks.ErrInvalidPayload)
			assert.Nil(t, got)
			var perr *webhooks.PayloadError
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, tt.field, perr.Field, "got field %q, want %q (problem: %s)", perr.Field, tt.field, perr.Problem)
		})
	}
}
