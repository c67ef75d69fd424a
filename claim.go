package webhooks

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// A claim is a Handler's lease on one webhook-id while it processes the
// delivery: it claims the id, renews the claim on a goroutine of its own
// for as long as the callback runs (past its deadline too) and the store
// records the outcome, knows when the claim lapses if renewals fail, and
// records the outcome. Every store call has a deadline, and the Handler does
// not wait beyond it, whatever the store does.
type claim struct {
	h         *Handler
	id, token string

	mu      sync.Mutex
	expires time.Time   // when the claim lapses, at the earliest: the start of the last successful Claim or Renew, plus the lease
	failed  int         // renewals that failed in a row
	starter *time.Timer // starts the renewals, a third of a lease after the claim

	lost     chan struct{} // closed when the claim is lost
	loseOnce sync.Once
	stop     chan struct{} // closed to stop renewing
	stopOnce sync.Once
	renewing bool

	renewed func(err error) // called after each renewal, for the Observer; nil: none
}

// minRenewPeriod bounds how often a claim is renewed, whatever the lease.
const minRenewPeriod = time.Millisecond

// newClaim returns an unclaimed claim on id, with a token of its own.
func (h *Handler) newClaim(id string) *claim {
	return &claim{
		h: h, id: id, token: h.tokenPrefix + "-" + strconv.FormatUint(h.tokens.Add(1), 10),
		lost: make(chan struct{}), stop: make(chan struct{}),
	}
}

// storeTimeout is the deadline of one call to the store, and the period of
// renewals: a third of the lease, so that a renewal that times out leaves
// time for another before the claim lapses.
func (h *Handler) storeTimeout() time.Duration { return max(h.lease/3, minRenewPeriod) }

// storeCall calls f with a context that ends at the store timeout, and
// returns its error, or, if f has not returned by then, an error matching
// [context.DeadlineExceeded]: f runs on a goroutine of its own, so that a
// store that ignores its context cannot hold the delivery, and a store that
// panics fails the call rather than ending the process. A MemoryStore,
// which never waits for more than a lock, is called directly.
func (h *Handler) storeCall(ctx context.Context, f func(ctx context.Context) error) error {
	if h.inlineStore {
		return f(ctx)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.storeTimeout())
	defer cancel()
	result := make(chan error, 1) // buffered: a call that returns late does not block
	go func() { result <- recovered("the idempotency store", func() error { return f(ctx) }) }()
	select {
	case err := <-result:
		return err
	case <-ctx.Done():
		select {
		case err := <-result: // returned at the same moment
			return err
		default:
		}
		return fmt.Errorf("no answer within %v: %w", h.storeTimeout(), ctx.Err())
	}
}

// claim claims the id for a lease, and schedules its renewals.
func (c *claim) claim(ctx context.Context) (ClaimStatus, error) {
	start := time.Now()
	var status ClaimStatus
	err := c.h.storeCall(ctx, func(ctx context.Context) error {
		var err error
		status, err = c.h.store.Claim(ctx, c.id, c.token, c.h.lease)
		return err
	})
	if err != nil {
		return 0, err
	}
	c.expires = start.Add(c.h.lease)
	if status == Claimed {
		c.starter = time.AfterFunc(c.h.lease-2*c.h.storeTimeout(), c.keepAlive)
	}
	return status, nil
}

// expiry returns when the claim lapses, unless it is renewed.
func (c *claim) expiry() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.expires
}

// lose marks the claim as lost: it lapsed, or another holds it.
func (c *claim) lose() { c.loseOnce.Do(func() { close(c.lost) }) }

// isLost reports whether the claim was lost.
func (c *claim) isLost() bool {
	select {
	case <-c.lost:
		return true
	default:
		return false
	}
}

// keepAlive starts renewing the claim, on a goroutine of its own, until
// stopRenewing is called or the claim is lost.
func (c *claim) keepAlive() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.renewing {
		return
	}
	c.renewing = true
	go c.renewLoop()
}

// stopRenewing stops the renewals, if they run, and those to come.
func (c *claim) stopRenewing() {
	c.stopOnce.Do(func() {
		if c.starter != nil {
			c.starter.Stop()
		}
		close(c.stop)
	})
}

// maxBackoff bounds how long a claim waits between calls that keep
// failing: renewals of a claim that lapsed meanwhile, and records.
const maxBackoff = time.Minute

// backoff returns how long to wait after the n-th failure in a row of calls
// that are first tried again after first: twice as long each time, up to
// maxBackoff.
func backoff(first time.Duration, n int) time.Duration {
	d := first
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// nextRenewal returns how long to wait before the next renewal: until two
// thirds of the lease have passed since the last that succeeded, so that two
// renewals may fail before the claim lapses; half a period after one that
// failed, while the claim may still hold; and longer and longer once it has
// lapsed, so that a store that keeps failing is not flooded.
func (c *claim) nextRenewal(period time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	wait := max(time.Until(c.expires)-2*period, 0)
	switch {
	case c.failed == 0:
	case time.Now().Before(c.expires):
		wait = max(wait, period/2)
	default:
		wait = backoff(period/2, c.failed)
	}
	return wait
}

func (c *claim) renewLoop() {
	period := c.h.storeTimeout()
	timer := time.NewTimer(c.nextRenewal(period))
	defer timer.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.lost:
			return
		case <-timer.C:
		}
		start := time.Now()
		err := c.h.storeCall(context.Background(), func(ctx context.Context) error {
			return c.h.store.Renew(ctx, c.id, c.token, c.h.lease)
		})
		if c.renewed != nil {
			c.renewed(err)
		}
		c.mu.Lock()
		if err == nil {
			c.failed = 0
			c.expires = start.Add(c.h.lease)
		} else {
			c.failed++
		}
		c.mu.Unlock()
		if errors.Is(err, ErrLeaseLost) {
			c.lose()
			return
		}
		// Another error: tried again soon; the Handler treats the claim as
		// lost once it lapses without a successful renewal.
		timer.Reset(c.nextRenewal(period))
	}
}

// done records the delivery as processed, and returns the store's first
// answer, or an error if the store has not answered within the store
// timeout. Until the record is made, the claim is still renewed, so that no
// copy is processed meanwhile, and a record that failed is tried again,
// after a store timeout, then twice as long each time (up to a minute), for
// up to the idempotency window: a store that drops a connection or answers
// slowly still gets the record.
func (c *claim) done(ctx context.Context) error {
	if c.h.inlineStore {
		c.stopRenewing()
		return c.h.store.Done(ctx, c.id, c.token, c.h.window)
	}
	first := make(chan error, 1)
	go func() {
		defer c.stopRenewing()
		giveUp := time.Now().Add(c.h.window)
		dctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), giveUp)
		defer cancel()
		stop := time.AfterFunc(c.h.window, c.stopRenewing) // should the store ignore dctx
		defer stop.Stop()
		for attempt := 0; ; attempt++ {
			err := recovered("the idempotency store", func() error {
				return c.h.store.Done(dctx, c.id, c.token, c.h.window)
			})
			if attempt == 0 {
				first <- err
			}
			if err == nil || errors.Is(err, ErrLeaseLost) || !time.Now().Before(giveUp) {
				return
			}
			select {
			case <-time.After(backoff(c.h.storeTimeout(), attempt+1)):
			case <-dctx.Done():
				return
			}
		}
	}()
	timeout := time.NewTimer(c.h.storeTimeout())
	defer timeout.Stop()
	select {
	case err := <-first:
		return err
	case <-timeout.C:
		select {
		case err := <-first:
			return err
		default:
		}
		return fmt.Errorf("no answer within %v (the claim is renewed until the store answers, for up to %v): %w",
			c.h.storeTimeout(), c.h.window, context.DeadlineExceeded)
	}
}

// release gives the claim up, so that the next copy is processed at once.
func (c *claim) release(ctx context.Context) error {
	c.stopRenewing()
	return c.h.storeCall(ctx, func(ctx context.Context) error {
		return c.h.store.Release(ctx, c.id, c.token)
	})
}

// finishLate keeps the claim of a callback that passed its deadline, or
// lost its claim, and still runs, so that no copy runs beside it (if the
// claim can still be kept), and settles the claim once it returns: recorded
// as processed if it succeeded after all (the store records it if nobody
// took the claim), released if it failed. A callback that has not returned within one more callback
// timeout is taken for hung: its claim is given up, to lapse within a lease,
// so that the delivery is not blocked for good.
func (c *claim) finishLate(ctx context.Context, result <-chan error) {
	giveUp := time.NewTimer(c.h.callbackTimeout)
	defer giveUp.Stop()
	select {
	case err := <-result:
		// Token-guarded: neither touches a claim that another holds now.
		if err != nil {
			_ = c.release(ctx)
		} else {
			_ = c.done(ctx)
		}
	case <-giveUp.C:
		c.stopRenewing()
	}
}
