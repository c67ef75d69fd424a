package webhooks

import (
	"bytes"
	"encoding/json/jsontext"
	"encoding/json/v2"
	"os"
	"path/filepath"
	"testing"
)

// FuzzMemberValue reads arbitrary bytes as an object. Nothing panics; and
// for a JSON object whose names are not repeated, memberValue finds every
// member's value as encoding/json/v2 does, and rawData finds the value of
// "data" as memberValue does, whether or not its shortcut applies.
func FuzzMemberValue(f *testing.F) {
	for _, glob := range []string{"testdata/*.json", "testdata/bench/*.json"} {
		names, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range names {
			body, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(body)
		}
	}
	for _, body := range []string{
		`{"data":{"a":1}}`, ` { "data" : [1,"]",{"b":"}"}] , "x" : 2 } `, `{"x":"\"data","data":"v"}`,
		`{"x\"data":1,"data":2}`, `{"d\u0061ta":null}`, `{"a":{"data":1},"data":true}`, `{"object":"data","data":-1.5e3}`,
		`{"data":`, `{"data":"unterminated`, `"data":{}`, `{"data"}`, `}"data":{`, `{"\\":"data","data":{}}`, ``, `{`, `{"":`, `{"\"x":`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		data := rawData(b)
		var members map[string]jsontext.Value
		if json.Unmarshal(b, &members) != nil {
			return // not an object, or a name repeated: only safety counts
		}
		for name, want := range members {
			if got := memberValue(b, name); !bytes.Equal(got, want) {
				t.Fatalf("memberValue(%q) = %q, want %q, in %q", name, got, want, b)
			}
		}
		if !bytes.Equal(data, members["data"]) || (data == nil) != (members["data"] == nil) {
			t.Fatalf("rawData = %q, want %q, in %q", data, members["data"], b)
		}
	})
}

// BenchmarkRawData measures what setting Data.Raw adds to ParseEvent: the
// search for the data member of a body that has been decoded.
func BenchmarkRawData(b *testing.B) {
	for _, name := range []string{"small", "agent", "sip8", "64KiB"} {
		body, err := os.ReadFile(filepath.Join("testdata", "bench", name+".json"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rawData(body) == nil {
					b.Fatal("no data")
				}
			}
		})
		b.Run(name+"/memberValue", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if memberValue(body, "data") == nil {
					b.Fatal("no data")
				}
			}
		})
	}
}
