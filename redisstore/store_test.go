package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/redisstore"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// These tests run against a real Redis at REDIS_URL (.ci/run starts one).
// They skip only when REDIS_URL is unset and CI is not set; under CI they
// must run.

// testClient returns a client for REDIS_URL.
func testClient(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("REDIS_URL is not set, and CI is: the Redis tests must run")
		}
		t.Skip("REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	require.NoError(t, client.Ping(context.Background()).Err(), "Redis at REDIS_URL")
	return client
}

// testPrefix returns a key prefix of the test's own, and deletes its keys
// when the test ends: the tests never touch other keys of the Redis they are
// given.
func testPrefix(t testing.TB, client *redis.Client) string {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "redisstore-test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// TestStoreContract runs the contract every IdempotencyStore keeps, the
// same that the MemoryStore passes, against Redis.
func TestStoreContract(t *testing.T) {
	client := testClient(t)
	webhookstest.TestStore(t, func(t *testing.T) webhooks.IdempotencyStore {
		return redisstore.New(client, redisstore.WithKeyPrefix(testPrefix(t, client)))
	})
}

// TestStoreFaults injects errors, delays and hangs into the Redis store's
// calls and checks that a Handler on it never processes a delivery twice
// nor misses its deadlines, as the MemoryStore's test does.
func TestStoreFaults(t *testing.T) {
	client := testClient(t)
	webhookstest.TestStoreFaults(t, func(t *testing.T) webhooks.IdempotencyStore {
		return redisstore.New(client, redisstore.WithKeyPrefix(testPrefix(t, client)))
	})
}

func TestStoreKeysAndExpiry(t *testing.T) {
	ctx := context.Background()
	client := testClient(t)
	prefix := testPrefix(t, client)
	store := redisstore.New(client, redisstore.WithKeyPrefix(prefix))

	got, err := store.Claim(ctx, "wh_1", "token-1", 300*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, webhooks.Claimed, got)
	assert.Equal(t, "token-1", client.Get(ctx, prefix+"wh_1").Val(), "the key is the prefix and the webhook-id")
	pttl := client.PTTL(ctx, prefix+"wh_1").Val()
	assert.True(t, pttl > 0 && pttl <= 300*time.Millisecond, "got PTTL %v, want the claim's ttl", pttl)

	require.Eventually(t, func() bool {
		got, err := store.Claim(ctx, "wh_1", "token-2", time.Minute)
		return err == nil && got == webhooks.Claimed
	}, 5*time.Second, 50*time.Millisecond, "an expired claim can be claimed again")

	require.NoError(t, store.Done(ctx, "wh_1", "token-2", 300*time.Millisecond))
	pttl = client.PTTL(ctx, prefix+"wh_1").Val()
	assert.True(t, pttl > 0 && pttl <= 300*time.Millisecond, "done sets its own ttl, got %v", pttl)
	require.Eventually(t, func() bool {
		got, err := store.Claim(ctx, "wh_1", "token-3", time.Minute)
		return err == nil && got == webhooks.Claimed
	}, 5*time.Second, 50*time.Millisecond, "a processed id expires too")

	plain := redisstore.New(client)
	_, err = plain.Claim(ctx, "wh_default_prefix_"+prefix, "t", time.Second)
	require.NoError(t, err)
	assert.Equal(t, int64(1), client.Exists(ctx, redisstore.DefaultKeyPrefix+"wh_default_prefix_"+prefix).Val())
	client.Del(ctx, redisstore.DefaultKeyPrefix+"wh_default_prefix_"+prefix)
}

func TestStoreTwoClaimersRace(t *testing.T) {
	ctx := context.Background()
	client := testClient(t)
	prefix := testPrefix(t, client)
	store := redisstore.New(client, redisstore.WithKeyPrefix(prefix))
	// A second client: claims from different connections, as replicas do.
	other := redis.NewClient(client.Options())
	t.Cleanup(func() { other.Close() })
	otherStore := redisstore.New(other, redisstore.WithKeyPrefix(prefix))

	for round := 0; round < 20; round++ {
		id := "wh_race_" + hex.EncodeToString([]byte{byte(round)})
		var wg sync.WaitGroup
		results := make(chan webhooks.ClaimStatus, 32)
		for i := 0; i < 32; i++ {
			s := store
			if i%2 == 1 {
				s = otherStore
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := s.Claim(ctx, id, "token-"+hex.EncodeToString([]byte{byte(i)}), time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				results <- got
			}()
		}
		wg.Wait()
		close(results)
		claimed := 0
		for r := range results {
			if r == webhooks.Claimed {
				claimed++
			} else {
				assert.Equal(t, webhooks.InProgress, r)
			}
		}
		require.Equal(t, 1, claimed, "round %d: got %d claims of one id", round, claimed)
	}
}

func TestStoreUnreachable(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	store := redisstore.New(client)
	ctx := context.Background()

	_, err := store.Claim(ctx, "wh_1", "t", time.Minute)
	require.Error(t, err)
	require.Error(t, store.Renew(ctx, "wh_1", "t", time.Minute))
	require.Error(t, store.Done(ctx, "wh_1", "t", time.Minute))
	require.Error(t, store.Release(ctx, "wh_1", "t"))
	assert.NotErrorIs(t, store.Renew(ctx, "wh_1", "t", time.Minute), webhooks.ErrLeaseLost, "Redis down is not a lost claim")
	assert.Panics(t, func() { redisstore.New(nil) })
}
