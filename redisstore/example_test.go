package redisstore_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/redisstore"
)

// Example gives every replica of a service a Handler that deduplicates
// through Redis. (It needs a Redis to run, so it has no output to check.)
func Example() {
	verifier, err := webhooks.NewVerifier(os.Getenv(webhooks.SecretEnv))
	if err != nil {
		log.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	handler := webhooks.NewHandler(verifier,
		func(ctx context.Context, e webhooks.Event) error {
			log.Printf("processing %s %s", e.EventType(), e.EventID())
			return nil
		},
		webhooks.WithIdempotencyStore(redisstore.New(client, redisstore.WithKeyPrefix("billing-webhooks:"))),
	)
	srv := &http.Server{Addr: ":8080", Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
