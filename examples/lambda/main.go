// Command lambda receives OpenAI webhooks in an AWS Lambda function behind a
// function URL: the smallest serverless receiver, built on
// [webhooks.Handler.Receive], which does for any transport what ServeHTTP
// does for net/http. It is a module of its own, so that the webhooks module
// never depends on aws-lambda-go.
//
// Set OPENAI_WEBHOOK_SECRET in the function's environment and give OpenAI
// the function URL. A warm instance processes each webhook-id once; for
// "once" across instances, give the Handler a shared store, such as the
// redisstore module's.
//
// README.md beside this file says how to build, package and deploy it, and
// how to try it locally.
package main

import (
	"context"
	"encoding/base64"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/go-openai-webhooks/webhooks"
)

func main() {
	verifier, err := webhooks.NewVerifier(os.Getenv(webhooks.SecretEnv))
	if err != nil {
		log.Fatal(err) // empty or malformed: webhooks.ErrInvalidSecret
	}
	receiver := webhooks.NewHandler(verifier, nil,
		webhooks.On(func(ctx context.Context, e webhooks.ResponseCompletedWebhookEvent) error {
			slog.InfoContext(ctx, "response completed", "response", e.Data.ID)
			return nil
		}),
		webhooks.WithOutcomes(webhooks.LogOutcomes(slog.Default())),
	)
	lambda.Start(function{receiver}.handle)
}

// function answers the invocations of a Lambda function URL.
type function struct{ receiver *webhooks.Handler }

// handle passes one invocation to the receiver, and answers with the status
// it says: 200 once processed, or a status that makes OpenAI retry.
func (f function) handle(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	if req.RequestContext.HTTP.Method != http.MethodPost {
		return answer(http.StatusMethodNotAllowed), nil
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded { // Lambda encodes bodies it takes for binary
		decoded, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return answer(http.StatusBadRequest), nil
		}
		body = decoded
	}
	// The headers come as a map with one value per name, in lower case;
	// API Gateway's events.APIGatewayProxyRequest carries them the same way.
	o := f.receiver.Receive(ctx, body, webhooks.HeaderFromMap(req.Headers))
	return answer(o.Status), nil
}

// answer returns a response with status, and Retry-After where OpenAI
// should send the delivery again.
func answer(status int) events.LambdaFunctionURLResponse {
	resp := events.LambdaFunctionURLResponse{StatusCode: status}
	if status == http.StatusConflict || status == http.StatusServiceUnavailable {
		resp.Headers = map[string]string{"Retry-After": "5"}
	}
	return resp
}
