package webhooks

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHeaderAllocatesNothing looks up the webhook headers under the
// canonical keys of net/http and under keys in other cases, as serverless
// platforms deliver them, and checks that no lookup allocates: Verify
// allocates nothing, whatever the case of the keys.
func TestHeaderAllocatesNothing(t *testing.T) {
	tests := []struct {
		name    string
		headers http.Header
	}{
		{"canonical keys", http.Header{"Webhook-Id": {"wh_1"}, "Webhook-Timestamp": {"1"}, "Webhook-Signature": {"v1,x"}, "Content-Type": {"application/json"}}},
		{"lower-case keys", http.Header{"webhook-id": {"wh_1"}, "webhook-timestamp": {"1"}, "webhook-signature": {"v1,x"}, "content-type": {"application/json"}}},
		{"upper-case keys", http.Header{"WEBHOOK-ID": {"wh_1"}, "WEBHOOK-TIMESTAMP": {"1"}, "WEBHOOK-SIGNATURE": {"v1,x"}, "CONTENT-TYPE": {"application/json"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, hn := range []headerName{idHeader, timestampHeader, signatureHeader} {
				var err error
				allocs := testing.AllocsPerRun(100, func() { _, err = header(tt.headers, hn) })
				require.NoError(t, err)
				if allocs != 0 {
					t.Errorf("%s: got %v allocations per lookup, want 0", hn.name, allocs)
				}
			}
		})
	}
}
