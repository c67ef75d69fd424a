package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ClaimStatus is what an [IdempotencyStore] found when a Handler tried to
// claim a webhook-id.
type ClaimStatus int

const (
	// Claimed means the caller now holds the claim: it processes the
	// delivery, renews the claim while it does, then calls Done on success
	// or Release on failure.
	Claimed ClaimStatus = iota
	// InProgress means another delivery of the same id holds a claim that
	// has not lapsed: it is being processed, and its outcome is not known.
	InProgress
	// Processed means a delivery of the same id was processed successfully,
	// within the idempotency window.
	Processed
)

// String returns the status's name.
func (s ClaimStatus) String() string {
	switch s {
	case Claimed:
		return "claimed"
	case InProgress:
		return "in progress"
	case Processed:
		return "processed"
	}
	return fmt.Sprintf("ClaimStatus(%d)", int(s))
}

// An IdempotencyStore records which deliveries are being processed and which
// have been, so that a [Handler] processes each webhook-id once even when
// OpenAI sends it again, or several copies arrive at once, at one process or
// at several.
//
// It keeps two kinds of entries under a webhook-id, with two lifetimes:
//
//   - A claim says that the holder of a token is processing the delivery.
//     It is a lease: it lapses at the end of the duration given to Claim or
//     Renew, unless renewed. A Handler renews it while its callback runs,
//     and never beyond the callback's deadline, so the claim of a process
//     that crashed or hangs lapses within one lease, and the next copy that
//     OpenAI sends is processed.
//   - A processed mark, which Done puts in place of the claim, says that the
//     delivery was processed. It lasts the idempotency window given to Done,
//     which is as long as copies of the delivery may still arrive.
//
// Claim must be atomic: of several concurrent calls for one id, one returns
// Claimed. Renew, Done and Release act only while the caller's token holds the
// claim, or (Done) nobody does: a process whose claim lapsed and was taken by
// another can neither extend, mark nor release the other's claim, and is told
// so with [ErrLeaseLost]. Implementations must be safe for concurrent use.
//
// A Handler gives every call a context with a deadline (a third of the
// lease), and goes on without the answer of a call that has not returned by
// then: a store should give up at the deadline, but a store that does not
// cannot hold a delivery beyond it.
//
// [MemoryStore] serves one process; the redisstore module serves several
// replicas.
type IdempotencyStore interface {
	// Claim claims id for the holder of token for lease, unless a claim that
	// has not lapsed or a processed mark is there: then it reports
	// InProgress or Processed, and changes nothing.
	Claim(ctx context.Context, id, token string, lease time.Duration) (ClaimStatus, error)
	// Renew extends the claim of id held with token to lease from now. It
	// returns ErrLeaseLost if token does not hold the claim any more, also
	// when the claim lapsed and nobody took it since.
	Renew(ctx context.Context, id, token string, lease time.Duration) error
	// Done replaces the claim of id held with token by a processed mark that
	// lasts window. It also records the mark if nothing is left of the claim
	// (it lapsed, and nobody took it); if another token holds a claim, or id
	// is marked already, it changes nothing and returns ErrLeaseLost.
	Done(ctx context.Context, id, token string, window time.Duration) error
	// Release gives up the claim of id held with token, so that the next
	// delivery of id is processed at once. It does nothing if token does not
	// hold the claim.
	Release(ctx context.Context, id, token string) error
}

// ErrLeaseLost is returned by [IdempotencyStore.Renew] and
// [IdempotencyStore.Done] when the caller's claim lapsed and another holds
// the id, or marked it processed: the delivery may be processed twice. A
// Handler then cancels the callback's context, and reports it in
// [Outcome.StoreErr], as it does when a claim lapses because renewals kept
// failing.
var ErrLeaseLost = errors.New("webhooks: claim lost")

// ErrStoreFull is returned by [MemoryStore.Claim] when the store holds its
// capacity of ids, none of them expired. A Handler answers 503, and OpenAI
// retries the delivery later.
var ErrStoreFull = errors.New("webhooks: idempotency store full")
