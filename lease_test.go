package webhooks_test

import (
	"testing"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// TestStoreFaultsMemoryStore: no fault of the store (errors, delays, hangs
// that ignore the context) makes a Handler process a delivery twice or miss
// its deadlines; redisstore runs the same against Redis.
func TestStoreFaultsMemoryStore(t *testing.T) {
	webhookstest.TestStoreFaults(t, func(*testing.T) webhooks.IdempotencyStore { return webhooks.NewMemoryStore(0) })
}
