//go:build ignore

// mkseeds writes the seed corpora of the fuzz targets (fuzz_test.go) into
// testdata/fuzz/<target>/: the hostile inputs worth trying every time go test
// runs. Run it from the module root: go run testdata/fuzz/mkseeds.go.
package main

import (
	"encoding/base64"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-openai-webhooks/webhooks"
)

// The secret and clock of the tests (verify_test.go).
var (
	testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	testNow    = time.Unix(1750287100, 0)
)

const valid = `{"id":"evt_1","object":"event","created_at":1750287018,"type":"batch.completed","data":{"id":"batch_1"}}`

// event returns a body of type typ with extra top-level members.
func event(typ, data, extra string) string {
	return `{"id":"evt_1","created_at":1750287018,"type":"` + typ + `","data":` + data + extra + `}`
}

func main() {
	sip := make([]string, 1000)
	for i := range sip {
		sip[i] = fmt.Sprintf(`{"name":"X-%d","value":"v"}`, i)
	}
	parseSeeds := map[string]string{
		"valid":                       valid,
		"nested-10000":                event("x.y", `{}`, `,"deep":`+strings.Repeat("[", 9999)+strings.Repeat("]", 9999)),
		"nested-10001":                event("x.y", `{}`, `,"deep":`+strings.Repeat("[", 10001)+strings.Repeat("]", 10001)),
		"nested-objects":              event("x.y", strings.Repeat(`{"a":`, 5000)+`1`+strings.Repeat(`}`, 5000), ``),
		"huge-number-unknown-field":   event("batch.completed", `{"id":"b"}`, `,"n":1`+strings.Repeat("0", 5000)+`e99999999`),
		"huge-created-at":             `{"id":"evt_1","created_at":` + strings.Repeat("9", 400) + `,"type":"batch.completed","data":{"id":"b"}}`,
		"created-at-float":            `{"id":"evt_1","created_at":1750287018.5,"type":"batch.completed","data":{"id":"b"}}`,
		"created-at-exponent":         `{"id":"evt_1","created_at":1.750287018e9,"type":"batch.completed","data":{"id":"b"}}`,
		"created-at-string":           `{"id":"evt_1","created_at":"1750287018","type":"batch.completed","data":{"id":"b"}}`,
		"created-at-negative":         `{"id":"evt_1","created_at":-1750287018,"type":"batch.completed","data":{"id":"b"}}`,
		"created-at-minus-zero":       `{"id":"evt_1","created_at":-0,"type":"batch.completed","data":{"id":"b"}}`,
		"created-at-int64-max":        `{"id":"evt_1","created_at":9223372036854775807,"type":"batch.completed","data":{"id":"b"}}`,
		"created-at-int64-min":        `{"id":"evt_1","created_at":-9223372036854775808,"type":"batch.completed","data":{"id":"b"}}`,
		"created-at-int64-max-plus-1": `{"id":"evt_1","created_at":9223372036854775808,"type":"batch.completed","data":{"id":"b"}}`,
		"duplicate-type":              `{"id":"evt_1","created_at":1,"type":"batch.completed","type":"response.completed","data":{"id":"b"}}`,
		"duplicate-data-id":           `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"a","id":"b"}}`,
		"duplicate-escaped-type":      `{"id":"evt_1","created_at":1,"type":"batch.completed","\u0074ype":"response.completed","data":{"id":"b"}}`,
		"duplicate-unknown-key":       `{"id":"evt_1","x":1,"x":2,"created_at":1,"type":"batch.completed","data":{"id":"b"}}`,
		"type-in-another-case":        `{"id":"evt_1","created_at":1,"TYPE":"response.completed","type":"batch.completed","data":{"id":"b"}}`,
		"key-folding-kelvin-long-s":   `{"id":"evt_1","created_at":1,"type":"live.call.incoming","data":{"\u017fession_id":"live_1","session_id":"live_2","sip_headers":[]}}`,
		"nested-object-present":       event("agent.session.created", `{"id":"sess_1","environment_type":"self_hosted","connect":{"remote_url":"wss://x"},"environment_id":"ccarenv_1"}`, ``),
		"nested-object-null":          event("agent.session.created", `{"id":"sess_1","environment_type":"none","connect":null,"environment_id":null}`, ``),
		"nested-object-empty":         event("agent.session.created", `{"id":"sess_1","environment_type":"self_hosted","connect":{}}`, ``),
		"nested-name-in-another-case": event("agent.session.created", `{"id":"sess_1","environment_type":"self_hosted","connect":{"remote_url":"wss://x","REMOTE_URL":"wss://y"}}`, ``),
		"required-object-missing":     event("agent.session.action_required", `{"id":"sess_1"}`, ``),
		"required-object-null":        event("agent.session.action_required", `{"id":"sess_1","required_action":null}`, ``),
		"required-object-empty":       event("agent.session.action_required", `{"id":"sess_1","required_action":{}}`, ``),
		"open-enum-unknown-value":     event("agent.session.action_required", `{"id":"sess_1","required_action":{"type":"mcp_approval","extra":1}}`, ``),
		"optional-enum-null":          event("live.transport.incoming", `{"session_id":"live_1","sip_headers":[],"type":"sip","sip_media_security":null}`, ``),
		"optional-enum-empty":         event("realtime.call.incoming", `{"call_id":"rtc_1","sip_headers":[{"name":"Subject","value":""}],"sip_media_security":""}`, ``),
		"sip-header-null":             event("live.transport.incoming", `{"session_id":"live_1","sip_headers":[null],"type":"sip"}`, ``),
		"sip-header-name-missing":     event("live.transport.incoming", `{"session_id":"live_1","sip_headers":[{"value":"x"}],"type":"sip"}`, ``),
		"data-type-missing":           event("live.transport.incoming", `{"session_id":"live_1","sip_headers":[]}`, ``),
		"pretty-printed":              "{\n  \"id\": \"evt_1\",\n  \"object\": \"event\",\n  \"created_at\": 1,\n  \"type\": \"safety.alert.created\",\n  \"data\": {\n    \"id\": \"salert_1\"\n  }\n}\n",
		"type-after-data":             `{"data":{"id":"salert_1"},"id":"evt_1","created_at":1,"type":"safety.alert.created"}`,
		"type-in-data-only":           `{"id":"evt_1","created_at":1,"data":{"type":"sip","session_id":"live_1","sip_headers":[]}}`,
		"invalid-utf8-value":          "{\"id\":\"evt_\xff\",\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"b\"}}",
		"invalid-utf8-key":            "{\"id\":\"evt_1\",\"\xc3\x28\":1,\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"b\"}}",
		"utf8-surrogate-half":         "{\"id\":\"evt_\xed\xa0\x80\",\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"b\"}}",
		"utf8-overlong":               "{\"id\":\"evt_\xc0\xaf\",\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"b\"}}",
		"utf8-outside-strings":        "{\"id\":\"evt_1\",\xc3\xa9\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"b\"}}",
		"byte-order-mark":             "\xef\xbb\xbf" + valid,
		"nul-byte-raw":                "{\"id\":\"evt_\x00\",\"created_at\":1,\"type\":\"batch.completed\",\"data\":{\"id\":\"b\"}}",
		"nul-byte-escaped":            `{"id":"evt_\u0000","created_at":1,"type":"batch.completed","data":{"id":"b"}}`,
		"nul-byte-after-body":         valid + "\x00",
		"lone-surrogate-escape":       `{"id":"evt_\ud800","created_at":1,"type":"batch.completed","data":{"id":"\udc00\ud83d\ude00"}}`,
		"string-1MiB":                 event("batch.completed", `{"id":"b"}`, `,"pad":"`+strings.Repeat("a", 1<<20)+`"`),
		"sip-headers-1000":            event("realtime.call.incoming", `{"call_id":"rtc_1","sip_headers":[`+strings.Join(sip, ",")+`]}`, ``),
		"unknown-type":                event("video.generation.completed", `{"id":"video_1","nested":{"a":[1,2,{"b":null}]}}`, ``),
		"empty-object":                `{}`,
		"null":                        `null`,
		"whitespace-everywhere":       " \t\n\r{ \"id\" : \"evt_1\" ,\n\"created_at\" : 1 , \"type\" : \"batch.failed\" , \"data\" : { \"id\" : \"b\" } }\r\n",
		"object-null":                 `{"id":"evt_1","object":null,"created_at":1,"type":"batch.completed","data":{"id":"b"}}`,
		"trailing-comma":              `{"id":"evt_1","created_at":1,"type":"batch.completed","data":{"id":"b"},}`,
		"truncated":                   valid[:len(valid)/2],
	}
	write("FuzzParseEvent", parseSeeds, func(s string) []string { return []string{lit([]byte(s))} })

	// FuzzUnwrap: body, id, timestamp, signature, lower-case keys, flip at, flip mask.
	body := []byte(valid)
	sig := sign("wh_1", testNow, body)
	ts := strconv.FormatInt(testNow.Unix(), 10)
	many := make([]string, 300)
	for i := range many {
		many[i] = "v1," + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%032d", i)))
	}
	big := []byte(event("batch.completed", `{"id":"b"}`, `,"pad":"`+strings.Repeat("a", 1<<20)+`"`))
	type delivery struct {
		body        []byte
		id, ts, sig string
		lower       bool
	}
	unwrapSeeds := map[string]delivery{
		"valid":                      {body, "wh_1", ts, sig, false},
		"valid-lower-case-keys":      {body, "wh_1", ts, sig, true},
		"300-signatures-valid-last":  {body, "wh_1", ts, strings.Join(append(many, sig), " "), false},
		"300-invalid-signatures":     {body, "wh_1", ts, strings.Join(many, " "), false},
		"signature-entries-odd":      {body, "wh_1", ts, "v1, ,v1 v1,, v2," + sig[3:] + " " + sig + ",extra", false},
		"timestamp-int64-max":        {body, "wh_1", "9223372036854775807", sign("wh_1", time.Unix(9223372036854775807, 0), body), false},
		"timestamp-int64-min":        {body, "wh_1", "-9223372036854775808", sign("wh_1", time.Unix(-9223372036854775808, 0), body), false},
		"timestamp-int64-max-plus-1": {body, "wh_1", "9223372036854775808", sig, false},
		"timestamp-leading-plus":     {body, "wh_1", "+" + ts, sig, false},
		"timestamp-leading-zero":     {body, "wh_1", "0" + ts, sig, false},
		"timestamp-milliseconds":     {body, "wh_1", ts + "000", sign("wh_1", time.UnixMilli(testNow.Unix()*1000), body), false},
		"id-with-dot":                {body, "wh.1", ts, sign("wh.1", testNow, body), false},
		"id-with-nul":                {body, "wh_\x00", ts, sign("wh_\x00", testNow, body), false},
		"empty-headers":              {body, "", "", "", false},
		"body-1MiB":                  {big, "wh_big", ts, sign("wh_big", testNow, big), false},
		"authentic-invalid-payload":  {[]byte(`{"id":1}`), "wh_1", ts, sign("wh_1", testNow, []byte(`{"id":1}`)), false},
	}
	write("FuzzUnwrap", unwrapSeeds, func(d delivery) []string {
		return []string{lit(d.body), lit(d.id), lit(d.ts), lit(d.sig), fmt.Sprintf("bool(%v)", d.lower), "uint(13)", "byte('\\x01')"}
	})

	key := func(n int) string { return base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", n))) }
	secretSeeds := map[string]string{
		"whsec-23-bytes":      "whsec_" + key(23),
		"whsec-24-bytes":      "whsec_" + key(24),
		"whsec-64-bytes":      "whsec_" + key(64),
		"whsec-65-bytes":      "whsec_" + key(65),
		"whsec-url-safe":      "whsec_" + base64.URLEncoding.EncodeToString([]byte(strings.Repeat("\xfb\xff", 16))),
		"whsec-no-padding":    "whsec_" + base64.RawStdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))),
		"whsec-padding-bits":  "whsec_" + key(32)[:43] + "l=",
		"whsec-newline":       "whsec_" + key(32)[:20] + "\n" + key(32)[20:],
		"whsec-crlf":          "whsec_" + key(32) + "\r\n",
		"whsec-twice":         "whsec_whsec_" + key(32),
		"raw-unicode":         "sécret ✓",
		"raw-nul":             "a\x00b",
		"raw-invalid-utf8":    "\xff\xfe",
		"uppercase-prefix":    "WHSEC_" + key(32),
		"prefix-without-tail": "whsec_",
		"prefix-typo":         "whsec-" + key(32),
		"api-key":             "sk-proj-" + key(32),
		"unprefixed-base64":   key(32),
	}
	// FuzzNewVerifier: the secret, and whether WithRawSecret is given.
	type secretSeed struct {
		secret string
		raw    bool
	}
	withRaw := map[string]secretSeed{}
	for name, s := range secretSeeds {
		withRaw[name] = secretSeed{s, false}
		withRaw[name+"-raw"] = secretSeed{s, true}
	}
	write("FuzzNewVerifier", withRaw, func(s secretSeed) []string { return []string{lit(s.secret), fmt.Sprintf("bool(%t)", s.raw)} })

	// FuzzHandler: method, body, id, timestamp, signature, Content-Length.
	type request struct {
		method      string
		body        []byte
		id, ts, sig string
		length      int64
	}
	over := []byte(event("batch.completed", `{"id":"b"}`, `,"pad":"`+strings.Repeat("a", 8<<10)+`"`))
	handlerSeeds := map[string]request{
		"valid":                     {"POST", body, "wh_1", ts, sig, int64(len(body))},
		"valid-chunked":             {"POST", body, "wh_1", ts, sig, -1},
		"lower-case-method":         {"post", body, "wh_1", ts, sig, int64(len(body))},
		"empty-method":              {"", body, "wh_1", ts, sig, int64(len(body))},
		"head":                      {"HEAD", body, "wh_1", ts, sig, int64(len(body))},
		"length-announced-too-big":  {"POST", body, "wh_1", ts, sig, 1 << 40},
		"length-int64-max":          {"POST", body, "wh_1", ts, sig, 9223372036854775807},
		"length-understated":        {"POST", body, "wh_1", ts, sig, 3},
		"body-over-limit-streamed":  {"POST", over, "wh_1", ts, sign("wh_1", testNow, over), -1},
		"stale":                     {"POST", body, "wh_1", strconv.FormatInt(testNow.Unix()-301, 10), sign("wh_1", testNow.Add(-301*time.Second), body), int64(len(body))},
		"authentic-invalid-payload": {"POST", []byte(`[]`), "wh_1", ts, sign("wh_1", testNow, []byte(`[]`)), 2},
		"unknown-type":              {"POST", []byte(event("x.y", `{}`, ``)), "wh_2", ts, sign("wh_2", testNow, []byte(event("x.y", `{}`, ``))), -1},
	}
	write("FuzzHandler", handlerSeeds, func(r request) []string {
		return []string{lit(r.method), lit(r.body), lit(r.id), lit(r.ts), lit(r.sig), fmt.Sprintf("int64(%d)", r.length)}
	})
}

func sign(id string, at time.Time, body []byte) string {
	sig, err := webhooks.Sign(testSecret, id, at, body)
	if err != nil {
		log.Fatal(err)
	}
	return sig
}

// lit writes a value as the fuzzing engine's corpus files do.
func lit[T string | []byte](v T) string {
	switch any(v).(type) {
	case []byte:
		return fmt.Sprintf("[]byte(%q)", v)
	default:
		return fmt.Sprintf("string(%q)", v)
	}
}

// write replaces the seed files of target with seeds.
func write[T any](target string, seeds map[string]T, values func(T) []string) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.RemoveAll(dir); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	for name, seed := range seeds {
		content := "go test fuzz v1\n" + strings.Join(values(seed), "\n") + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
