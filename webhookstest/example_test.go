package webhookstest_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// Example tests a webhook handler: sign a sample delivery, serve it, check
// the answer.
func Example() {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		log.Fatal(err)
	}
	handler := webhooks.NewHandler(verifier, nil,
		webhooks.On(func(ctx context.Context, e webhooks.BatchCompletedWebhookEvent) error {
			fmt.Println("batch completed:", e.Data.ID)
			return nil
		}))

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, webhookstest.NewRequest(secret, webhookstest.Sample(webhooks.EventTypeBatchCompleted)))
	fmt.Println(rec.Code)

	// A retry of one delivery, and a stale one.
	retried := webhookstest.WithID("wh_1")
	for i := 0; i < 2; i++ {
		rec = httptest.NewRecorder()
		handler.ServeHTTP(rec, webhookstest.NewRequest(secret, webhooks.BatchCompletedWebhookEvent{
			ID: "evt_1", Data: webhooks.BatchCompletedWebhookEventData{ID: "batch_1"},
		}, retried))
		fmt.Println(rec.Code)
	}
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, webhookstest.NewRequest(secret, webhookstest.Sample(webhooks.EventTypeBatchCompleted),
		webhookstest.WithTimestamp(time.Now().Add(-time.Hour))))
	fmt.Println(rec.Code)

	// Output:
	// batch completed: batch_6853a7b0c4e88190a5c2a4e2a1f3b9d3
	// 200
	// batch completed: batch_1
	// 200
	// 200
	// 400
}
