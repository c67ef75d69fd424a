package webhooks

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock that tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestStore(capacity int) (*MemoryStore, *fakeClock) {
	c := &fakeClock{t: time.Unix(1750287000, 0)}
	m := NewMemoryStore(capacity)
	m.now, m.base = c.now, c.t
	return m, c
}

// heapLen returns the number of items in the store's expiry heaps.
func (m *MemoryStore) heapLen() int {
	n := 0
	for i := range m.shards {
		n += len(m.shards[i].expiry.items) - m.shards[i].expiry.head
	}
	return n
}

// TestMemoryStoreBounded sends 100 000 distinct ids through a store and
// checks that it holds no more than its bound.
func TestMemoryStoreBounded(t *testing.T) {
	ctx := context.Background()
	const ids = 100_000
	const window = 6 * time.Minute

	t.Run("steady stream: only the window is held", func(t *testing.T) {
		m, c := newTestStore(0)
		const gap = 10 * time.Millisecond // 100 deliveries a second
		held := int(window / gap)
		for i := range ids {
			id := fmt.Sprintf("wh_%d", i)
			got, err := m.Claim(ctx, id, "t", DefaultLease)
			require.NoError(t, err)
			require.Equal(t, Claimed, got)
			require.NoError(t, m.Done(ctx, id, "t", window))
			// Each operation drops a few expired ids of its shard, and an
			// id waits for its turn in its shard's queue: the store lags
			// behind the window by a few percent at most (measured: 4%
			// when the first ids expire, then 0.2%).
			require.LessOrEqual(t, m.Len(), held+held/20, "after %d ids", i)
			require.LessOrEqual(t, m.heapLen(), m.Len()+memoryShards, "after %d ids", i)
			c.advance(gap)
		}
	})

	t.Run("flood at one instant: capacity holds", func(t *testing.T) {
		const capacity = 10_000
		m, _ := newTestStore(capacity)
		full := 0
		for i := range ids {
			if _, err := m.Claim(ctx, fmt.Sprintf("wh_%d", i), "t", window); err != nil {
				require.ErrorIs(t, err, ErrStoreFull)
				full++
			}
		}
		// Each shard holds its share of the capacity, and is full when it
		// does: the store turns ids away at about its capacity.
		assert.LessOrEqual(t, m.Len(), capacity+memoryShards)
		assert.Greater(t, m.Len(), capacity*9/10)
		assert.Equal(t, ids-m.Len(), full)
	})

	t.Run("bytes per id", func(t *testing.T) {
		// A store of 200 000 processed ids, with ids and tokens as a Handler
		// makes them, costs about 200 bytes an id (the figure in
		// DefaultMemoryStoreCapacity's comment); fail well above it.
		const n = 200_000
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, _ := newTestStore(0)
		for i := range n {
			id := fmt.Sprintf("wh_2zHXvBJ8c1Nq5%010d", i)
			token := fmt.Sprintf("9f86d081884c7d65-%d", i)
			_, err := m.Claim(ctx, id, token, DefaultLease)
			require.NoError(t, err)
			require.NoError(t, m.Done(ctx, id, token, window))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perID := float64(after.HeapAlloc-before.HeapAlloc) / n
		t.Logf("%.0f bytes per id, %d ids", perID, m.Len())
		assert.Less(t, perID, 260.0, "got %.0f bytes per id", perID)
		runtime.KeepAlive(m)
	})
}

// TestMemoryStoreExpiryIsSpread checks that no operation drops more than a
// few expired ids, however many expire at once: the work of a burst is
// spread over the operations that follow it.
func TestMemoryStoreExpiryIsSpread(t *testing.T) {
	ctx := context.Background()
	m, c := newTestStore(0)
	const burst = 100_000
	for i := range burst {
		id := fmt.Sprintf("wh_%d", i)
		_, err := m.Claim(ctx, id, "t", DefaultLease)
		require.NoError(t, err)
		require.NoError(t, m.Done(ctx, id, "t", time.Minute))
	}
	c.advance(2 * time.Minute)
	before := m.Len()
	got, err := m.Claim(ctx, "wh_new", "t", DefaultLease)
	require.NoError(t, err)
	assert.Equal(t, Claimed, got)
	assert.GreaterOrEqual(t, m.Len(), before-expireEach, "one claim dropped %d ids", before-m.Len()+1)
	for i := range burst {
		_, err := m.Claim(ctx, fmt.Sprintf("wh_next_%d", i), "t", DefaultLease)
		require.NoError(t, err)
	}
	assert.Less(t, m.Len(), burst+burst/2, "got %d ids: expired ones are not dropped as new ones arrive", m.Len())
}

// TestMemoryStoreFullAfterExpiry checks that a full store makes room by
// dropping expired ids, and answers ErrStoreFull only when none has.
func TestMemoryStoreFullAfterExpiry(t *testing.T) {
	ctx := context.Background()
	m, c := newTestStore(memoryShards) // one id per shard
	var inShard []string               // two ids of one shard
	for i := 0; len(inShard) < 2; i++ {
		if id := fmt.Sprintf("wh_%d", i); m.shardOf(id) == 3 {
			inShard = append(inShard, id)
		}
	}
	first, second := inShard[0], inShard[1]
	_, err := m.Claim(ctx, first, "t", time.Minute)
	require.NoError(t, err)
	_, err = m.Claim(ctx, second, "t", time.Minute)
	require.ErrorIs(t, err, ErrStoreFull)
	c.advance(2 * time.Minute)
	got, err := m.Claim(ctx, second, "t", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, Claimed, got)
}

// shardOf returns the index of id's shard.
func (m *MemoryStore) shardOf(id string) int {
	s, _ := m.lock(id)
	s.mu.Unlock()
	for i := range m.shards {
		if &m.shards[i] == s {
			return i
		}
	}
	return -1
}

// BenchmarkClaimAfterBurst fills a store with a burst of 100 000 processed
// ids that all expire at the same instant, moves the clock past it, and
// times each of the next 10 000 claims, which no burst may make wait for all
// its ids to be dropped: p50-ns, p999-ns and max-ns per claim, and the most
// entries one claim dropped (max-dropped), which bounds its work whatever
// the machine is doing.
func BenchmarkClaimAfterBurst(b *testing.B) {
	ctx := context.Background()
	const burst, after = 100_000, 10_000
	var times []time.Duration
	maxDropped := 0
	for b.Loop() {
		b.StopTimer()
		m, c := newTestStore(0)
		for i := range burst {
			id := "wh_" + strconv.Itoa(i)
			_, _ = m.Claim(ctx, id, "t", DefaultLease)
			_ = m.Done(ctx, id, "t", time.Minute)
		}
		c.advance(2 * time.Minute)
		b.StartTimer()
		for i := range after {
			before := m.Len()
			start := time.Now()
			if _, err := m.Claim(ctx, "wh_new_"+strconv.Itoa(i), "t", DefaultLease); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
			maxDropped = max(maxDropped, before+1-m.Len())
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2]), "p50-ns")
	b.ReportMetric(float64(times[len(times)*999/1000]), "p999-ns")
	b.ReportMetric(float64(times[len(times)-1]), "max-ns")
	b.ReportMetric(float64(maxDropped), "max-dropped")
}
