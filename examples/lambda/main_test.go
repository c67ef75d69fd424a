package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// invocation returns the function URL invocation that delivers body with
// headers, as Lambda builds it: header names in lower case, one value each.
func invocation(body []byte, headers http.Header, base64Encoded bool) events.LambdaFunctionURLRequest {
	req := events.LambdaFunctionURLRequest{Body: string(body), Headers: map[string]string{"content-type": "application/json"}}
	req.RequestContext.HTTP.Method = http.MethodPost
	for name, values := range headers {
		req.Headers[strings.ToLower(name)] = values[0]
	}
	if base64Encoded {
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return req
}

// TestSameDeliveryThreeTimes sends one delivery three times, as OpenAI's
// retries reach a function: it is processed once, and each is answered 200.
func TestSameDeliveryThreeTimes(t *testing.T) {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	processed := 0
	f := function{webhooks.NewHandler(verifier, nil,
		webhooks.On(func(context.Context, webhooks.ResponseCompletedWebhookEvent) error {
			processed++
			return nil
		}))}
	body := webhookstest.Sample(webhooks.EventTypeResponseCompleted)
	headers := webhookstest.Headers(secret, body)

	for i, base64Encoded := range []bool{false, true, false} {
		resp, err := f.handle(context.Background(), invocation(body, headers, base64Encoded))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("invocation %d: got (%d, %v), want 200", i, resp.StatusCode, err)
		}
	}
	if processed != 1 {
		t.Fatalf("got %d callbacks, want 1", processed)
	}
}

func TestRejects(t *testing.T) {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	f := function{webhooks.NewHandler(verifier, func(context.Context, webhooks.Event) error { return nil })}
	body := webhookstest.Sample(webhooks.EventTypeBatchCompleted)
	tests := []struct {
		name string
		req  events.LambdaFunctionURLRequest
		want int
	}{
		{"another secret", invocation(body, webhookstest.Headers(webhookstest.NewSecret(), body), false), http.StatusBadRequest},
		{"a GET", func() events.LambdaFunctionURLRequest {
			r := invocation(body, webhookstest.Headers(secret, body), false)
			r.RequestContext.HTTP.Method = http.MethodGet
			return r
		}(), http.StatusMethodNotAllowed},
		{"bad base64", func() events.LambdaFunctionURLRequest {
			r := invocation(body, webhookstest.Headers(secret, body), true)
			r.Body = "%%%"
			return r
		}(), http.StatusBadRequest},
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
