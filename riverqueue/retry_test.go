package riverqueue_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// TestUndecodableJobIsCancelled: a stored delivery that this version's
// catalogue cannot decode (ErrInvalidPayload from Process) is cancelled at
// its first attempt, not retried for a day, and Discarded lists it with the
// reason; Retry may try it again, and it is cancelled again.
func TestUndecodableJobIsCancelled(t *testing.T) {
	forEngines(t, testUndecodableJobIsCancelled[pgx.Tx], testUndecodableJobIsCancelled[*sql.Tx])
}

func testUndecodableJobIsCancelled[TTx any](t *testing.T, e engine[TTx]) {
	q := newQueue(t, e, riverqueue.WithWorkers(1))
	var c effectHandler
	start(t, q, c.handler(t, q, writer(e.insertEffect)))
	event, err := webhooks.ParseEvent(webhookstest.Sample(webhooks.EventTypeBatchCompleted))
	require.NoError(t, err)
	d := webhooks.Delivery{ID: "wh_undecodable_1", Timestamp: time.Now()}
	enqueued, err := q.Enqueue(context.Background(), d, []byte(`{"type":"batch.completed"}`), event)
	require.NoError(t, err)
	require.True(t, enqueued)

	cancelled := func(attempts int) riverqueue.Job {
		var jobs []riverqueue.Job
		require.Eventually(t, func() bool {
			jobs, err = q.Discarded(context.Background(), 10)
			require.NoError(t, err)
			return len(jobs) == 1 && jobs[0].Attempts >= attempts
		}, 30*time.Second, 20*time.Millisecond, "listed by Discarded")
		time.Sleep(300 * time.Millisecond) // a retried job would be tried again by now
		jobs, err = q.Discarded(context.Background(), 10)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		got := jobs[0]
		assert.Equal(t, "wh_undecodable_1", got.DeliveryID)
		assert.Equal(t, rivertype.JobStateCancelled, got.State, "cancelled, not retried")
		assert.Equal(t, attempts, got.Attempts)
		assert.Contains(t, got.LastError, webhooks.ErrInvalidPayload.Error(), "the reason")
		return got
	}
	got := cancelled(1)
	assert.Zero(t, c.count("wh_undecodable_1"), "no callback for what does not decode")

	retried, err := q.Retry(context.Background(), got.ID)
	require.NoError(t, err, "a cancelled job may be retried")
	assert.Equal(t, rivertype.JobStateAvailable, retried.State)
	cancelled(2)
	assert.Empty(t, e.effects(t))
}

// TestRetryRacesCompletion retries jobs again and again while workers run
// and complete them: a retry is one state-conditional step, so a job that
// completes is never made available again, and each delivery is processed
// once.
func TestRetryRacesCompletion(t *testing.T) {
	forEngines(t, testRetryRacesCompletion[pgx.Tx], testRetryRacesCompletion[*sql.Tx])
}

func testRetryRacesCompletion[TTx any](t *testing.T, e engine[TTx]) {
	// Postgres works them faster: more jobs, for more races.
	jobs, retriers := 40, 2
	if e.name == "postgres" {
		jobs = 150
	}
	q := newQueue(t, e, riverqueue.WithWorkers(4))
	var c effectHandler
	h := c.handler(t, q, writer(e.insertEffect))
	for i := range jobs {
		body, headers := delivery(fmt.Sprintf("wh_race_%02d", i))
		require.Equal(t, webhooks.ResultEnqueued, h.Receive(context.Background(), body, headers).Result)
	}
	res, err := q.Client().JobList(context.Background(), river.NewJobListParams().Kinds(riverqueue.Kind).First(jobs))
	require.NoError(t, err)
	require.Len(t, res.Jobs, jobs)

	var wg sync.WaitGroup
	for _, job := range res.Jobs {
		for range retriers {
			wg.Go(func() {
				// Retry until the job has completed, and a few times after.
				deadline := time.Now().Add(60 * time.Second)
				for after := 0; after < 3 && time.Now().Before(deadline); {
					_, err := q.Retry(context.Background(), job.ID)
					if err != nil && !assert.ErrorIs(t, err, riverqueue.ErrNotRetryable) {
						return
					}
					row, err := q.Client().JobGet(context.Background(), job.ID)
					if !assert.NoError(t, err) {
						return
					}
					if row.State == rivertype.JobStateCompleted {
						after++
					}
				}
			})
		}
	}
	start(t, q, h)
	wg.Wait()

	require.Eventually(t, func() bool { return len(e.effects(t)) == jobs }, 30*time.Second, 20*time.Millisecond)
	time.Sleep(500 * time.Millisecond) // a job made available again would run by now
	effects := e.effects(t)
	for i := range jobs {
		id := fmt.Sprintf("wh_race_%02d", i)
		assert.Equal(t, 1, effects[id], "effects of %s", id)
		assert.Equal(t, int32(1), c.count(id), "callbacks of %s", id)
	}
}
