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
// while the callback runs (and while the store records the outcome), knows
// when the claim lapses if renewals fail, and records the outcome. Every
// store call has a deadline, and the Handler does not wait beyond it,
// whatever the store does.
type claim struct {
	h         *Handler
	id, token string

	mu      sync.Mutex
	expires time.Time // when the claim lapses, at the earliest: the start of the last successful Claim or Renew, plus its lease
	until   time.Time // renewals extend the claim no further (the callback's deadline); zero: a full lease

	lost     chan struct{} // closed when the claim is lost
	loseOnce sync.Once
	stop     chan struct{} // closed to stop renewing
	stopOnce sync.Once
	renewing bool
}

// newClaim returns an unclaimed claim on id, with a token of its own.
func (h *Handler) newClaim(id string) *claim {
	return &claim{
		h: h, id: id, token: h.tokenPrefix + "-" + strconv.FormatUint(h.tokens.Add(1), 10),
		lost: make(chan struct{}), stop: make(chan struct{}),
	}
}

// claimLease is how long a claim lasts before it is renewed: the lease,
// and never beyond the callback's deadline.
func (h *Handler) claimLease() time.Duration { return min(h.lease, h.callbackTimeout) }

// storeTimeout is the deadline of one call to the store: a third of the
// lease, so that a renewal that times out leaves time for another before the
// claim lapses.
func (h *Handler) storeTimeout() time.Duration { return h.claimLease() / 3 }

// storeCall calls f with a context that ends at the store timeout, and
// returns its error, or, if f has not returned by then, an error matching
// [context.DeadlineExceeded]: f runs on a goroutine of its own, so that a
// store that ignores its context cannot hold the delivery. A MemoryStore,
// which never waits for more than a lock, is called directly.
func (h *Handler) storeCall(ctx context.Context, f func(ctx context.Context) error) error {
	if h.inlineStore {
		return f(ctx)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.storeTimeout())
	defer cancel()
	result := make(chan error, 1) // buffered: a call that returns late does not block
	go func() { result <- f(ctx) }()
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

// claim claims the id for a lease, until the callback's deadline at most.
func (c *claim) claim(ctx context.Context, until time.Time) (ClaimStatus, error) {
	lease := c.h.claimLease()
	c.until = until
	start := time.Now()
	var status ClaimStatus
	err := c.h.storeCall(ctx, func(ctx context.Context) error {
		var err error
		status, err = c.h.store.Claim(ctx, c.id, c.token, lease)
		return err
	})
	if err != nil {
		return 0, err
	}
	c.expires = start.Add(lease)
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

// keepAlive starts renewing the claim every third of the lease, on a
// goroutine of its own, until stopRenewing is called or the claim is lost.
func (c *claim) keepAlive() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.renewing {
		return
	}
	c.renewing = true
	go c.renewLoop()
}

// stopRenewing stops the renewals, if they run.
func (c *claim) stopRenewing() { c.stopOnce.Do(func() { close(c.stop) }) }

// extendToFullLease lets renewals extend the claim by a full lease: once the
// callback has returned, the claim covers the recording of its outcome.
func (c *claim) extendToFullLease() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.until = time.Time{}
}

func (c *claim) renewLoop() {
	ticker := time.NewTicker(c.h.claimLease() / 3)
	defer ticker.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.lost:
			return
		case <-ticker.C:
		}
		c.mu.Lock()
		lease := c.h.claimLease()
		if !c.until.IsZero() {
			lease = min(lease, time.Until(c.until))
		}
		c.mu.Unlock()
		if lease <= 0 {
			continue // the callback's deadline has passed; the Handler is deciding
		}
		start := time.Now()
		err := c.h.storeCall(context.Background(), func(ctx context.Context) error {
			return c.h.store.Renew(ctx, c.id, c.token, lease)
		})
		switch {
		case err == nil:
			c.mu.Lock()
			c.expires = start.Add(lease)
			c.mu.Unlock()
		case errors.Is(err, ErrLeaseLost):
			c.lose()
			return
		default:
			// Tried again at the next tick; the Handler treats the claim as
			// lost once it lapses without a successful renewal.
		}
	}
}

// done records the delivery as processed. It waits for the store for the
// store timeout at most; a store that has not answered by then has the
// idempotency window to do it, and the claim is renewed until it answers, so
// that no copy is processed while the outcome is being recorded.
func (c *claim) done(ctx context.Context) error {
	if c.h.inlineStore {
		c.stopRenewing()
		return c.h.store.Done(ctx, c.id, c.token, c.h.window)
	}
	c.extendToFullLease()
	c.keepAlive()
	result := make(chan error, 1)
	go func() {
		defer c.stopRenewing()
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.h.window)
		defer cancel()
		stop := time.AfterFunc(c.h.window, c.stopRenewing) // should the store ignore dctx
		defer stop.Stop()
		result <- c.h.store.Done(dctx, c.id, c.token, c.h.window)
	}()
	timeout := time.NewTimer(c.h.storeTimeout())
	defer timeout.Stop()
	select {
	case err := <-result:
		return err
	case <-timeout.C:
		select {
		case err := <-result:
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
