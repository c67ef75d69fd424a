package webhooks

import (
	"context"
	"fmt"
	"runtime"
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
	m.now = c.now
	return m, c
}

func TestMemoryStoreLifecycle(t *testing.T) {
	ctx := context.Background()
	const ttl = time.Minute
	type step struct {
		do   func(m *MemoryStore, c *fakeClock) (ClaimStatus, error)
		want ClaimStatus
	}
	claim := func(id, token string) func(*MemoryStore, *fakeClock) (ClaimStatus, error) {
		return func(m *MemoryStore, _ *fakeClock) (ClaimStatus, error) { return m.Claim(ctx, id, token, ttl) }
	}
	then := func(action func(m *MemoryStore) error, next func(*MemoryStore, *fakeClock) (ClaimStatus, error)) func(*MemoryStore, *fakeClock) (ClaimStatus, error) {
		return func(m *MemoryStore, c *fakeClock) (ClaimStatus, error) {
			if err := action(m); err != nil {
				return 0, err
			}
			return next(m, c)
		}
	}
	after := func(d time.Duration, next func(*MemoryStore, *fakeClock) (ClaimStatus, error)) func(*MemoryStore, *fakeClock) (ClaimStatus, error) {
		return func(m *MemoryStore, c *fakeClock) (ClaimStatus, error) {
			c.advance(d)
			return next(m, c)
		}
	}
	done := func(id, token string) func(*MemoryStore) error {
		return func(m *MemoryStore) error { return m.Done(ctx, id, token, ttl) }
	}
	release := func(id, token string) func(*MemoryStore) error {
		return func(m *MemoryStore) error { return m.Release(ctx, id, token) }
	}

	tests := []struct {
		name  string
		steps []step
	}{
		{"first claim wins", []step{{do: claim("a", "t1"), want: Claimed}}},
		{"second claim while in progress", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: claim("a", "t2"), want: InProgress},
		}},
		{"claim after done", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: then(done("a", "t1"), claim("a", "t2")), want: Processed},
		}},
		{"claim after release", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: then(release("a", "t1"), claim("a", "t2")), want: Claimed},
		}},
		{"release with another token leaves the claim", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: then(release("a", "t2"), claim("a", "t3")), want: InProgress},
		}},
		{"done with another token is ignored", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: then(done("a", "t2"), claim("a", "t3")), want: InProgress},
		}},
		{"done after the claim expired records it", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: after(ttl, then(done("a", "t1"), claim("a", "t2"))), want: Processed},
		}},
		{"release after done keeps it processed", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: then(done("a", "t1"), then(release("a", "t1"), claim("a", "t2"))), want: Processed},
		}},
		{"a claim expires after its ttl", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: after(ttl-time.Second, claim("a", "t2")), want: InProgress},
			{do: after(time.Second, claim("a", "t3")), want: Claimed},
		}},
		{"done restarts the ttl", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: after(ttl/2, then(done("a", "t1"), after(ttl-time.Second, claim("a", "t2")))), want: Processed},
			{do: after(time.Second, claim("a", "t3")), want: Claimed},
		}},
		{"ids are independent", []step{
			{do: claim("a", "t1"), want: Claimed},
			{do: claim("b", "t2"), want: Claimed},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, c := newTestStore(0)
			for i, s := range tt.steps {
				got, err := s.do(m, c)
				require.NoError(t, err, "step %d", i)
				assert.Equal(t, s.want, got, "step %d: got %v, want %v", i, got, s.want)
			}
		})
	}
}

func TestMemoryStoreFull(t *testing.T) {
	ctx := context.Background()
	m, c := newTestStore(3)
	for i := 0; i < 3; i++ {
		got, err := m.Claim(ctx, fmt.Sprint(i), "t", time.Minute)
		require.NoError(t, err)
		require.Equal(t, Claimed, got)
	}
	_, err := m.Claim(ctx, "3", "t", time.Minute)
	require.ErrorIs(t, err, ErrStoreFull)

	got, err := m.Claim(ctx, "1", "t2", time.Minute)
	require.NoError(t, err, "a full store still answers for the ids it holds")
	assert.Equal(t, InProgress, got)

	c.advance(time.Minute)
	got, err = m.Claim(ctx, "3", "t", time.Minute)
	require.NoError(t, err, "expired ids make room")
	assert.Equal(t, Claimed, got)
	assert.Equal(t, 1, m.Len())
}

// TestMemoryStoreBounded sends 100 000 distinct ids through a store and
// checks that it never holds more than its bound: the ids within their
// window, and never more than its capacity.
func TestMemoryStoreBounded(t *testing.T) {
	ctx := context.Background()
	const ids = 100_000
	const ttl = 6 * time.Minute

	t.Run("steady stream: only the window is held", func(t *testing.T) {
		m, c := newTestStore(0)
		const gap = 10 * time.Millisecond // 100 deliveries a second
		window := int(ttl / gap)
		for i := 0; i < ids; i++ {
			got, err := m.Claim(ctx, fmt.Sprintf("wh_%d", i), "t", ttl)
			require.NoError(t, err)
			require.Equal(t, Claimed, got)
			require.NoError(t, m.Done(ctx, fmt.Sprintf("wh_%d", i), "t", ttl))
			require.LessOrEqual(t, m.Len(), window+1, "after %d ids", i)
			require.LessOrEqual(t, len(m.expiry), 2*(window+1), "after %d ids", i)
			c.advance(gap)
		}
	})

	t.Run("flood at one instant: capacity holds", func(t *testing.T) {
		const capacity = 10_000
		m, _ := newTestStore(capacity)
		full := 0
		for i := 0; i < ids; i++ {
			_, err := m.Claim(ctx, fmt.Sprintf("wh_%d", i), "t", ttl)
			if err != nil {
				require.ErrorIs(t, err, ErrStoreFull)
				full++
			}
		}
		assert.Equal(t, capacity, m.Len())
		assert.Equal(t, ids-capacity, full)
	})

	t.Run("bytes per id", func(t *testing.T) {
		// A full store of the default capacity, with ids and tokens as a
		// Handler makes them, costs about 250 bytes an id (the figure in
		// DefaultMemoryStoreCapacity's comment); fail well above it.
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, _ := newTestStore(0)
		for i := 0; i < DefaultMemoryStoreCapacity; i++ {
			id := fmt.Sprintf("wh_2zHXvBJ8c1Nq5%010d", i)
			token := fmt.Sprintf("9f86d081884c7d65-%d", i)
			_, err := m.Claim(ctx, id, token, ttl)
			require.NoError(t, err)
			require.NoError(t, m.Done(ctx, id, token, ttl))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perID := float64(after.HeapAlloc-before.HeapAlloc) / DefaultMemoryStoreCapacity
		t.Logf("%.0f bytes per id, %d ids", perID, m.Len())
		assert.Less(t, perID, 400.0, "got %.0f bytes per id", perID)
		runtime.KeepAlive(m)
	})
}
