//lint:file-ignore SA1019 live.call.incoming is deprecated, and still decoded and tested.

package webhooks_test

import (
	"encoding/json"
	"maps"
	"os"
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
	"github.com/go-openai-webhooks/webhooks/webhookstest"
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
	webhooks.EventTypeAgentEnvironmentExpired: webhooks.AgentEnvironmentExpiredWebhookEvent{
		ID: "evt_6c01a2b3c4d58190e6f7a8b9c0d1e2f3", CreatedAt: 1783000100,
		Data: webhooks.AgentEnvironmentExpiredWebhookEventData{ID: "ccarenv_6c019f8e7d6c5b4a39281706f5e4d3c2"},
		Type: webhooks.EventTypeAgentEnvironmentExpired, Object: "event",
	},
	webhooks.EventTypeAgentEnvironmentFailed: webhooks.AgentEnvironmentFailedWebhookEvent{
		ID: "evt_6c01a2b3c4d58190e6f7a8b9c0d1e2f4", CreatedAt: 1783000200,
		Data: webhooks.AgentEnvironmentFailedWebhookEventData{ID: "ccarenv_6c019f8e7d6c5b4a39281706f5e4d3c3"},
		Type: webhooks.EventTypeAgentEnvironmentFailed, Object: "event",
	},
	webhooks.EventTypeAgentEnvironmentReady: webhooks.AgentEnvironmentReadyWebhookEvent{
		ID: "evt_6c01a2b3c4d58190e6f7a8b9c0d1e2f5", CreatedAt: 1783000300,
		Data: webhooks.AgentEnvironmentReadyWebhookEventData{ID: "ccarenv_6c019f8e7d6c5b4a39281706f5e4d3c4"},
		Type: webhooks.EventTypeAgentEnvironmentReady, Object: "event",
	},
	webhooks.EventTypeAgentEnvironmentSuspended: webhooks.AgentEnvironmentSuspendedWebhookEvent{
		ID: "evt_6c01a2b3c4d58190e6f7a8b9c0d1e2f6", CreatedAt: 1783000400,
		Data: webhooks.AgentEnvironmentSuspendedWebhookEventData{ID: "ccarenv_6c019f8e7d6c5b4a39281706f5e4d3c5"},
		Type: webhooks.EventTypeAgentEnvironmentSuspended, Object: "event",
	},
	webhooks.EventTypeAgentSessionActionRequired: webhooks.AgentSessionActionRequiredWebhookEvent{
		ID: "evt_6c02b3c4d5e68190f7a8b9c0d1e2f3a4", CreatedAt: 1783001000,
		Data: webhooks.AgentSessionActionRequiredWebhookEventData{
			ID:             "sess_6c02aa11bb22cc33dd44ee55ff667788",
			RequiredAction: webhooks.AgentSessionActionRequiredWebhookEventDataRequiredAction{Type: webhooks.RequiredActionTypeComputerUseApprovalRequest},
		},
		Type: webhooks.EventTypeAgentSessionActionRequired, Object: "event",
	},
	webhooks.EventTypeAgentSessionCreated: webhooks.AgentSessionCreatedWebhookEvent{ // every optional field present
		ID: "evt_6c02b3c4d5e68190f7a8b9c0d1e2f3a5", CreatedAt: 1783001100,
		Data: webhooks.AgentSessionCreatedWebhookEventData{
			ID:              "sess_6c02aa11bb22cc33dd44ee55ff667789",
			EnvironmentType: webhooks.EnvironmentTypeSelfHosted,
			Connect: &webhooks.AgentSessionCreatedWebhookEventDataConnect{
				RemoteURL: "wss://agents.openai.com/v1/sessions/sess_6c02aa11bb22cc33dd44ee55ff667789/connect",
			},
			EnvironmentID: "ccarenv_6c02bb22cc33dd44ee55ff6677889900",
		},
		Type: webhooks.EventTypeAgentSessionCreated, Object: "event",
	},
	webhooks.EventTypeAgentSessionFailed: webhooks.AgentSessionFailedWebhookEvent{ // environment_id absent
		ID: "evt_6c02b3c4d5e68190f7a8b9c0d1e2f3a6", CreatedAt: 1783001200,
		Data: webhooks.AgentSessionFailedWebhookEventData{ID: "sess_6c02aa11bb22cc33dd44ee55ff66778a", EnvironmentType: webhooks.EnvironmentTypeNone},
		Type: webhooks.EventTypeAgentSessionFailed, Object: "event",
	},
	webhooks.EventTypeAgentSessionIdle: webhooks.AgentSessionIdleWebhookEvent{
		ID: "evt_6c02b3c4d5e68190f7a8b9c0d1e2f3a7", CreatedAt: 1783001300,
		Data: webhooks.AgentSessionIdleWebhookEventData{
			ID: "sess_6c02aa11bb22cc33dd44ee55ff66778b", EnvironmentType: webhooks.EnvironmentTypeOpenAIHosted,
			EnvironmentID: "ccarenv_6c02bb22cc33dd44ee55ff6677889901",
		},
		Type: webhooks.EventTypeAgentSessionIdle, Object: "event",
	},
	webhooks.EventTypeAgentSessionInProgress: webhooks.AgentSessionInProgressWebhookEvent{
		ID: "evt_6c02b3c4d5e68190f7a8b9c0d1e2f3a8", CreatedAt: 1783001400,
		Data: webhooks.AgentSessionInProgressWebhookEventData{
			ID: "sess_6c02aa11bb22cc33dd44ee55ff66778c", EnvironmentType: webhooks.EnvironmentTypeOpenAIHosted,
			EnvironmentID: "ccarenv_6c02bb22cc33dd44ee55ff6677889902",
		},
		Type: webhooks.EventTypeAgentSessionInProgress, Object: "event",
	},
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
			SessionID:        "live_8d1e4f2a6b7c4d9e8f0a1b2c3d4e5f6a",
			SipHeaders:       sipHeaders[:6],
			SipMediaSecurity: webhooks.SipMediaSecuritySRTP,
		},
		Type: webhooks.EventTypeLiveCallIncoming, Object: "event",
	},
	webhooks.EventTypeLiveTransportIncoming: webhooks.LiveTransportIncomingWebhookEvent{
		ID: "evt_6b2f8e1a3c5d8190a4b6c8d0e2f4a6b8", CreatedAt: 1782345678,
		Data: webhooks.LiveTransportIncomingWebhookEventData{
			SessionID: "live_4c7e9a1b3d5f4e6a8b0c2d4e6f8a0b2c",
			SipHeaders: []webhooks.SipHeader{
				{Name: "Via", Value: "SIP/2.0/TLS 198.51.100.24:5061;branch=z9hG4bK4b43c2ff8.1"},
				{Name: "From", Value: "<sip:+442071838750@carrier.example.net>;tag=as58f4201b"},
				{Name: "To", Value: "<sip:+14255550199@sip.api.openai.com>"},
				{Name: "Call-ID", Value: "3848276298220188511@198.51.100.24"},
				{Name: "CSeq", Value: "102 INVITE"},
				{Name: "Subject", Value: ""}, // an empty value is a value
				{Name: "X-Carrier-Route", Value: "lhr-2"},
				{Name: "X-Carrier-Route", Value: "iad-1"}, // repeats are kept, in order
			},
			Type:             "sip",
			SipMediaSecurity: webhooks.SipMediaSecurityRTP,
		},
		Type: webhooks.EventTypeLiveTransportIncoming, Object: "event",
	},
	webhooks.EventTypeRealtimeCallIncoming: webhooks.RealtimeCallIncomingWebhookEvent{ // sip_media_security absent
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
	webhooks.EventTypeSafetyAlertCreated: webhooks.SafetyAlertCreatedWebhookEvent{
		ID: "evt_6c03c4d5e6f78190a8b9c0d1e2f3a4b5", CreatedAt: 1783002000,
		Data: webhooks.SafetyAlertCreatedWebhookEventData{ID: "salert_6c03d1e2f3a4b5c6d7e8f90a1b2c3d4e"},
		Type: webhooks.EventTypeSafetyAlertCreated, Object: "event",
	},
	webhooks.EventTypeSafetyDeactivationIssued: webhooks.SafetyDeactivationIssuedWebhookEvent{
		ID: "evt_6c03c4d5e6f78190a8b9c0d1e2f3a4b6", CreatedAt: 1783002100,
		Data: webhooks.SafetyDeactivationIssuedWebhookEventData{ID: "scase_6c03e2f3a4b5c6d7e8f90a1b2c3d4e5f"},
		Type: webhooks.EventTypeSafetyDeactivationIssued, Object: "event",
	},
	webhooks.EventTypeSafetyOrgAlertCreated: webhooks.SafetyOrgAlertCreatedWebhookEvent{
		ID: "evt_6c03c4d5e6f78190a8b9c0d1e2f3a4b7", CreatedAt: 1783002200,
		Data: webhooks.SafetyOrgAlertCreatedWebhookEventData{ID: "salert_6c03f3a4b5c6d7e8f90a1b2c3d4e5f60"},
		Type: webhooks.EventTypeSafetyOrgAlertCreated, Object: "event",
	},
	webhooks.EventTypeSafetyWarningIssued: webhooks.SafetyWarningIssuedWebhookEvent{ // no "object", which OpenAI's schema requires of safety events
		ID: "evt_6c03c4d5e6f78190a8b9c0d1e2f3a4b8", CreatedAt: 1783002300,
		Data: webhooks.SafetyWarningIssuedWebhookEventData{ID: "scase_6c03a4b5c6d7e8f90a1b2c3d4e5f6071"},
		Type: webhooks.EventTypeSafetyWarningIssued,
	},
}

// catalogueTypes returns the event types of catalogue.json.
func catalogueTypes(t *testing.T) []webhooks.EventType {
	t.Helper()
	raw, err := os.ReadFile("catalogue.json")
	require.NoError(t, err)
	var c struct {
		Events []struct {
			Type webhooks.EventType `json:"type"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal(raw, &c))
	var types []webhooks.EventType
	for _, e := range c.Events {
		types = append(types, e.Type)
	}
	slices.Sort(types)
	return types
}

func TestEveryTypeHasFixtureSampleAndExpectation(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	var fixtures []webhooks.EventType
	for _, f := range files {
		fixtures = append(fixtures, webhooks.EventType(strings.TrimSuffix(filepath.Base(f), ".json")))
	}
	expected := slices.Sorted(maps.Keys(fixtureEvents))

	types := catalogueTypes(t)
	assert.Len(t, types, 30, "openai-go v3.98.0 types thirty events")
	assert.Equal(t, types, webhooks.EventTypes(), "got EventTypes, want the types of catalogue.json (run go generate)")
	assert.Equal(t, types, fixtures, "got fixtures in testdata, want one per type of catalogue.json")
	assert.Equal(t, types, expected, "got expectations in fixtureEvents, want one per type of catalogue.json")
	for _, typ := range types {
		event, err := webhooks.ParseEvent(webhookstest.Sample(typ))
		if assert.NoError(t, err, "sample of %s", typ) {
			assert.Equal(t, typ, event.EventType(), "sample of %s", typ)
			assert.Equal(t, reflect.TypeOf(fixtureEvents[typ]), reflect.TypeOf(event), "sample of %s", typ)
		}
	}
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
			assert.Equal(t, want.Interface(), again)
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
	assert.Equal(t, webhooks.EventTypeAgentEnvironmentExpired, webhooks.EventTypes()[0], "EventTypes must return a copy")
}
