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
)

// These tests run against a real Redis at REDIS_URL (.ci/run starts one).
// They skip only when REDIS_URL is unset and CI is not set; under CI they
// must run.

// testClient returns a client for REDIS_URL.
func testClient(t *testing.T) *redis.Client {
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
func testPrefix(t *testing.T, client *redis.Client) string {
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

func TestStore(t *testing.T) {
	ctx := context.Background()
	client := testClient(t)
	const ttl = time.Minute
	type step struct {
		op      string // claim, done or release
		id      string
		token   string
		want    webhooks.ClaimStatus // for claim
		comment string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a first claim wins", []step{{op: "claim", id: "a", token: "t1", want: webhooks.Claimed}}},
		{"a duplicate while in progress", []step{
			{op: "claim", id: "a", token: "t1", want: webhooks.Claimed},
			{op: "claim", id: "a", token: "t2", want: webhooks.InProgress},
		}},
		{"a duplicate after done", []step{
			{op: "claim", id: "a", token: "t1", want: webhooks.Claimed},
			{op: "done", id: "a", token: "t1"},
			{op: "claim", id: "a", token: "t2", want: webhooks.Processed},
		}},
		{"a retry after release", []step{
			{op: "claim", id: "a", token: "t1", want: webhooks.Claimed},
			{op: "release", id: "a", token: "t1", comment: "the callback failed"},
			{op: "claim", id: "a", token: "t2", want: webhooks.Claimed},
		}},
		{"release by another token leaves the claim", []step{
			{op: "claim", id: "a", token: "t1", want: webhooks.Claimed},
			{op: "release", id: "a", token: "t2", comment: "a slow replica whose claim expired"},
			{op: "claim", id: "a", token: "t3", want: webhooks.InProgress},
		}},
		{"done by another token leaves the claim", []step{
			{op: "claim", id: "a", token: "t1", want: webhooks.Claimed},
			{op: "done", id: "a", token: "t2"},
			{op: "claim", id: "a", token: "t3", want: webhooks.InProgress},
		}},
		{"release after done keeps it processed", []step{
			{op: "claim", id: "a", token: "t1", want: webhooks.Claimed},
			{op: "done", id: "a", token: "t1"},
			{op: "release", id: "a", token: "t1"},
			{op: "claim", id: "a", token: "t2", want: webhooks.Processed},
		}},
		{"done without a claim records it", []step{
			{op: "done", id: "a", token: "t1", comment: "the claim expired while processing"},
			{op: "claim", id: "a", token: "t2", want: webhooks.Processed},
		}},
		{"ids are independent", []step{
			{op: "claim", id: "a", token: "t1", want: webhooks.Claimed},
			{op: "claim", id: "b", token: "t1", want: webhooks.Claimed},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := redisstore.New(client, redisstore.WithKeyPrefix(testPrefix(t, client)))
			for i, s := range tt.steps {
				switch s.op {
				case "claim":
					got, err := store.Claim(ctx, s.id, s.token, ttl)
					require.NoError(t, err)
					assert.Equal(t, s.want, got, "step %d: got %v, want %v", i, got, s.want)
				case "done":
					require.NoError(t, store.Done(ctx, s.id, s.token, ttl), "step %d", i)
				case "release":
					require.NoError(t, store.Release(ctx, s.id, s.token), "step %d", i)
				}
			}
		})
	}
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
	require.Error(t, store.Done(ctx, "wh_1", "t", time.Minute))
	require.Error(t, store.Release(ctx, "wh_1", "t"))
	assert.Panics(t, func() { redisstore.New(nil) })
}
