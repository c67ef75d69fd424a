package webhooks_test

import (
	"testing"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

func TestMemoryStoreContract(t *testing.T) {
	webhookstest.TestStore(t, func(*testing.T) webhooks.IdempotencyStore { return webhooks.NewMemoryStore(0) })
}
