package webhookstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-openai-webhooks/webhooks"
)

// Lease is the lease TestStore gives claims that it lets lapse; it waits
// three times as long for them to. A store must keep time to well within it.
const Lease = 200 * time.Millisecond

// TestStore checks that the stores newStore returns keep the contract of
// [webhooks.IdempotencyStore], as [testing/fstest.TestFS] does for file
// systems: claims, processed marks, leases that lapse and are renewed,
// tokens that only their holder can use, and one winner among concurrent
// claims. newStore returns an empty store for each subtest. The store's own
// tests call it, against a real engine: the root module's for [webhooks.MemoryStore],
// the redisstore module's for Redis. It sleeps, a few times, for a few
// multiples of [Lease].
func TestStore(t *testing.T, newStore func(t *testing.T) webhooks.IdempotencyStore) {
	ctx := context.Background()
	const long = time.Hour
	type op struct {
		name    string
		do      func(s webhooks.IdempotencyStore) (webhooks.ClaimStatus, error)
		want    webhooks.ClaimStatus // for claims
		wantErr error                // nil: none
	}
	claim := func(id, token string, lease time.Duration) op {
		return op{name: "claim " + id + " as " + token, do: func(s webhooks.IdempotencyStore) (webhooks.ClaimStatus, error) {
			return s.Claim(ctx, id, token, lease)
		}}
	}
	expect := func(o op, want webhooks.ClaimStatus) op { o.want = want; return o }
	fails := func(o op, err error) op { o.wantErr = err; return o }
	action := func(name string, f func(s webhooks.IdempotencyStore) error) op {
		return op{name: name, want: -1, do: func(s webhooks.IdempotencyStore) (webhooks.ClaimStatus, error) { return -1, f(s) }}
	}
	done := func(id, token string, window time.Duration) op {
		return action("done "+id+" by "+token, func(s webhooks.IdempotencyStore) error { return s.Done(ctx, id, token, window) })
	}
	renew := func(id, token string, lease time.Duration) op {
		return action("renew "+id+" by "+token, func(s webhooks.IdempotencyStore) error { return s.Renew(ctx, id, token, lease) })
	}
	release := func(id, token string) op {
		return action("release "+id+" by "+token, func(s webhooks.IdempotencyStore) error { return s.Release(ctx, id, token) })
	}
	claimMany := func(prefix string, n int, lease time.Duration) op {
		return action(fmt.Sprintf("claim %d ids %s-*", n, prefix), func(s webhooks.IdempotencyStore) error {
			for i := range n {
				id := fmt.Sprintf("%s-%d", prefix, i)
				status, err := s.Claim(ctx, id, "t", lease)
				if err != nil {
					return err
				}
				if status != webhooks.Claimed {
					return fmt.Errorf("claim %s: got %v, want %v", id, status, webhooks.Claimed)
				}
			}
			return nil
		})
	}
	wait := func(d time.Duration) op {
		return action(fmt.Sprintf("wait %v", d), func(webhooks.IdempotencyStore) error { time.Sleep(d); return nil })
	}

	tests := []struct {
		name string
		ops  []op
	}{
		{"a claim excludes others until done", []op{
			expect(claim("a", "t1", long), webhooks.Claimed),
			expect(claim("a", "t2", long), webhooks.InProgress),
			done("a", "t1", long),
			expect(claim("a", "t3", long), webhooks.Processed),
		}},
		{"ids are independent", []op{
			expect(claim("a", "t1", long), webhooks.Claimed),
			expect(claim("b", "t1", long), webhooks.Claimed),
		}},
		{"release lets the next claim in", []op{
			expect(claim("a", "t1", long), webhooks.Claimed),
			release("a", "t1"),
			expect(claim("a", "t2", long), webhooks.Claimed),
		}},
		{"only the holder releases", []op{
			expect(claim("a", "t1", long), webhooks.Claimed),
			release("a", "t2"),
			expect(claim("a", "t3", long), webhooks.InProgress),
		}},
		{"release does not undo done", []op{
			expect(claim("a", "t1", long), webhooks.Claimed),
			done("a", "t1", long),
			release("a", "t1"),
			expect(claim("a", "t2", long), webhooks.Processed),
		}},
		{"only the holder renews", []op{
			expect(claim("a", "t1", long), webhooks.Claimed),
			renew("a", "t1", long),
			fails(renew("a", "t2", long), webhooks.ErrLeaseLost),
			fails(renew("b", "t1", long), webhooks.ErrLeaseLost),
		}},
		{"another holder's claim is not marked done", []op{
			expect(claim("a", "t1", long), webhooks.Claimed),
			fails(done("a", "t2", long), webhooks.ErrLeaseLost),
			expect(claim("a", "t3", long), webhooks.InProgress),
		}},
		{"done without a claim is recorded", []op{
			done("a", "t1", long),
			expect(claim("a", "t2", long), webhooks.Processed),
		}},
		{"a processed id is not marked again", []op{
			done("a", "t1", long),
			fails(done("a", "t2", long), webhooks.ErrLeaseLost),
		}},
		{"a claim lapses after its lease", []op{
			expect(claim("a", "t1", Lease), webhooks.Claimed),
			wait(3 * Lease),
			expect(claim("a", "t2", long), webhooks.Claimed),
			fails(renew("a", "t1", long), webhooks.ErrLeaseLost),
			fails(done("a", "t1", long), webhooks.ErrLeaseLost),
			release("a", "t1"),
			expect(claim("a", "t3", long), webhooks.InProgress),
		}},
		{"a lapsed claim is not renewed", []op{
			expect(claim("a", "t1", Lease), webhooks.Claimed),
			wait(3 * Lease),
			fails(renew("a", "t1", long), webhooks.ErrLeaseLost),
			expect(claim("a", "t2", long), webhooks.Claimed),
		}},
		{"a lapsed claim is not renewed, among many that lapsed before it", []op{
			// A store that drops lapsed claims a few at a time, oldest
			// first, still holds the last of them.
			claimMany("before-a", 2000, Lease),
			expect(claim("a", "t1", Lease), webhooks.Claimed),
			wait(3 * Lease),
			fails(renew("a", "t1", long), webhooks.ErrLeaseLost),
			expect(claim("a", "t2", long), webhooks.Claimed),
		}},
		{"a renewed claim outlives its first lease", []op{
			expect(claim("a", "t1", Lease), webhooks.Claimed),
			wait(Lease / 2),
			renew("a", "t1", 6*Lease),
			wait(2 * Lease),
			expect(claim("a", "t2", long), webhooks.InProgress),
		}},
		{"a lapsed claim is marked done if nobody took it", []op{
			expect(claim("a", "t1", Lease), webhooks.Claimed),
			wait(3 * Lease),
			done("a", "t1", long),
			expect(claim("a", "t2", long), webhooks.Processed),
		}},
		{"a processed mark lasts its window", []op{
			expect(claim("a", "t1", long), webhooks.Claimed),
			done("a", "t1", Lease),
			expect(claim("a", "t2", long), webhooks.Processed),
			wait(3 * Lease),
			expect(claim("a", "t3", long), webhooks.Claimed),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			for i, o := range tt.ops {
				got, err := o.do(s)
				switch {
				case o.wantErr != nil && !errors.Is(err, o.wantErr):
					t.Fatalf("step %d (%s): got error %v, want %v", i, o.name, err, o.wantErr)
				case o.wantErr == nil && err != nil:
					t.Fatalf("step %d (%s): got error %v, want none", i, o.name, err)
				case o.want >= 0 && got != o.want:
					t.Fatalf("step %d (%s): got %v, want %v", i, o.name, got, o.want)
				}
			}
		})
	}
	t.Run("one of concurrent claims wins", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var claimed atomic.Int32
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				status, err := s.Claim(ctx, "race", fmt.Sprintf("t%d", i), long)
				if err != nil {
					t.Error(err)
				}
				if status == webhooks.Claimed {
					claimed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := claimed.Load(); n != 1 {
			t.Fatalf("got %d claims of one id, want 1", n)
		}
	})
}
