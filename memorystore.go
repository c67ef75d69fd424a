package webhooks

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMemoryStoreCapacity is the number of ids a [MemoryStore] made by
// [NewMemoryStore] with capacity 0 holds: at the default idempotency window
// of six minutes, a sustained 2 900 deliveries a second. An id costs about
// 200 bytes (TestMemoryStoreBounded measures it), so a store holds about
// 200 MB when full, and a tenth of a megabyte at ten deliveries a second.
const DefaultMemoryStoreCapacity = 1 << 20

// memoryShards is the number of parts a MemoryStore is split into, each
// with its own lock, so that deliveries of different ids rarely wait for
// each other on a machine with many cores.
const memoryShards = 64

// Bounds on the expired entries an operation drops, so that no operation
// waits for a whole burst of ids to expire. An operation drops a few; a Claim
// that finds its shard full drops more before it gives up.
const (
	expireEach   = 8
	expireIfFull = 512
)

// MemoryStore is an [IdempotencyStore] in the memory of one process: the
// default of a [Handler]. It holds at most its capacity of ids, split by a
// hash of the id into 64 shards of equal capacity, each with its own lock.
// An entry expires at the end of its lease or window; each operation drops a
// few expired entries of its shard, and a claim that finds its shard full
// drops more, then fails with [ErrStoreFull] rather than forget an id that
// might be delivered again.
//
// Time is read from the monotonic clock, so a change of the wall clock
// neither expires entries early nor keeps them late.
//
// A MemoryStore does not coordinate replicas: for a service with several,
// use a shared store such as the redisstore module's.
type MemoryStore struct {
	shards [memoryShards]memoryShard
	seed   maphash.Seed
	base   time.Time        // the origin of the entries' times
	now    func() time.Time // time.Now; tests replace it
}

// memoryShard is one part of a MemoryStore.
type memoryShard struct {
	mu       sync.Mutex
	capacity int
	entries  map[string]memoryEntry
	expiry   expiryQueue // when entries expire; may hold stale items
	_        [64]byte    // keeps shards on separate cache lines
}

// memoryEntry is a claim, or (done) a processed mark.
type memoryEntry struct {
	token     string // the claim's holder; empty once done
	expires   int64  // nanoseconds since the store's base
	scheduled int64  // the expiry its item in the expiry queue has
	done      bool
}

// NewMemoryStore returns an empty MemoryStore that holds up to capacity
// ids, or [DefaultMemoryStoreCapacity] if capacity is 0 or less.
func NewMemoryStore(capacity int) *MemoryStore {
	if capacity <= 0 {
		capacity = DefaultMemoryStoreCapacity
	}
	m := &MemoryStore{seed: maphash.MakeSeed(), base: time.Now(), now: time.Now}
	for i := range m.shards {
		m.shards[i].capacity = (capacity + memoryShards - 1) / memoryShards
		m.shards[i].entries = make(map[string]memoryEntry)
	}
	return m
}

// Len returns the number of ids the store holds, expired ones not yet
// dropped included.
func (m *MemoryStore) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

// lock locks the shard of id and returns it with the time now, after
// dropping a few expired entries.
func (m *MemoryStore) lock(id string) (*memoryShard, int64) {
	s := &m.shards[maphash.String(m.seed, id)%memoryShards]
	now := int64(m.now().Sub(m.base))
	s.mu.Lock()
	s.dropExpired(now, expireEach)
	return s, now
}

// Claim implements [IdempotencyStore].
func (m *MemoryStore) Claim(_ context.Context, id, token string, lease time.Duration) (ClaimStatus, error) {
	s, now := m.lock(id)
	defer s.mu.Unlock()
	old, ok := s.entries[id]
	if ok && old.expires > now {
		if old.done {
			return Processed, nil
		}
		return InProgress, nil
	}
	if !ok && len(s.entries) >= s.capacity {
		s.dropExpired(now, expireIfFull)
		if len(s.entries) >= s.capacity {
			return 0, fmt.Errorf("%w: the %d ids of its shard are within their lease or window", ErrStoreFull, len(s.entries))
		}
		old, ok = s.entries[id]
	}
	s.put(id, old, ok, memoryEntry{token: token, expires: now + int64(lease)})
	return Claimed, nil
}

// Renew implements [IdempotencyStore].
func (m *MemoryStore) Renew(_ context.Context, id, token string, lease time.Duration) error {
	s, now := m.lock(id)
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	// A lapsed claim is lost, whether or not its turn to be dropped has
	// come: another replica could claim it at any moment, as in a store
	// that drops it at once.
	if !ok || e.done || e.token != token || e.expires <= now {
		return ErrLeaseLost
	}
	e.expires = max(e.expires, now+int64(lease))
	s.entries[id] = e
	return nil
}

// Done implements [IdempotencyStore].
func (m *MemoryStore) Done(_ context.Context, id, token string, window time.Duration) error {
	s, now := m.lock(id)
	defer s.mu.Unlock()
	old, ok := s.entries[id]
	if ok && old.expires > now && (old.done || old.token != token) {
		return ErrLeaseLost
	}
	s.put(id, old, ok, memoryEntry{expires: now + int64(window), done: true})
	return nil
}

// Release implements [IdempotencyStore].
func (m *MemoryStore) Release(_ context.Context, id, token string) error {
	s, _ := m.lock(id)
	defer s.mu.Unlock()
	if e, ok := s.entries[id]; ok && !e.done && e.token == token {
		delete(s.entries, id)
	}
	return nil
}

// put stores e under id, in place of old if ok. A new entry, or one whose
// expiry comes before its item's (a processed mark can have a shorter window
// than the lease of its claim), gets an item at the end of the expiry queue;
// otherwise it keeps its item, which dropExpired moves to the end of the
// queue, with the entry's later expiry, when it comes up.
func (s *memoryShard) put(id string, old memoryEntry, ok bool, e memoryEntry) {
	if ok && old.scheduled <= e.expires {
		e.scheduled = old.scheduled
	} else {
		s.expiry.push(expiryItem{id: id, expires: e.expires})
		e.scheduled = e.expires
	}
	s.entries[id] = e
}

// dropExpired removes up to limit entries that expired by now, from the
// front of the expiry queue.
func (s *memoryShard) dropExpired(now int64, limit int) {
	for range limit {
		item, ok := s.expiry.front()
		if !ok || item.expires > now {
			return
		}
		s.expiry.pop()
		e, ok := s.entries[item.id]
		switch {
		case !ok || item.expires != e.scheduled: // released, or superseded
		case e.expires > now: // renewed, or marked done, since: queue it again
			e.scheduled = e.expires
			s.entries[item.id] = e
			s.expiry.push(expiryItem{id: item.id, expires: e.expires})
		default:
			delete(s.entries, item.id)
		}
	}
}

// expiryItem is when the entry of an id expires, as scheduled.
type expiryItem struct {
	id      string
	expires int64
}

// expiryQueue holds expiryItems in the order they were scheduled. That is
// the order of their expiries when they all last one duration; a Handler
// uses two (its lease, and its idempotency window), so an entry may expire a
// window late: the store holds it, and treats it as gone, until its turn.
// The queue touches a cache line or two a call, where a heap, which would
// keep them in order, touches one for each level of the tree, lines that
// move between the cores that use the store.
type expiryQueue struct {
	items []expiryItem
	head  int
}

func (q *expiryQueue) push(item expiryItem) { q.items = append(q.items, item) }

func (q *expiryQueue) front() (expiryItem, bool) {
	if q.head == len(q.items) {
		return expiryItem{}, false
	}
	return q.items[q.head], true
}

// pop removes the front item; it moves the rest to the start of the slice
// when they fill less than half of it, so that memory follows the queue.
func (q *expiryQueue) pop() {
	q.items[q.head] = expiryItem{} // let go of the id
	q.head++
	if q.head > len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}
