package webhooks

import (
	"maps"
	"net/http"
	"net/textproto"
	"slices"
)

// HeaderFromMap returns the headers of a delivery that arrived as a map with
// one value per name, as AWS Lambda's events.APIGatewayProxyRequest and
// events.LambdaFunctionURLRequest carry them, and Cloud Run functions or a
// queue's message attributes may: the form [Verifier.Verify] and
// [Handler.Receive] take. Names are put in canonical form (webhook-id becomes
// Webhook-Id), so that Header.Get finds them; should two names of m differ
// only in case, both values are kept, in the order of the names, sorted.
func HeaderFromMap(m map[string]string) http.Header {
	h := make(http.Header, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		key := textproto.CanonicalMIMEHeaderKey(name)
		h[key] = append(h[key], m[name])
	}
	return h
}
