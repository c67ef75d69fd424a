//lint:file-ignore SA1019 live.call.incoming is deprecated, and still decoded and tested.

package webhooks_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

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
			body: `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"live_1","sip_headers":[]}}`,
			want: webhooks.LiveCallIncomingWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "live.call.incoming",
				Data: webhooks.LiveCallIncomingWebhookEventData{SessionID: "live_1", SipHeaders: []webhooks.SipHeader{}}},
		},
		{
			name: "empty sip header value",
			body: `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"live_1","sip_headers":[{"name":"","value":""}]}}`,
			want: webhooks.LiveCallIncomingWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "live.call.incoming",
				Data: webhooks.LiveCallIncomingWebhookEventData{SessionID: "live_1", SipHeaders: []webhooks.SipHeader{{}}}},
		},
		{
			name: "escapes are decoded",
			body: `{"id":"evt_\u0031\n\t\"\\\/","created_at":1,"type":"realtime.call.incoming",` +
				`"data":{"call_id":"rtc_\ud83d\ude00","sip_headers":[{"name":"\u00e9","value":"\u4e16"}]}}`,
			want: webhooks.RealtimeCallIncomingWebhookEvent{ID: "evt_1\n\t\"\\/", CreatedAt: 1, Type: "realtime.call.incoming",
				Data: webhooks.RealtimeCallIncomingWebhookEventData{CallID: "rtc_😀", SipHeaders: []webhooks.SipHeader{{Name: "é", Value: "世"}}}},
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
			name: "optional fields left out",
			body: `{"id":"evt_1","created_at":1,"type":"agent.session.created","data":{"id":"sess_1","environment_type":"none"}}`,
			want: webhooks.AgentSessionCreatedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "agent.session.created",
				Data: webhooks.AgentSessionCreatedWebhookEventData{ID: "sess_1", EnvironmentType: webhooks.EnvironmentTypeNone}},
		},
		{
			name: "optional fields null",
			body: `{"id":"evt_1","created_at":1,"type":"agent.session.created","data":{"id":"sess_1","environment_type":"none","connect":null,"environment_id":null}}`,
			want: webhooks.AgentSessionCreatedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "agent.session.created",
				Data: webhooks.AgentSessionCreatedWebhookEventData{ID: "sess_1", EnvironmentType: webhooks.EnvironmentTypeNone}},
		},
		{
			name: "optional object present",
			body: `{"id":"evt_1","created_at":1,"type":"agent.session.created","data":{"id":"sess_1","environment_type":"self_hosted","connect":{"remote_url":"wss://x/y"},"environment_id":"ccarenv_1"}}`,
			want: webhooks.AgentSessionCreatedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "agent.session.created",
				Data: webhooks.AgentSessionCreatedWebhookEventData{ID: "sess_1", EnvironmentType: webhooks.EnvironmentTypeSelfHosted,
					Connect: &webhooks.AgentSessionCreatedWebhookEventDataConnect{RemoteURL: "wss://x/y"}, EnvironmentID: "ccarenv_1"}},
		},
		{
			name: "unknown values of open enumerations are kept",
			body: `{"id":"evt_1","created_at":1,"type":"agent.session.action_required","data":{"id":"sess_1","required_action":{"type":"mcp_approval"}}}`,
			want: webhooks.AgentSessionActionRequiredWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "agent.session.action_required",
				Data: webhooks.AgentSessionActionRequiredWebhookEventData{ID: "sess_1",
					RequiredAction: webhooks.AgentSessionActionRequiredWebhookEventDataRequiredAction{Type: "mcp_approval"}}},
		},
		{
			name: "sip_media_security unknown, and an unknown transport type",
			body: `{"id":"evt_1","created_at":1,"type":"live.transport.incoming","data":{"session_id":"live_1","sip_headers":[],"type":"webrtc","sip_media_security":"zrtp"}}`,
			want: webhooks.LiveTransportIncomingWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "live.transport.incoming",
				Data: webhooks.LiveTransportIncomingWebhookEventData{SessionID: "live_1", SipHeaders: []webhooks.SipHeader{}, Type: "webrtc", SipMediaSecurity: "zrtp"}},
		},
		{
			name: "sip_media_security empty",
			body: `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[],"sip_media_security":""}}`,
			want: webhooks.RealtimeCallIncomingWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "realtime.call.incoming",
				Data: webhooks.RealtimeCallIncomingWebhookEventData{CallID: "rtc_1", SipHeaders: []webhooks.SipHeader{}}},
		},
		{
			name: "sip_media_security null",
			body: `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[],"sip_media_security":null}}`,
			want: webhooks.RealtimeCallIncomingWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "realtime.call.incoming",
				Data: webhooks.RealtimeCallIncomingWebhookEventData{CallID: "rtc_1", SipHeaders: []webhooks.SipHeader{}}},
		},
		{
			name: "data.type is required, not checked against sip",
			body: `{"id":"evt_1","created_at":1,"type":"live.transport.incoming","data":{"type":"","session_id":"live_1","sip_headers":[]}}`,
			want: webhooks.LiveTransportIncomingWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "live.transport.incoming",
				Data: webhooks.LiveTransportIncomingWebhookEventData{SessionID: "live_1", SipHeaders: []webhooks.SipHeader{}}},
		},
		{
			name: "created_at at the value ParseEvent prefills",
			body: `{"id":"evt_1","created_at":-9223372036854775808,"type":"unknown.kind","data":{}}`,
			want: webhooks.UnknownEvent{ID: "evt_1", CreatedAt: -9223372036854775808, Type: "unknown.kind", Data: []byte(`{}`)},
		},
		{
			name: "a member of another type may take any case",
			body: `{"id":"evt_1","created_at":1,"type":"batch.failed","data":{"id":"batch_1","Call_ID":1,"nested":{"ID":2,"Type":3}},"Extra":{"Data":4}}`,
			want: webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "batch.failed", Data: webhooks.BatchFailedWebhookEventData{ID: "batch_1"}},
		},
		{
			name: "a data member named like the tag of Raw",
			body: `{"id":"evt_1","created_at":1,"type":"batch.failed","data":{"id":"batch_1","-":"x","Raw":[1]}}`,
			want: webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "batch.failed", Data: webhooks.BatchFailedWebhookEventData{ID: "batch_1"}},
		},
		{
			name: "pretty-printed",
			body: "{\n  \"id\": \"evt_1\",\n  \"object\": \"event\",\n  \"created_at\": 1,\n  \"type\": \"safety.alert.created\",\n  \"data\": {\n    \"id\": \"salert_1\"\n  }\n}\n",
			want: webhooks.SafetyAlertCreatedWebhookEvent{ID: "evt_1", CreatedAt: 1, Type: "safety.alert.created", Object: "event", Data: webhooks.SafetyAlertCreatedWebhookEventData{ID: "salert_1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			got, err := webhooks.ParseEvent(body)
			require.NoError(t, err)
			assert.Equal(t, tt.want, withoutRaw(got))

			std := reflect.New(reflect.TypeOf(tt.want))
			require.NoError(t, json.Unmarshal([]byte(tt.body), std.Interface()), "encoding/json")
			assert.Equal(t, std.Elem().Interface(), withoutRaw(got), "got a value encoding/json decodes differently")
			assertRawIsData(t, body, got)
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
		{"sip_headers object", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"live_1","sip_headers":{}}}`, "data.sip_headers"},
		{"sip header not an object", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":["To: x"]}}`, "data.sip_headers[0]"},
		{"sip header name missing", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[{"value":"x"}]}}`, "data.sip_headers[0].name"},
		{"sip header value missing", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[{"name":"To"}]}}`, "data.sip_headers[0].value"},
		{"sip header value number", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"live_1","sip_headers":[{"name":"To","value":5}]}}`, "data.sip_headers[0].value"},
		{"second sip header bad", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"live_1","sip_headers":[{"name":"To","value":"x"},{"name":null,"value":"y"}]}}`, "data.sip_headers[1].name"},
		{"type given twice", `{"id":"evt_1","created_at":1,"type":"batch.completed","type":"response.completed","data":{"id":"batch_1"}}`, "type"},
		{"id given twice", `{"id":"evt_1","id":"evt_2","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "id"},
		{"data given twice", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"},"data":{"id":"batch_2"}}`, "data"},
		{"data.id given twice", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1","id":"batch_2"}}`, "data.id"},
		{"escaped key repeats a key", `{"id":"evt_1","created_at":1,"type":"batch.completed","typ\u0065":"x","data":{"id":"batch_1"}}`, "type"},
		{"sip header name given twice", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"live_1","sip_headers":[{"name":"a","name":"b","value":"c"}]}}`, "data.sip_headers[0].name"},
		{"key in another case", `{"id":"evt_1","created_at":1,"type":"batch.completed","Type":"response.completed","data":{"id":"batch_1"}}`, "type"},
		{"key in another case alone", `{"ID":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "id"},
		{"data key in another case", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1","Id":"batch_2"}}`, "data.id"},
		{"key folding to a key (long s)", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"live_1","\u017fession_id":"live_2","sip_headers":[]}}`, "data.session_id"},
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
		{"trailing comma in sip_headers", `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"session_id":"live_1","sip_headers":[{"name":"a","value":"b"},]}}`, ""},
		{"non-string key", `{"id":"evt_1",1:2,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"unclosed object", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}`, ""},
		{"unclosed unknown array", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1"},"x":[1`, ""},
		{"byte-order mark", "\xef\xbb\xbf" + valid, ""},
		{"nested deeper than 10000", `{"id":"evt_1","x":` + deep + `,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"lone surrogate escape", `{"id":"evt_\ud800","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, ""},
		{"unknown key given twice", `{"id":"evt_1","x":1,"x":2,"created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "x"},
		{"unknown key in data given twice", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1","y":1,"y":2}}`, "data.y"},
		{"environment_type missing", `{"id":"evt_1","created_at":1,"type":"agent.session.idle","data":{"id":"sess_1"}}`, "data.environment_type"},
		{"environment_type null", `{"id":"evt_1","created_at":1,"type":"agent.session.idle","data":{"id":"sess_1","environment_type":null}}`, "data.environment_type"},
		{"environment_type number", `{"id":"evt_1","created_at":1,"type":"agent.session.idle","data":{"id":"sess_1","environment_type":1}}`, "data.environment_type"},
		{"environment_id number", `{"id":"evt_1","created_at":1,"type":"agent.session.idle","data":{"id":"sess_1","environment_type":"none","environment_id":1}}`, "data.environment_id"},
		{"required_action missing", `{"id":"evt_1","created_at":1,"type":"agent.session.action_required","data":{"id":"sess_1"}}`, "data.required_action"},
		{"required_action null", `{"id":"evt_1","created_at":1,"type":"agent.session.action_required","data":{"id":"sess_1","required_action":null}}`, "data.required_action"},
		{"required_action empty", `{"id":"evt_1","created_at":1,"type":"agent.session.action_required","data":{"id":"sess_1","required_action":{}}}`, "data.required_action.type"},
		{"required_action.type number", `{"id":"evt_1","created_at":1,"type":"agent.session.action_required","data":{"id":"sess_1","required_action":{"type":1}}}`, "data.required_action.type"},
		{"required_action.type in another case", `{"id":"evt_1","created_at":1,"type":"agent.session.action_required","data":{"id":"sess_1","required_action":{"type":"function_call","TYPE":"x"}}}`, "data.required_action.type"},
		{"connect not an object", `{"id":"evt_1","created_at":1,"type":"agent.session.created","data":{"id":"sess_1","environment_type":"self_hosted","connect":"wss://x"}}`, "data.connect"},
		{"connect without remote_url", `{"id":"evt_1","created_at":1,"type":"agent.session.created","data":{"id":"sess_1","environment_type":"self_hosted","connect":{}}}`, "data.connect.remote_url"},
		{"connect.remote_url empty", `{"id":"evt_1","created_at":1,"type":"agent.session.created","data":{"id":"sess_1","environment_type":"self_hosted","connect":{"remote_url":""}}}`, "data.connect.remote_url"},
		{"connect.remote_url in another case", `{"id":"evt_1","created_at":1,"type":"agent.session.created","data":{"id":"sess_1","environment_type":"self_hosted","connect":{"Remote_URL":"wss://x"}}}`, "data.connect.remote_url"},
		{"sip header null", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[null]}}`, "data.sip_headers[0]"},
		{"sip header name in another case", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[{"Name":"To","value":"x"}]}}`, "data.sip_headers[0].name"},
		{"sip_media_security number", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[],"sip_media_security":1}}`, "data.sip_media_security"},
		{"data.type missing", `{"id":"evt_1","created_at":1,"type":"live.transport.incoming","data":{"session_id":"live_1","sip_headers":[]}}`, "data.type"},
		{"object in another case", `{"id":"evt_1","Object":"event","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`, "object"},
		{"escaped key in another case", `{"id":"evt_1","created_at":1,"\u0054ype":"response.completed","type":"batch.completed","data":{"id":"batch_1"}}`, "type"},
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

// TestParseEventRequiresEveryRequiredField takes the sample of every type,
// which has every field, and for each field that its struct tags as
// schema:"required" (at any depth, array elements included) removes it, sets
// it to null, and sets it to a value of the wrong JSON type: each time,
// ParseEvent must fail with a PayloadError naming exactly that field.
func TestParseEventRequiresEveryRequiredField(t *testing.T) {
	for _, typ := range webhooks.EventTypes() {
		sample := webhookstest.Sample(typ)
		var body map[string]any
		require.NoError(t, json.Unmarshal(sample, &body))
		for _, path := range requiredPaths(reflect.TypeOf(fixtureEvents[typ]), body, nil) {
			name := strings.Join(path, ".")
			for _, change := range []struct {
				how    string
				value  any // nil with remove: the field is removed
				remove bool
			}{
				{how: "missing", remove: true},
				{how: "null", value: nil},
				{how: "wrong type", value: wrongType(valueAt(body, path))},
			} {
				t.Run(fmt.Sprintf("%s/%s/%s", typ, name, change.how), func(t *testing.T) {
					changed := setAt(deepCopy(body), path, change.value, change.remove)
					b, err := json.Marshal(changed)
					require.NoError(t, err)
					event, err := webhooks.ParseEvent(b)
					require.ErrorIs(t, err, webhooks.ErrInvalidPayload, "%s", b)
					assert.Nil(t, event)
					var perr *webhooks.PayloadError
					require.ErrorAs(t, err, &perr)
					assert.Equal(t, pathString(path), perr.Field, "got field %q, want %q (%s) in %s", perr.Field, pathString(path), perr.Problem, b)
				})
			}
		}
	}
}

// requiredPaths returns the paths of the fields of t tagged
// schema:"required" that value (t's JSON) holds, depth first; an index in a
// path is a string of digits.
func requiredPaths(t reflect.Type, value any, prefix []string) [][]string {
	var paths [][]string
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, _ := value.(map[string]any)
		for sf := range t.Fields() {
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			v, present := obj[name]
			path := append(slices.Clone(prefix), name)
			if strings.HasPrefix(sf.Tag.Get("schema"), "required") {
				paths = append(paths, path)
			}
			if present && sf.Type != reflect.TypeFor[json.RawMessage]() {
				paths = append(paths, requiredPaths(sf.Type, v, path)...)
			}
		}
	case reflect.Slice:
		arr, _ := value.([]any)
		for i, v := range arr {
			paths = append(paths, requiredPaths(t.Elem(), v, append(slices.Clone(prefix), fmt.Sprint(i)))...)
		}
	}
	return paths
}

// pathString writes a path as PayloadError.Field does.
func pathString(path []string) string {
	var b strings.Builder
	for _, p := range path {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func valueAt(v any, path []string) any {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			var i int
			fmt.Sscan(p, &i)
			v = c[i]
		}
	}
	return v
}

// setAt sets the value at path in v, or removes it, and returns v.
func setAt(v any, path []string, value any, remove bool) any {
	parent := valueAt(v, path[:len(path)-1])
	last := path[len(path)-1]
	switch c := parent.(type) {
	case map[string]any:
		if remove {
			delete(c, last)
		} else {
			c[last] = value
		}
	case []any:
		var i int
		fmt.Sscan(last, &i)
		c[i] = value // an array element cannot be removed; null it
	}
	return v
}

// wrongType returns a JSON value of another type than v.
func wrongType(v any) any {
	if _, ok := v.(string); ok {
		return 7.0
	}
	return "seven"
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var c any
	_ = json.Unmarshal(b, &c)
	return c
}
