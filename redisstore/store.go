// Package redisstore keeps the webhook-ids that a [webhooks.Handler] claims
// and processes in Redis, so that the replicas of a service process each
// OpenAI delivery once between them, wherever its copies and retries land.
//
//	client := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	handler := webhooks.NewHandler(verifier, process,
//		webhooks.WithIdempotencyStore(redisstore.New(client)))
//
// It is a module of its own, so that the webhooks module never depends on a
// Redis client.
package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/go-openai-webhooks/webhooks"
)

// DefaultKeyPrefix starts the key of every webhook-id unless [WithKeyPrefix]
// says otherwise.
const DefaultKeyPrefix = "openai-webhooks:"

// processed is the value of the key of a processed webhook-id. Claims hold
// the Handler's token instead, which never equals it.
const processed = ":processed"

// Store is a [webhooks.IdempotencyStore] in Redis. The key of a webhook-id
// holds the token of the delivery that claimed it, then the mark that it was
// processed; it expires after the ttl the Handler gives, by default the
// verifier's tolerance plus a minute. A Store is safe for concurrent use.
//
// Every operation is one Lua script, so it is atomic and takes one round
// trip; the scripts touch one key each, so they work with Redis Cluster.
// When Redis fails, the operations return the error, and the Handler answers
// 503 without calling back: nothing is processed twice, and nothing is
// acknowledged that was not processed.
type Store struct {
	client redis.Scripter
	prefix string
}

var _ webhooks.IdempotencyStore = (*Store)(nil)

// An Option configures a [Store] in [New].
type Option func(*Store)

// WithKeyPrefix sets what the Redis key of each webhook-id starts with, so
// that several services, or endpoints with different secrets, can share one
// Redis. The default is [DefaultKeyPrefix].
func WithKeyPrefix(prefix string) Option { return func(s *Store) { s.prefix = prefix } }

// New returns a Store that keeps its keys in client: a *redis.Client, a
// *redis.ClusterClient, or any other client that runs scripts. It panics if
// client is nil.
func New(client redis.Scripter, opts ...Option) *Store {
	if client == nil {
		panic("redisstore: New with a nil client")
	}
	s := &Store{client: client, prefix: DefaultKeyPrefix}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// claimScript claims KEYS[1] for token ARGV[1] for ARGV[2] ms with SET NX
// PX; if the key exists, it says whether it holds the processed mark ARGV[3].
var claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[3] then return 2 end
return 1`)

// doneScript marks KEYS[1] processed (ARGV[2]) for ARGV[3] ms if token
// ARGV[1] holds it, or nobody does.
var doneScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or v == false then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`)

// releaseScript deletes KEYS[1] only if token ARGV[1] holds it, so that a
// slow replica whose claim expired never deletes another's claim.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Claim implements [webhooks.IdempotencyStore].
func (s *Store) Claim(ctx context.Context, id, token string, ttl time.Duration) (webhooks.ClaimStatus, error) {
	n, err := claimScript.Run(ctx, s.client, []string{s.prefix + id}, token, millis(ttl), processed).Int()
	if err != nil {
		return 0, fmt.Errorf("redisstore: claiming %q: %w", id, err)
	}
	switch n {
	case 0:
		return webhooks.Claimed, nil
	case 2:
		return webhooks.Processed, nil
	}
	return webhooks.InProgress, nil
}

// Done implements [webhooks.IdempotencyStore].
func (s *Store) Done(ctx context.Context, id, token string, ttl time.Duration) error {
	if err := doneScript.Run(ctx, s.client, []string{s.prefix + id}, token, processed, millis(ttl)).Err(); err != nil {
		return fmt.Errorf("redisstore: recording %q as processed: %w", id, err)
	}
	return nil
}

// Release implements [webhooks.IdempotencyStore].
func (s *Store) Release(ctx context.Context, id, token string) error {
	if err := releaseScript.Run(ctx, s.client, []string{s.prefix + id}, token).Err(); err != nil {
		return fmt.Errorf("redisstore: releasing %q: %w", id, err)
	}
	return nil
}

// millis converts ttl to the whole milliseconds of PX, at least one.
func millis(ttl time.Duration) int64 {
	return max(ttl.Milliseconds(), 1)
}
