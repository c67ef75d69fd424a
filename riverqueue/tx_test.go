package riverqueue_test

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
)

func TestTxOutsideAJob(t *testing.T) {
	_, err := riverqueue.Tx[pgx.Tx](context.Background())
	require.ErrorIs(t, err, riverqueue.ErrNoTx)
}

// TestSlowCallbackWithoutTx: a callback that has not asked for the job's
// transaction holds no connection and no lock, so that the Handler goes on
// enqueueing while it works, on SQLite too; River completes its job once it
// returns. The job's transaction is only for the callback: asked for after
// the callback returned, or with another driver's type, Tx fails.
func TestSlowCallbackWithoutTx(t *testing.T) {
	forEngines(t, testSlowCallbackWithoutTx[pgx.Tx], testSlowCallbackWithoutTx[*sql.Tx])
}

func testSlowCallbackWithoutTx[TTx any](t *testing.T, e engine[TTx]) {
	q := newQueue(t, e, riverqueue.WithWorkers(1))
	working, release := make(chan struct{}), make(chan struct{})
	later := make(chan context.Context, 1)
	h := webhooks.NewHandler(verifier(t), func(ctx context.Context, ev webhooks.Event) error {
		d, _ := webhooks.DeliveryFromContext(ctx)
		if d.ID != "wh_slow_1" {
			return nil
		}
		_, err := riverqueue.Tx[struct{}](ctx)
		assert.ErrorIs(t, err, riverqueue.ErrNoTx, "another driver's type")
		close(working)
		<-release
		later <- ctx
		return nil
	}, webhooks.WithQueue(q))
	start(t, q, h)

	body, headers := delivery("wh_slow_1")
	require.Equal(t, webhooks.ResultEnqueued, h.Receive(context.Background(), body, headers).Result)
	select {
	case <-working:
	case <-time.After(30 * time.Second):
		t.Fatal("the job never started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, headers = delivery("wh_slow_2")
	o := h.Receive(ctx, body, headers)
	assert.Equal(t, webhooks.ResultEnqueued, o.Result, "enqueued while the slow callback works: %v", o.Err)
	close(release)

	require.Eventually(t, func() bool {
		res, err := q.Client().JobList(context.Background(), river.NewJobListParams().Kinds(riverqueue.Kind).States(rivertype.JobStateCompleted))
		require.NoError(t, err)
		return len(res.Jobs) == 2
	}, 30*time.Second, 20*time.Millisecond, "both jobs completed")
	_, err := riverqueue.Tx[TTx](<-later)
	require.ErrorIs(t, err, riverqueue.ErrNoTx, "after the callback returned")
}

// TestTxWithADerivedContext: a callback that derives a context with a
// deadline, asks for the job's transaction with it and cancels it when it
// returns (defer cancel) commits its effect with the job, once: the
// transaction is the job's, begun on the worker's context.
func TestTxWithADerivedContext(t *testing.T) {
	forEngines(t, testTxWithADerivedContext[pgx.Tx], testTxWithADerivedContext[*sql.Tx])
}

func testTxWithADerivedContext[TTx any](t *testing.T, e engine[TTx]) {
	q := newQueue(t, e, riverqueue.WithWorkers(1))
	var calls atomic.Int32
	h := webhooks.NewHandler(verifier(t), func(ctx context.Context, ev webhooks.Event) error {
		calls.Add(1)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		tx, err := riverqueue.Tx[TTx](ctx)
		if err != nil {
			return err
		}
		d, _ := webhooks.DeliveryFromContext(ctx)
		return e.insertEffect(ctx, tx, d.ID)
	}, webhooks.WithQueue(q))
	start(t, q, h)
	body, headers := delivery("wh_derived_1")
	require.Equal(t, webhooks.ResultEnqueued, h.Receive(context.Background(), body, headers).Result)

	require.Eventually(t, func() bool {
		res, err := q.Client().JobList(context.Background(), river.NewJobListParams().Kinds(riverqueue.Kind))
		require.NoError(t, err)
		return len(res.Jobs) == 1 && res.Jobs[0].State == rivertype.JobStateCompleted
	}, 30*time.Second, 20*time.Millisecond, "the job completes")
	assert.Equal(t, map[string]int{"wh_derived_1": 1}, e.effects(t))
	assert.Equal(t, int32(1), calls.Load(), "the first attempt commits")
}
