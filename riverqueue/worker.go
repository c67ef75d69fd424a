package riverqueue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/go-openai-webhooks/webhooks"
)

// ErrNoTx: [Tx] was called outside the callback of a webhook job, after the
// callback returned, or with a transaction type other than the driver's.
var ErrNoTx = errors.New("riverqueue: no webhook job transaction")

// Tx returns the transaction of the job whose callback ctx belongs to,
// begun on the first call: what the callback writes with it commits
// together with the job's completion, or not at all, so that its effects
// happen once even if the worker dies and River runs the job again. TTx is
// the driver's: pgx.Tx for riverpgxv5, *sql.Tx for riversqlite. A callback
// that never calls Tx holds no transaction, and River completes its job on
// its own once it returns.
//
// The transaction belongs to the job, not to ctx: it is begun on the
// worker's context (River's, with its JobTimeout), so that a callback may
// derive a shorter context from ctx, call Tx with it and cancel it on
// return without cancelling the job's commit.
//
// A transaction holds a database connection until the job is done; with
// SQLite, which has one writer, it also holds the write lock, so that the
// Handler's enqueues wait for it meanwhile (and fail with 503 after the busy
// timeout, 10 s by default): do the slow work first, then call Tx, and make
// every write to that database with it.
func Tx[TTx any](ctx context.Context) (TTx, error) {
	jt, ok := ctx.Value(txKey{}).(*jobTx[TTx])
	if !ok {
		var zero TTx
		return zero, ErrNoTx
	}
	return jt.get()
}

type txKey struct{}

// jobTx is the transaction of one job, begun by the first call to Tx.
type jobTx[TTx any] struct {
	driver riverdriver.Driver[TTx]
	ctx    context.Context // the worker's, which the transaction is bound to

	mu   sync.Mutex
	exec riverdriver.ExecutorTx // nil until begun
	tx   TTx
	done bool // the callback returned
}

// get returns the transaction, and begins it on the first call.
func (jt *jobTx[TTx]) get() (TTx, error) {
	jt.mu.Lock()
	defer jt.mu.Unlock()
	var zero TTx
	switch {
	case jt.done:
		return zero, fmt.Errorf("%w: the callback has returned", ErrNoTx)
	case jt.exec != nil:
		return jt.tx, nil
	}
	exec, err := jt.driver.GetExecutor().Begin(jt.ctx)
	if err != nil {
		return zero, fmt.Errorf("riverqueue: beginning the job's transaction: %w", err)
	}
	jt.exec, jt.tx = exec, jt.driver.UnwrapTx(exec)
	return jt.tx, nil
}

// finish closes the transaction to later calls of Tx and returns it, if
// the callback began one.
func (jt *jobTx[TTx]) finish() riverdriver.ExecutorTx {
	jt.mu.Lock()
	defer jt.mu.Unlock()
	jt.done = true
	return jt.exec
}

// worker works webhook jobs: it passes the delivery to the Handler and, if
// the callback began the job's transaction, completes the job in it.
type worker[TTx any] struct {
	river.WorkerDefaults[Args]
	q *Queue[TTx]
}

// Work implements [river.Worker].
func (w *worker[TTx]) Work(ctx context.Context, job *river.Job[Args]) error {
	h := w.q.handler.Load()
	if h == nil {
		return errors.New("riverqueue: the queue works jobs but was not started with a Handler")
	}
	ctx = w.q.extract(ctx, job.Args.Trace)
	jt := &jobTx[TTx]{driver: w.q.driver, ctx: ctx}
	d := webhooks.Delivery{ID: job.Args.DeliveryID, Timestamp: time.Unix(job.Args.Timestamp, 0), Header: job.Args.Header,
		Attempt: job.Attempt}
	err := h.Process(context.WithValue(ctx, txKey{}, jt), d, job.Args.Body)
	if undecodable(err) {
		// Trying again decodes the same bytes with the same catalogue: the
		// job is cancelled at once, and listed by Discarded with the reason.
		err = river.JobCancel(fmt.Errorf("riverqueue: the stored delivery does not decode: %w", err))
	}
	exec := jt.finish()
	if exec == nil {
		return err // River completes the job, retries it, or cancels it
	}
	defer exec.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit, it does nothing
	if err != nil {
		return err
	}
	if _, err := river.JobCompleteTx[riverdriver.Driver[TTx]](ctx, jt.tx, job); err != nil {
		return fmt.Errorf("riverqueue: completing the job: %w", err)
	}
	if err := exec.Commit(ctx); err != nil {
		return fmt.Errorf("riverqueue: committing the job: %w", err)
	}
	return nil
}

// undecodable tells whether err, from Process, says that the stored body
// does not decode; a callback's own error, whatever it wraps, does not.
func undecodable(err error) bool {
	return errors.Is(err, webhooks.ErrInvalidPayload) && !errors.Is(err, webhooks.ErrCallbackFailed)
}
