package webhookstest

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-openai-webhooks/webhooks"
)

// FaultyStore is an [webhooks.IdempotencyStore] that wraps another and
// injects a [Fault] into each of its methods: errors, delays, and hangs that
// ignore the context, as a store under load or behind a broken network
// does. Tests give it to a Handler to see what a store fault does to a
// delivery. The zero Fault changes nothing.
type FaultyStore struct {
	webhooks.IdempotencyStore
	ClaimFault, RenewFault, DoneFault, ReleaseFault Fault
}

// A Fault is what one method of a [FaultyStore] does before, or instead
// of, calling the store it wraps: it waits for Delay, whatever its context
// says, then returns Err if it is set, and calls the store otherwise.
type Fault struct {
	Delay time.Duration
	Err   error
}

func (f Fault) do(call func() error) error {
	time.Sleep(f.Delay)
	if f.Err != nil {
		return f.Err
	}
	return call()
}

// Claim implements [webhooks.IdempotencyStore], with ClaimFault.
func (s FaultyStore) Claim(ctx context.Context, id, token string, lease time.Duration) (webhooks.ClaimStatus, error) {
	var status webhooks.ClaimStatus
	err := s.ClaimFault.do(func() (err error) {
		status, err = s.IdempotencyStore.Claim(ctx, id, token, lease)
		return err
	})
	return status, err
}

// Renew implements [webhooks.IdempotencyStore], with RenewFault.
func (s FaultyStore) Renew(ctx context.Context, id, token string, lease time.Duration) error {
	return s.RenewFault.do(func() error { return s.IdempotencyStore.Renew(ctx, id, token, lease) })
}

// Done implements [webhooks.IdempotencyStore], with DoneFault.
func (s FaultyStore) Done(ctx context.Context, id, token string, window time.Duration) error {
	return s.DoneFault.do(func() error { return s.IdempotencyStore.Done(ctx, id, token, window) })
}

// Release implements [webhooks.IdempotencyStore], with ReleaseFault.
func (s FaultyStore) Release(ctx context.Context, id, token string) error {
	return s.ReleaseFault.do(func() error { return s.IdempotencyStore.Release(ctx, id, token) })
}

// Errors of TestStoreFaults: a store that is down, and a callback that
// fails.
var (
	errStoreDown = errors.New("webhookstest: store down")
	errCallback  = errors.New("webhookstest: the callback fails, as told")
)

// TestStoreFaults checks, with a [FaultyStore] around the stores newStore
// returns, that no store fault makes a [webhooks.Handler] process a delivery
// twice or miss its own deadlines: renewals that keep failing let the claim
// lapse, and the Handler then cancels the callback and records nothing; a
// store call that hangs, ignoring its context, holds a delivery for a third
// of the lease at most; and a record of a processed delivery that the store
// is slow to make keeps the claim renewed, so that a copy is answered 409
// meanwhile, never processed again. newStore returns an empty store for
// each subtest. Its subtests run in parallel, for about ten seconds, with
// leases of a second or two, so that a busy machine renews in time.
func TestStoreFaults(t *testing.T, newStore func(t *testing.T) webhooks.IdempotencyStore) {
	t.Run("a claim whose renewals keep failing lapses, and is lost", func(t *testing.T) {
		t.Parallel()
		const lease = time.Second
		store := FaultyStore{IdempotencyStore: newStore(t), RenewFault: Fault{Err: errStoreDown}}
		r := newFaultReceiver(t, store, webhooks.WithLease(lease), webhooks.WithCallbackTimeout(20*time.Second))
		r.work = func(call int32) time.Duration {
			if call == 1 {
				return 5 * time.Second // needs renewals, which fail
			}
			return 0 // done within its first lease
		}
		first := make(chan webhooks.Outcome, 1)
		go func() { first <- r.send() }()
		time.Sleep(2 * lease) // the claim has lapsed in the store
		second := r.send()
		if o := <-first; o.Result != webhooks.ResultFailed || !errors.Is(o.StoreErr, webhooks.ErrLeaseLost) {
			t.Errorf("the first, whose claim lapsed: got %v (%v, store: %v), want failed, with the claim lost", o.Result, o.Err, o.StoreErr)
		}
		if second.Result != webhooks.ResultProcessed {
			t.Errorf("the copy sent after the lapse: got %v (%v), want processed", second.Result, second.Err)
		}
		if n := r.completed.Load(); n != 1 {
			t.Errorf("got %d callbacks run to completion, want 1", n)
		}
	})

	const lease, hang = time.Second, 6 * time.Second
	deadlines := []struct {
		name        string
		fault       func(s *FaultyStore)
		work        time.Duration // how long the callback works
		fail        bool          // the callback fails
		want        webhooks.Result
		wantLost    bool // StoreErr matches ErrLeaseLost
		wantStoreOK bool // StoreErr is nil
	}{
		{"claim hangs: 503 at the store timeout", func(s *FaultyStore) { s.ClaimFault.Delay = hang }, 0, false,
			webhooks.ResultUnavailable, false, true},
		{"renewals hang: the claim lapses, the callback is canceled", func(s *FaultyStore) { s.RenewFault.Delay = hang }, 5 * time.Second, false,
			webhooks.ResultFailed, true, false},
		{"done hangs: 200 at the store timeout", func(s *FaultyStore) { s.DoneFault.Delay = hang }, 0, false,
			webhooks.ResultProcessed, false, false},
		{"release hangs: 500 at the store timeout", func(s *FaultyStore) { s.ReleaseFault.Delay = hang }, 0, true,
			webhooks.ResultFailed, false, false},
	}
	for _, tt := range deadlines {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := FaultyStore{IdempotencyStore: newStore(t)}
			tt.fault(&store)
			r := newFaultReceiver(t, store, webhooks.WithLease(lease), webhooks.WithCallbackTimeout(3*time.Second))
			r.work = func(int32) time.Duration { return tt.work }
			r.fail = tt.fail
			start := time.Now()
			o := r.send()
			took := time.Since(start)
			if o.Result != tt.want {
				t.Errorf("got %v (%v), want %v", o.Result, o.Err, tt.want)
			}
			switch {
			case tt.wantLost && !errors.Is(o.StoreErr, webhooks.ErrLeaseLost):
				t.Errorf("got store error %v, want the claim lost", o.StoreErr)
			case tt.wantStoreOK && o.StoreErr != nil:
				t.Errorf("got store error %v, want none", o.StoreErr)
			case !tt.wantLost && !tt.wantStoreOK && !errors.Is(o.StoreErr, webhooks.ErrStoreUnavailable):
				t.Errorf("got store error %v, want the store unavailable", o.StoreErr)
			}
			if took >= hang/2 {
				t.Errorf("got the answer after %v, want it well before the store's %v, whatever the store does", took, hang)
			}
		})
	}

	t.Run("a slow record keeps the claim: a copy is not processed again", func(t *testing.T) {
		t.Parallel()
		const lease = time.Second
		store := FaultyStore{IdempotencyStore: newStore(t), DoneFault: Fault{Delay: 6 * time.Second}}
		r := newFaultReceiver(t, store, webhooks.WithLease(lease))
		if o := r.send(); o.Result != webhooks.ResultProcessed {
			t.Fatalf("got %v (%v), want processed", o.Result, o.Err)
		}
		time.Sleep(2 * lease) // without renewals, the claim would have lapsed
		if o := r.send(); o.Result != webhooks.ResultInProgress || o.Status != http.StatusConflict {
			t.Errorf("a copy while the record is in flight: got %v %d (%v), want in progress, 409", o.Result, o.Status, o.Err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for r.send().Result != webhooks.ResultDuplicate {
			if time.Now().After(deadline) {
				t.Fatal("the record never landed: copies are still not duplicates")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if n := r.completed.Load(); n != 1 {
			t.Errorf("got %d callbacks run to completion, want 1", n)
		}
	})

	// A callback that returns close to its deadline leaves a claim that
	// lasts only to that deadline: renewals never extend it further, and
	// with a lease as long as the callback timeout (the defaults) it is
	// never renewed at all. A record that the store is slow to make must
	// not let it lapse meanwhile, or a copy is claimed and processed again.
	nearDeadline := []struct {
		name                 string
		lease, timeout, work time.Duration // work: how long the first callback works
	}{
		// The first returns 200 ms before its deadline and the claim (at
		// d18636a) lapsed at the deadline, renewed only from 1.4 s.
		{"lease as long as the callback timeout, as by default", 1200 * time.Millisecond, 1200 * time.Millisecond, time.Second},
		// The first returns 150 ms before its deadline, after the last
		// renewal before it (at d18636a renewed to the deadline, 2.1 s, at
		// 1.8 s, and next at 2.4 s). The margins are wide enough that a busy
		// machine does not make the first miss its deadline, which 50 ms
		// were not (5 of 20 runs, under load, with -race).
		{"lease shorter: renewals stop at the deadline", 1800 * time.Millisecond, 2100 * time.Millisecond, 1950 * time.Millisecond},
	}
	for _, tt := range nearDeadline {
		t.Run("a slow record after a callback near its deadline: "+tt.name, func(t *testing.T) {
			t.Parallel()
			const record = 2 * time.Second // how long the store takes to record the first
			store := FaultyStore{IdempotencyStore: newStore(t), DoneFault: Fault{Delay: record}}
			r := newFaultReceiver(t, store, webhooks.WithLease(tt.lease), webhooks.WithCallbackTimeout(tt.timeout))
			r.work = func(call int32) time.Duration {
				if call == 1 {
					return tt.work
				}
				return 0
			}
			first := make(chan webhooks.Outcome, 1)
			go func() { first <- r.send() }()
			for r.calls.Load() == 0 { // the first holds the claim
				time.Sleep(time.Millisecond)
			}
			// Copies, as OpenAI sends when an answer is slow, until the record lands.
			var processedAgain int
			for end := time.Now().Add(tt.work + record - 300*time.Millisecond); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
				if o := r.send(); o.Result == webhooks.ResultProcessed {
					processedAgain++
				}
			}
			// The first is processed, unless a busy machine made it miss its
			// deadline; either way one callback, no more, runs to completion.
			o := <-first
			if n := r.completed.Load(); n != 1 {
				t.Errorf("got %d callbacks run to completion (the first %v; %d copies processed after it), want 1", n, o.Result, processedAgain)
			}
		})
	}

	t.Run("a record that fails once: a copy is not processed again", func(t *testing.T) {
		t.Parallel()
		const lease = time.Second
		store := &doneFailsOnce{IdempotencyStore: newStore(t)}
		r := newFaultReceiver(t, store, webhooks.WithLease(lease))
		if o := r.send(); o.Result != webhooks.ResultProcessed {
			t.Fatalf("got %v (%v), want processed", o.Result, o.Err)
		}
		time.Sleep(2 * lease) // the claim of the first has lapsed, if nothing renewed it
		o := r.send()
		for end := time.Now().Add(time.Second); o.Result == webhooks.ResultUnavailable && time.Now().Before(end); {
			o = r.send() // a store slow to answer on a busy machine: send it again
		}
		if o.Result == webhooks.ResultProcessed {
			t.Errorf("a copy after the failed record: got %v, want it not processed again (duplicate, or in progress while the record is retried)", o.Result)
		}
		if n := r.completed.Load(); n != 1 {
			t.Errorf("got %d callbacks run to completion, want 1", n)
		}
	})
}

// doneFailsOnce is a store whose first Done fails, as a store does that
// drops one connection: the next call would succeed.
type doneFailsOnce struct {
	webhooks.IdempotencyStore
	failed atomic.Bool
}

func (s *doneFailsOnce) Done(ctx context.Context, id, token string, window time.Duration) error {
	if !s.failed.Swap(true) {
		return errStoreDown
	}
	return s.IdempotencyStore.Done(ctx, id, token, window)
}

// faultReceiver is a Handler on a store, whose callback works as told and
// counts the calls that ran to completion, and one delivery to send it.
type faultReceiver struct {
	h         *webhooks.Handler
	body      []byte
	headers   http.Header
	work      func(call int32) time.Duration
	fail      bool
	calls     atomic.Int32
	completed atomic.Int32
}

func newFaultReceiver(t *testing.T, store webhooks.IdempotencyStore, opts ...webhooks.HandlerOption) *faultReceiver {
	secret := NewSecret()
	v, err := webhooks.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &faultReceiver{body: Sample(webhooks.EventTypeBatchCompleted), work: func(int32) time.Duration { return 0 }}
	r.headers = Headers(secret, r.body)
	r.h = webhooks.NewHandler(v, func(ctx context.Context, _ webhooks.Event) error {
		work := r.work(r.calls.Add(1))
		if r.fail {
			return errCallback
		}
		select {
		case <-time.After(work):
			r.completed.Add(1)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, append([]webhooks.HandlerOption{webhooks.WithIdempotencyStore(store)}, opts...)...)
	return r
}

// send sends the delivery and returns its outcome.
func (r *faultReceiver) send() webhooks.Outcome {
	return r.h.Receive(context.Background(), r.body, r.headers)
}
