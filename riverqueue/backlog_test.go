package riverqueue_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
)

// TestBacklog counts the jobs that wait for a worker, and how long the
// oldest has waited, as jobs are enqueued and worked.
func TestBacklog(t *testing.T) {
	forEngines(t, testBacklog[pgx.Tx], testBacklog[*sql.Tx])
}

func testBacklog[TTx any](t *testing.T, e engine[TTx]) {
	q := newQueue(t, e, riverqueue.WithWorkers(2))
	worked := make(chan struct{}, 10)
	h := webhooks.NewHandler(verifier(t), func(context.Context, webhooks.Event) error {
		worked <- struct{}{}
		return nil
	}, webhooks.WithQueue(q))
	enqueue := func(ids ...string) func(t *testing.T) {
		return func(t *testing.T) {
			for _, id := range ids {
				body, headers := delivery(id)
				o := h.Receive(context.Background(), body, headers)
				require.Equal(t, webhooks.ResultEnqueued, o.Result, "%v", o.Err)
			}
		}
	}
	const waited = 200 * time.Millisecond

	tests := []struct {
		name     string
		do       func(t *testing.T)
		wantJobs int
		minWait  time.Duration // the oldest job has waited at least this long
		maxWait  time.Duration
	}{
		{"empty", func(*testing.T) {}, 0, 0, 0},
		{"three enqueued, no worker started", enqueue("wh_backlog_1", "wh_backlog_2", "wh_backlog_3"), 3, 0, time.Minute},
		{"the oldest waits", func(*testing.T) { time.Sleep(waited) }, 3, waited, time.Minute},
		{"worked", func(t *testing.T) {
			start(t, q, h)
			for range 3 {
				<-worked
			}
		}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.do(t)
			var jobs int
			var wait time.Duration
			require.Eventually(t, func() bool {
				var err error
				jobs, wait, err = q.Backlog(context.Background())
				require.NoError(t, err)
				return jobs == tt.wantJobs // workers finish jobs a moment after their callbacks return
			}, 10*time.Second, 10*time.Millisecond, "got %d jobs, want %d", jobs, tt.wantJobs)
			assert.GreaterOrEqual(t, wait, tt.minWait)
			assert.LessOrEqual(t, wait, tt.maxWait)
		})
	}
}
