package main

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// invocation returns the function URL invocation of the request r, as
// Lambda builds it: the method and path in the request context, header
// names in lower case with one value each, and the body as text.
func invocation(t *testing.T, r *http.Request) events.LambdaFunctionURLRequest {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	inv := events.LambdaFunctionURLRequest{RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery, Body: string(body), Headers: map[string]string{}}
	inv.RequestContext.HTTP.Method = r.Method
	inv.RequestContext.HTTP.Path = r.URL.Path
	for name, values := range r.Header {
		inv.Headers[strings.ToLower(name)] = values[0]
	}
	return inv
}

// encoded returns inv with its body base64-encoded, as Lambda sends a body
// it takes for binary.
func encoded(inv events.LambdaFunctionURLRequest) events.LambdaFunctionURLRequest {
	inv.Body, inv.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(inv.Body)), true
	return inv
}

// TestSameDeliveryThreeTimes sends one delivery three times, as OpenAI's
// retries reach a function: it is processed once, and each is answered 200.
func TestSameDeliveryThreeTimes(t *testing.T) {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	var processed []string
	f := function{webhooks.NewHandler(verifier, nil,
		webhooks.On(func(_ context.Context, e webhooks.ResponseCompletedWebhookEvent) error {
			processed = append(processed, e.Data.ID)
			return nil
		}))}
	inv := invocation(t, webhookstest.NewRequest(secret, webhookstest.Sample(webhooks.EventTypeResponseCompleted)))

	for i, retry := range []events.LambdaFunctionURLRequest{inv, encoded(inv), inv} {
		resp, err := f.handle(context.Background(), retry)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("invocation %d: got (%d, %v), want 200", i, resp.StatusCode, err)
		}
	}
	if len(processed) != 1 {
		t.Fatalf("got %d callbacks, want 1", len(processed))
	}
}

// TestRejects: what is not a delivery signed with the function's secret is
// refused, and the status says why.
func TestRejects(t *testing.T) {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	f := function{webhooks.NewHandler(verifier, func(context.Context, webhooks.Event) error { return nil })}
	sample := webhookstest.Sample(webhooks.EventTypeBatchCompleted)
	tests := []struct {
		name string
		req  events.LambdaFunctionURLRequest
		want int
	}{
		{"another secret", invocation(t, webhookstest.NewRequest(webhookstest.NewSecret(), sample)), http.StatusBadRequest},
		{"a GET", func() events.LambdaFunctionURLRequest {
			r := webhookstest.NewRequest(secret, sample)
			r.Method = http.MethodGet
			return invocation(t, r)
		}(), http.StatusMethodNotAllowed},
		{"bad base64", func() events.LambdaFunctionURLRequest {
			r := encoded(invocation(t, webhookstest.NewRequest(secret, sample)))
			r.Body = "%%%"
			return r
		}(), http.StatusBadRequest},
		{"not JSON", invocation(t, webhookstest.NewRequest(secret, []byte("no"))), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := f.handle(context.Background(), tt.req)
			if err != nil || resp.StatusCode != tt.want {
				t.Fatalf("got (%d, %v), want %d", resp.StatusCode, err, tt.want)
			}
		})
	}
}

// TestRetryAfter: an answer that makes OpenAI send the delivery again later
// says when, as a Handler serving HTTP does.
func TestRetryAfter(t *testing.T) {
	tests := []struct {
		status         int
		wantRetryAfter string
	}{
		{http.StatusOK, ""},
		{http.StatusConflict, "5"},
		{http.StatusServiceUnavailable, "5"},
		{http.StatusInternalServerError, ""},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			resp := answer(tt.status)
			if resp.StatusCode != tt.status || resp.Headers["Retry-After"] != tt.wantRetryAfter {
				t.Fatalf("got %d with Retry-After %q, want %d with %q", resp.StatusCode, resp.Headers["Retry-After"], tt.status, tt.wantRetryAfter)
			}
		})
	}
}
