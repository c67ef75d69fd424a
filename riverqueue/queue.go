// Package riverqueue keeps OpenAI webhook deliveries in River jobs
// (github.com/riverqueue/river), on Postgres or on SQLite, so that a
// [webhooks.Handler] answers in milliseconds, once a delivery is committed,
// and its callbacks run later, for as long as they take, exactly once, with
// River's retries:
//
//	queue, err := riverqueue.New(riverpgxv5.New(pool), riverqueue.WithWorkers(10))
//	handler := webhooks.NewHandler(verifier, nil,
//		webhooks.On(func(ctx context.Context, e webhooks.BatchCompletedWebhookEvent) error {
//			results, err := downloadOutput(ctx, e.Data.ID) // as long as it takes
//			if err != nil {
//				return err // River tries again later
//			}
//			tx, err := riverqueue.Tx[pgx.Tx](ctx) // commits with the job's completion
//			if err != nil {
//				return err
//			}
//			return saveResults(ctx, tx, results)
//		}),
//		webhooks.WithQueue(queue))
//	err = queue.Start(ctx, handler) // workers call handler's callbacks
//
// It is a module of its own, so that only its users depend on River and a
// database driver.
package riverqueue

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/go-openai-webhooks/webhooks"
)

// QueueName is the River queue that webhook jobs go to.
const QueueName = "openai_webhooks"

// Kind is the River kind of webhook jobs.
const Kind = "openai_webhook"

// DefaultMaxAttempts is how often a job is tried, unless [WithMaxAttempts]
// says otherwise, before River discards it: with River's backoff (the number
// of errors so far to the fourth power, in seconds), over about a day (25
// hours from the first attempt to the last).
const DefaultMaxAttempts = 14

// DefaultRetention is how long River keeps a completed webhook job unless
// [WithConfig] sets CompletedJobRetentionPeriod: 73 hours, longer than OpenAI
// retries a delivery, so that a late copy finds its job and is answered 200
// without a second one.
const DefaultRetention = 73 * time.Hour

// Queue is a [webhooks.Queue] on River, with the workers that process its
// jobs. Create it with [New]; it is safe for concurrent use.
type Queue[TTx any] struct {
	client  *river.Client[TTx]
	driver  riverdriver.Driver[TTx]
	handler atomic.Pointer[webhooks.Handler] // set by Start

	propagator Propagator // nil: none
}

var _ webhooks.Queue = (*Queue[any])(nil)

// config is what the options set.
type config struct {
	workers, maxAttempts int
	river                []func(*river.Config)
	propagator           Propagator
}

// An Option configures a [Queue] in [New].
type Option func(*config)

// WithWorkers sets how many jobs a started Queue works at once; 0, the
// default, makes a Queue that only enqueues, as a receiver that leaves the
// work to other processes does.
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithMaxAttempts sets how often a job is tried before River discards it;
// the default is [DefaultMaxAttempts].
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// WithConfig lets fn change the River configuration that New makes, for
// example RetryPolicy, JobTimeout (the callbacks' deadline, a minute by
// default), RescueStuckJobsAfter (when a job whose worker died is run again,
// an hour by default), Logger or Schema.
func WithConfig(fn func(*river.Config)) Option {
	return func(c *config) { c.river = append(c.river, fn) }
}

// New returns a Queue whose River client uses driver: riverpgxv5.New(pool)
// for Postgres, riversqlite.New(db) for SQLite. The database must have River's
// tables ([Migrate]).
func New[TTx any](driver riverdriver.Driver[TTx], opts ...Option) (*Queue[TTx], error) {
	c := config{maxAttempts: DefaultMaxAttempts}
	for _, opt := range opts {
		opt(&c)
	}
	q := &Queue[TTx]{driver: driver, propagator: c.propagator}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker[TTx]{q: q}); err != nil {
		return nil, err
	}
	rc := &river.Config{
		CompletedJobRetentionPeriod: DefaultRetention,
		MaxAttempts:                 c.maxAttempts,
		Workers:                     workers,
	}
	if c.workers > 0 {
		rc.Queues = map[string]river.QueueConfig{QueueName: {MaxWorkers: c.workers}}
	}
	for _, fn := range c.river {
		fn(rc)
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("riverqueue: %w", err)
	}
	q.client = client
	return q, nil
}

// Migrate creates or updates River's tables in driver's database.
func Migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], schema string) error {
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: schema})
	if err != nil {
		return fmt.Errorf("riverqueue: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("riverqueue: migrating: %w", err)
	}
	return nil
}

// ErrNoQueue: the database holds no queue: River's tables are not there
// ([Migrate] creates them).
var ErrNoQueue = errors.New("riverqueue: no queue in the database")

// Check reports whether the Queue's database holds River's tables: nil if
// it does, an error matching [ErrNoQueue] if it does not, or the database's
// error. It changes nothing, for a tool that reads a queue that another
// program made and must not mistake another database for an empty queue.
func (q *Queue[TTx]) Check(ctx context.Context) error {
	ok, err := q.driver.GetExecutor().TableExists(ctx, &riverdriver.TableExistsParams{Schema: q.client.Schema(), Table: "river_job"})
	switch {
	case err != nil:
		return fmt.Errorf("riverqueue: checking for River's tables: %w", err)
	case !ok:
		return fmt.Errorf("%w: no table river_job (run Migrate, or 'openai-webhooks listen --queue ...', which does)", ErrNoQueue)
	}
	return nil
}

// explain returns err, which a call to the database returned, with
// [ErrNoQueue] if River's tables are not there.
func (q *Queue[TTx]) explain(ctx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(q.Check(ctx), ErrNoQueue) {
		return fmt.Errorf("%w: %w", ErrNoQueue, err)
	}
	return err
}

// Client returns the Queue's River client, to subscribe to its events or
// list its jobs.
func (q *Queue[TTx]) Client() *river.Client[TTx] { return q.client }

// Enqueue implements [webhooks.Queue]: it inserts the delivery as a job, in
// a transaction of its own that has committed when it returns.
func (q *Queue[TTx]) Enqueue(ctx context.Context, d webhooks.Delivery, body []byte, event webhooks.Event) (bool, error) {
	res, err := q.client.Insert(ctx, Args{
		DeliveryID: d.ID, Timestamp: d.Timestamp.Unix(), EventType: event.EventType(), EventID: event.EventID(),
		Header: d.Header, Trace: q.inject(ctx), Body: body,
	}, nil)
	if err != nil {
		return false, fmt.Errorf("riverqueue: inserting: %w", err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// Start starts the Queue's workers, which call h's callbacks through
// [webhooks.Handler.Process]; h is normally the Handler that enqueues. A
// Queue made without [WithWorkers] cannot start. Stop it with Stop.
func (q *Queue[TTx]) Start(ctx context.Context, h *webhooks.Handler) error {
	if h == nil {
		return errors.New("riverqueue: Start with a nil Handler")
	}
	q.handler.Store(h)
	return q.client.Start(ctx)
}

// Stop stops the workers once the jobs they run are done, or when ctx is;
// River then runs the jobs that did not finish again.
func (q *Queue[TTx]) Stop(ctx context.Context) error { return q.client.Stop(ctx) }
