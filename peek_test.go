package webhooks

import (
	"encoding/json/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkFindType measures what peekType buys: it finds the type of a
// body, so that ParseEvent decodes the body once, into the struct of its
// type, at a fraction of the cost of the alternative, decoding the body
// twice, first for its type.
func BenchmarkFindType(b *testing.B) {
	for _, name := range []string{"small", "agent", "sip8"} {
		body, err := os.ReadFile(filepath.Join("testdata", "bench", name+".json"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/peekType", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := peekType(body); !ok {
					b.Fatal("no type")
				}
			}
		})
		b.Run(name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var head struct {
					Type string `json:"type"`
				}
				if err := json.Unmarshal(body, &head); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestPeekType(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // "" for none
	}{
		{"first member", `{"type":"a.b","id":"x"}`, "a.b"},
		{"after others", `{"id":"x","object":"event","created_at":1,"type":"a.b","data":{}}`, "a.b"},
		{"after data", `{"data":{"type":"sip","x":[{"type":"no"}]},"type":"a.b"}`, "a.b"},
		{"nested only", `{"data":{"type":"sip"}}`, ""},
		{"as a value", `{"kind":"type","x":"type"}`, ""},
		{"escaped name", `{"typ\u0065":"a.b"}`, "a.b"},
		{"escaped value", `{"type":"a\u002eb"}`, "a.b"},
		{"quotes and backslashes before", `{"id":"\\\"type\":\"x\\","type":"a.b"}`, "a.b"},
		{"whitespace", " {\n \"type\" \t:\r\n \"a.b\" }", "a.b"},
		{"not a string", `{"type":7}`, ""},
		{"unterminated", `{"type":"a.b`, ""},
		{"empty", ``, ""},
		{"array", `["type","a.b"]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := peekType([]byte(tt.body))
			if string(got) != tt.want || ok != (tt.want != "") {
				t.Errorf("got (%q, %v), want %q", got, ok, tt.want)
			}
		})
	}
}
