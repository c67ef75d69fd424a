package webhooks

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ClaimStatus is what an [IdempotencyStore] found when a Handler tried to
// claim a webhook-id.
type ClaimStatus int

const (
	// Claimed means the caller now holds the claim: it processes the
	// delivery, then calls Done on success or Release on failure.
	Claimed ClaimStatus = iota
	// InProgress means another delivery of the same id holds the claim and
	// is being processed; its outcome is not known yet.
	InProgress
	// Processed means a delivery of the same id was processed successfully.
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
// OpenAI sends it again, or several copies arrive at once.
//
// Claim must be atomic: of several concurrent calls for one id, one returns
// Claimed. The token identifies one claim: Done and Release act only while
// the caller's token holds the claim, so a slow process whose claim expired
// cannot release a claim that another process took since. Entries expire
// after ttl. Implementations must be safe for concurrent use.
//
// [MemoryStore] serves one process; the redisstore module serves several
// replicas.
type IdempotencyStore interface {
	// Claim claims id for the holder of token, for ttl, unless it is
	// already claimed or processed.
	Claim(ctx context.Context, id, token string, ttl time.Duration) (ClaimStatus, error)
	// Done records that the delivery id, claimed with token, was
	// processed; later claims of id report Processed for ttl. It records it
	// too if the claim expired meanwhile, but not over another holder's
	// claim.
	Done(ctx context.Context, id, token string, ttl time.Duration) error
	// Release gives up the claim of id held with token, so that the next
	// delivery of id is processed.
	Release(ctx context.Context, id, token string) error
}

// ErrStoreFull is returned by [MemoryStore.Claim] when the store holds its
// capacity of ids, none of them expired. A Handler answers 503, and OpenAI
// retries the delivery later.
var ErrStoreFull = errors.New("webhooks: idempotency store full")

// DefaultMemoryStoreCapacity is the number of ids a [MemoryStore] made by
// [NewMemoryStore] with capacity 0 holds: at the default window of six
// minutes, a sustained 270 deliveries a second. An id costs about 250 bytes
// (measured by TestMemoryStoreBounded), so a full store holds about 25 MB.
const DefaultMemoryStoreCapacity = 100_000

// MemoryStore is an [IdempotencyStore] in the memory of one process: the
// default of a [Handler]. It holds at most its capacity of ids; an id
// expires at the end of the ttl given for it, and expired ids are dropped as
// new ones arrive. When every slot holds an unexpired id, Claim fails with
// [ErrStoreFull] rather than forget an id that might be delivered again.
//
// A MemoryStore does not coordinate replicas: for a service with several,
// use a shared store such as the redisstore module's.
type MemoryStore struct {
	mu       sync.Mutex
	capacity int
	entries  map[string]memoryEntry
	expiry   expiryHeap // when entries expire; may hold stale items
	now      func() time.Time
}

type memoryEntry struct {
	token   string
	done    bool
	expires time.Time
}

// NewMemoryStore returns an empty MemoryStore that holds up to capacity
// ids, or [DefaultMemoryStoreCapacity] if capacity is 0 or less.
func NewMemoryStore(capacity int) *MemoryStore {
	if capacity <= 0 {
		capacity = DefaultMemoryStoreCapacity
	}
	return &MemoryStore{capacity: capacity, entries: make(map[string]memoryEntry), now: time.Now}
}

// Len returns the number of ids the store holds, expired ones not yet
// dropped included.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// Claim implements [IdempotencyStore].
func (m *MemoryStore) Claim(_ context.Context, id, token string, ttl time.Duration) (ClaimStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.dropExpired(now)
	if e, ok := m.entries[id]; ok {
		if e.done {
			return Processed, nil
		}
		return InProgress, nil
	}
	// The heap holds an item per claim and per Done, some stale; bound it
	// with the entries.
	if len(m.entries) >= m.capacity || len(m.expiry) >= 2*m.capacity {
		return 0, fmt.Errorf("%w: %d ids within their window", ErrStoreFull, len(m.entries))
	}
	m.put(id, memoryEntry{token: token, expires: now.Add(ttl)})
	return Claimed, nil
}

// Done implements [IdempotencyStore].
func (m *MemoryStore) Done(_ context.Context, id, token string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.dropExpired(now)
	if e, ok := m.entries[id]; !ok || e.token == token && !e.done {
		m.put(id, memoryEntry{token: token, done: true, expires: now.Add(ttl)})
	}
	return nil
}

// Release implements [IdempotencyStore].
func (m *MemoryStore) Release(_ context.Context, id, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[id]; ok && e.token == token && !e.done {
		delete(m.entries, id)
	}
	return nil
}

// put stores e under id and schedules its expiry.
func (m *MemoryStore) put(id string, e memoryEntry) {
	m.entries[id] = e
	heap.Push(&m.expiry, expiryItem{id: id, expires: e.expires})
}

// dropExpired removes the entries that expired by now.
func (m *MemoryStore) dropExpired(now time.Time) {
	for len(m.expiry) > 0 && !m.expiry[0].expires.After(now) {
		item := heap.Pop(&m.expiry).(expiryItem)
		// A stale item: the entry was released, or Done moved its expiry.
		if e, ok := m.entries[item.id]; ok && e.expires.Equal(item.expires) {
			delete(m.entries, item.id)
		}
	}
}

// expiryItem is one scheduled expiry.
type expiryItem struct {
	id      string
	expires time.Time
}

// expiryHeap is a min-heap of expiries, for container/heap.
type expiryHeap []expiryItem

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryItem)) }
func (h *expiryHeap) Pop() any {
	old := *h
	item := old[len(old)-1]
	*h = old[:len(old)-1]
	return item
}
