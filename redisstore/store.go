// Package redisstore keeps the webhook-ids that a [webhooks.Handler] claims
// and processes in Redis, so that the replicas of a service process each
// OpenAI delivery once between them, wherever its copies and retries land.
//
//	client := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	handler := webhooks.NewHandler(verifier, process,
//		webhooks.WithIdempotencyStore(redisstore.New(client)),
//		webhooks.WithIdempotencyWindow(72*time.Hour))
//
// It is a module of its own, so that the webhooks module never depends on a
// Redis client. It needs Redis 7.0 or later.
package redisstore

import (
	"context"
	"errors"
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
// holds the token of the delivery that claimed it, for the lease the Handler
// gives (it renews it while the callback runs); then the mark that it was
// processed, for the Handler's idempotency window. A replica that crashes
// leaves a claim that lapses within one lease. A Store is safe for
// concurrent use.
//
// Every operation is one round trip on one key, so it works with Redis
// Cluster: Claim is a plain SET NX GET, which costs Redis less than a script;
// Renew, Done and Release, which must compare the token first, are Lua
// scripts, atomic. When Redis fails, the operations return the error, and
// the Handler answers 503 without calling back: nothing is processed twice,
// and nothing is acknowledged that was not processed.
type Store struct {
	client redis.Cmdable
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
// *redis.ClusterClient, or any other client of go-redis. It panics if client
// is nil.
func New(client redis.Cmdable, opts ...Option) *Store {
	if client == nil {
		panic("redisstore: New with a nil client")
	}
	s := &Store{client: client, prefix: DefaultKeyPrefix}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// renewScript extends the lease of KEYS[1] to ARGV[2] ms if token ARGV[1]
// holds it.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// doneScript marks KEYS[1] processed (ARGV[2]) for ARGV[3] ms if token
// ARGV[1] holds it, or nothing does.
var doneScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or v == false then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`)

// releaseScript deletes KEYS[1] only if token ARGV[1] holds it, so that a
// slow replica whose claim lapsed never deletes another's claim.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Claim implements [webhooks.IdempotencyStore] with SET key token NX PX lease
// GET: it sets the key if it is absent, and returns what it held if not.
func (s *Store) Claim(ctx context.Context, id, token string, lease time.Duration) (webhooks.ClaimStatus, error) {
	old, err := s.client.SetArgs(ctx, s.prefix+id, token, redis.SetArgs{Mode: "NX", TTL: millis(lease), Get: true}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return webhooks.Claimed, nil
	case err != nil:
		return 0, fmt.Errorf("redisstore: claiming %q: %w", id, err)
	case old == processed:
		return webhooks.Processed, nil
	}
	return webhooks.InProgress, nil
}

// Renew implements [webhooks.IdempotencyStore].
func (s *Store) Renew(ctx context.Context, id, token string, lease time.Duration) error {
	n, err := renewScript.Run(ctx, s.client, []string{s.prefix + id}, token, millis(lease).Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("redisstore: renewing %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: renewing %q: %w", id, webhooks.ErrLeaseLost)
	}
	return nil
}

// Done implements [webhooks.IdempotencyStore].
func (s *Store) Done(ctx context.Context, id, token string, window time.Duration) error {
	n, err := doneScript.Run(ctx, s.client, []string{s.prefix + id}, token, processed, millis(window).Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("redisstore: recording %q as processed: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: recording %q as processed: %w", id, webhooks.ErrLeaseLost)
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

// millis rounds d to whole milliseconds, at least one, as PX takes them.
func millis(d time.Duration) time.Duration {
	return max(d.Round(time.Millisecond), time.Millisecond)
}
