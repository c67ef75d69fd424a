package benchmarks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	openai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	oawebhooks "github.com/openai/openai-go/v3/webhooks"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// openaiTypes returns the event types of openai-go's UnwrapWebhookEventUnion,
// from its As<Variant> methods, with the Go name of each variant's struct.
func openaiTypes(t *testing.T) map[webhooks.EventType]string {
	t.Helper()
	types := map[webhooks.EventType]string{}
	union := reflect.TypeFor[oawebhooks.UnwrapWebhookEventUnion]()
	for m := range union.Methods() {
		if !strings.HasPrefix(m.Name, "As") || m.Name == "AsAny" {
			continue
		}
		variant := m.Type.Out(0)
		typeField, ok := variant.FieldByName("Type")
		if !ok {
			t.Fatalf("%s has no Type field", variant)
		}
		wire := reflect.Zero(typeField.Type).MethodByName("Default").Call(nil)[0].String()
		types[webhooks.EventType(wire)] = variant.Name()
	}
	return types
}

// TestSameEventTypesAsOpenAIGo fails when openai-go types an event that the
// catalogue lacks, or the other way round, at the version this module
// requires: the set of types comes from each side, never from a count. The
// struct names must match too. go run ./scripts/drift says the same of every
// field, before the version is bumped.
func TestSameEventTypesAsOpenAIGo(t *testing.T) {
	theirs := openaiTypes(t)
	ours := map[webhooks.EventType]string{}
	for _, typ := range webhooks.EventTypes() {
		event, err := webhooks.ParseEvent(webhookstest.Sample(typ))
		if err != nil {
			t.Fatal(err)
		}
		ours[typ] = reflect.TypeOf(event).Name()
	}
	if !reflect.DeepEqual(ours, theirs) {
		for typ, name := range theirs {
			if ours[typ] != name {
				t.Errorf("openai-go types %s as %s; this library: %q", typ, name, ours[typ])
			}
		}
		for typ, name := range ours {
			if _, ok := theirs[typ]; !ok {
				t.Errorf("this library types %s as %s; openai-go does not", typ, name)
			}
		}
	}
}

// payloadsPerType is how many generated payloads of each type
// TestDecodesLikeOpenAIGo decodes with both libraries.
const payloadsPerType = 300

// TestDecodesLikeOpenAIGo generates valid payloads of every type from
// openai-go's own structs (their json and api:"required" tags), so that a
// field this library names differently is caught: random ids and strings,
// optional fields present, absent, null and empty, known and unknown values
// of open enumerations, zero to five SIP headers, unknown members at every
// level, compact or pretty-printed. It signs each, unwraps it with openai-go
// and with this library, and checks that both read the same value into
// every field of the same name, the same JSON of data, and the same
// presence of every optional member (see compareFields).
func TestDecodesLikeOpenAIGo(t *testing.T) {
	client := openai.NewClient(option.WithWebhookSecret(secret), option.WithAPIKey("unused"))
	v := mustVerifier(t)
	rng := rand.New(rand.NewPCG(2026, 1126))
	union := reflect.TypeFor[oawebhooks.UnwrapWebhookEventUnion]()
	for _, typ := range webhooks.EventTypes() {
		var sample map[string]any
		if err := json.Unmarshal(webhookstest.Sample(typ), &sample); err != nil {
			t.Fatal(err)
		}
		method, ok := union.MethodByName("As" + strings.TrimSuffix(openaiTypes(t)[typ], "WebhookEvent"))
		if !ok {
			t.Fatalf("openai-go has no variant for %s", typ)
		}
		variant := method.Type.Out(0)
		for i := range payloadsPerType {
			body, err := json.Marshal(generate(rng, variant, sample))
			if err != nil {
				t.Fatal(err)
			}
			if rng.IntN(2) == 0 {
				var pretty bytes.Buffer
				_ = json.Indent(&pretty, body, "", "  ")
				body = pretty.Bytes()
			}
			headers := signDelivery(t, body).headers
			ours, err := v.Unwrap(body, headers)
			if err != nil {
				t.Fatalf("%s #%d: this library rejects %s: %v", typ, i, body, err)
			}
			union, err := client.Webhooks.Unwrap(body, headers)
			if err != nil {
				t.Fatalf("%s #%d: openai-go rejects %s: %v", typ, i, body, err)
			}
			if diff := compareFields(reflect.ValueOf(ours), reflect.ValueOf(union.AsAny()), ""); diff != "" {
				t.Fatalf("%s #%d: %s\nbody %s", typ, i, diff, body)
			}
		}
	}
}

// generate returns a random JSON value for a field of openai-go's Go type
// t. sample is the value at the same place in this library's sample, if any,
// for the known values of open enumerations.
func generate(rng *rand.Rand, t reflect.Type, sample any) any {
	if def := reflect.Zero(t).MethodByName("Default"); def.IsValid() {
		return def.Call(nil)[0].String() // a constant, such as the type
	}
	switch t.Kind() {
	case reflect.Struct:
		in, _ := sample.(map[string]any)
		out := map[string]any{}
		for sf := range t.Fields() {
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			_, constant := sf.Tag.Lookup("default") // the type, and constants such as data.type
			if sf.Tag.Get("api") != "required" && !constant {
				switch rng.IntN(6) {
				case 0, 1:
					continue // optional: left out
				case 2:
					out[name] = nil // or null: there, for Has, with the zero value
					continue
				case 3:
					if sf.Type.Kind() == reflect.String {
						out[name] = "" // or empty
						continue
					}
				}
			}
			out[name] = generate(rng, sf.Type, in[name])
		}
		for range rng.IntN(3) {
			out["x_"+word(rng)] = unknownValue(rng)
		}
		return out
	case reflect.Slice:
		in, _ := sample.([]any)
		out := []any{}
		for i := range rng.IntN(6) {
			var elem any
			if len(in) > 0 {
				elem = in[i%len(in)]
			}
			out = append(out, generate(rng, t.Elem(), elem))
		}
		return out
	case reflect.String:
		if strings.HasSuffix(t.Name(), "Object") {
			return "event" // openai-go's enumeration of one value
		}
		s, _ := sample.(string)
		if s != "" && rng.IntN(2) == 0 {
			return s // a known value, or the sample's id
		}
		prefix, _, _ := strings.Cut(s, "_")
		return prefix + "_" + word(rng) + " \"é\"\\/\u2028"
	case reflect.Int64:
		return float64(rng.Int64N(1 << 40))
	}
	panic(fmt.Sprintf("generate: no value for %s", t))
}

func word(rng *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 4+rng.IntN(12))
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

func unknownValue(rng *rand.Rand) any {
	switch rng.IntN(4) {
	case 0:
		return word(rng)
	case 1:
		return []any{1.5, true, nil, map[string]any{"id": 7}}
	case 2:
		return map[string]any{"ID": "x", "type": map[string]any{"a": nil}}
	}
	return nil
}

// compareFields compares every field of ours with the field of the same name
// in theirs, recursively, and returns the first difference. An optional
// object that this library leaves nil is openai-go's zero struct. A data
// struct's Raw is compared with openai-go's RawJSON(), and each of its
// Has<Field>() methods with whether openai-go's JSON.<Field> has a raw value
// (a null included, as Has counts it).
func compareFields(ours, theirs reflect.Value, path string) string {
	if ours.Kind() == reflect.Pointer {
		if ours.IsNil() {
			ours = reflect.Zero(ours.Type().Elem())
		} else {
			ours = ours.Elem()
		}
	}
	if ours.Kind() == reflect.Interface {
		ours = ours.Elem()
	}
	if theirs.Kind() == reflect.Interface {
		theirs = theirs.Elem()
	}
	switch ours.Kind() {
	case reflect.Struct:
		for i := range ours.NumField() {
			name := ours.Type().Field(i).Name
			if name == "Raw" {
				if got, want := string(ours.Field(i).Bytes()), theirs.MethodByName("RawJSON").Call(nil)[0].String(); got != want {
					return fmt.Sprintf("%s.Raw: %q, openai-go's RawJSON() %q", path, got, want)
				}
				continue
			}
			other := theirs.FieldByName(name)
			if !other.IsValid() {
				return fmt.Sprintf("%s.%s: openai-go has no such field", path, name)
			}
			if diff := compareFields(ours.Field(i), other, path+"."+name); diff != "" {
				return diff
			}
		}
		for m := range ours.Type().Methods() {
			field, ok := strings.CutPrefix(m.Name, "Has")
			if !ok {
				continue
			}
			got := ours.Method(m.Index).Call(nil)[0].Bool()
			raw := theirs.FieldByName("JSON").FieldByName(field).MethodByName("Raw").Call(nil)[0].String()
			if want := raw != ""; got != want {
				return fmt.Sprintf("%s.%s(): %v, openai-go's JSON.%s.Raw() %q", path, m.Name, got, field, raw)
			}
		}
	case reflect.Slice:
		if ours.Len() != theirs.Len() {
			return fmt.Sprintf("%s: %d elements, openai-go %d", path, ours.Len(), theirs.Len())
		}
		for i := range ours.Len() {
			if diff := compareFields(ours.Index(i), theirs.Index(i), fmt.Sprintf("%s[%d]", path, i)); diff != "" {
				return diff
			}
		}
	case reflect.String:
		if ours.String() != theirs.String() {
			return fmt.Sprintf("%s: %q, openai-go %q", path, ours.String(), theirs.String())
		}
	case reflect.Int64:
		if ours.Int() != theirs.Int() {
			return fmt.Sprintf("%s: %d, openai-go %d", path, ours.Int(), theirs.Int())
		}
	default:
		return fmt.Sprintf("%s: cannot compare %s", path, ours.Kind())
	}
	return ""
}

// TestInvalidPayloadsOpenAIGoAccepts lists authentic payloads that this
// library rejects and openai-go accepts: README.md lists them as deliberate.
// The test fails when either library changes its mind, so that the list
// stays true.
func TestInvalidPayloadsOpenAIGoAccepts(t *testing.T) {
	client := openai.NewClient(option.WithWebhookSecret(secret), option.WithAPIKey("unused"))
	v := mustVerifier(t)
	tests := []struct {
		name string
		body string
	}{
		{"required data field missing", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{}}`},
		{"data missing", `{"id":"evt_1","created_at":1,"type":"batch.completed"}`},
		{"created_at missing", `{"id":"evt_1","type":"batch.completed","data":{"id":"batch_1"}}`},
		{"id empty", `{"id":"","created_at":1,"type":"batch.completed","data":{"id":"batch_1"}}`},
		{"required field null", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":null}}`},
		{"required object missing", `{"id":"evt_1","created_at":1,"type":"agent.session.action_required","data":{"id":"sess_1"}}`},
		{"sip header without a name", `{"id":"evt_1","created_at":1,"type":"realtime.call.incoming","data":{"call_id":"rtc_1","sip_headers":[{"value":"x"}]}}`},
		{"type given twice", `{"id":"evt_1","created_at":1,"type":"batch.completed","type":"batch.failed","data":{"id":"batch_1"}}`},
		{"data.id given twice", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"batch_1","id":"batch_2"}}`},
		{"field name in another case", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"ID":"batch_1"}}`},
		{"invalid UTF-8", "{\"id\":\"evt_\xff\",\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"batch_1\"}}"},
		{"created_at a string", `{"id":"evt_1","created_at":"1","type":"batch.completed","data":{"id":"batch_1"}}`},
		{"created_at a fraction", `{"id":"evt_1","created_at":1.5,"type":"batch.completed","data":{"id":"batch_1"}}`},
		{"data.id a number", `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":7}}`},
	}
	var accepted []string
	for _, tt := range tests {
		headers := signDelivery(t, []byte(tt.body)).headers
		if _, err := v.Unwrap([]byte(tt.body), headers); err == nil {
			t.Errorf("%s: this library accepts it", tt.name)
		}
		if _, err := client.Webhooks.Unwrap([]byte(tt.body), headers); err == nil {
			accepted = append(accepted, tt.name)
		} else {
			t.Logf("%s: openai-go rejects it too: %v", tt.name, err)
		}
	}
	sort.Strings(accepted)
	t.Logf("openai-go accepts: %s", strings.Join(accepted, "; "))
	want := slices.Sorted(slices.Values(openaiAccepts))
	if !slices.Equal(accepted, want) {
		t.Errorf("openai-go accepts %q,\nwant %q (update README.md's list and openaiAccepts)", accepted, want)
	}
}

// openaiAccepts are the payloads of TestInvalidPayloadsOpenAIGoAccepts that
// openai-go v3.102.0 accepts, as README.md lists them: all of them. It reads
// the first of two members of one name (encoding/json reads the last),
// ignores a name in another case, turns "1" and 1.5 into the integer 1 and 7
// into the string "7", and keeps invalid UTF-8.
var openaiAccepts = []string{
	"created_at a fraction", "created_at a string", "created_at missing", "data missing", "data.id a number",
	"data.id given twice", "field name in another case", "id empty", "invalid UTF-8", "required data field missing",
	"required field null", "required object missing", "sip header without a name", "type given twice",
}
