package riverqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/go-openai-webhooks/webhooks"
)

// Args is the River job of one webhook delivery: the body as it was
// received, so that a worker decodes it again with the catalogue it has, and
// the delivery's metadata. River keeps one job per webhook-id.
type Args struct {
	// DeliveryID is the webhook-id: the unique key of the job.
	DeliveryID string `json:"webhook_id" river:"unique"`
	// Timestamp is the webhook-timestamp, in Unix seconds.
	Timestamp int64 `json:"webhook_timestamp"`
	// EventType and EventID are the event's, as decoded when it was received,
	// to list jobs by.
	EventType webhooks.EventType `json:"event_type"`
	EventID   string             `json:"event_id"`
	// Header holds the request's headers.
	Header http.Header `json:"header"`
	// Trace is the trace of the request that enqueued the delivery, as a
	// [Propagator] wrote it; nil without one.
	Trace map[string]string `json:"trace,omitempty"`
	// Body is the body as received, byte for byte.
	Body []byte `json:"body"`
}

// Kind returns [Kind].
func (Args) Kind() string { return Kind }

// InsertOpts puts webhook jobs in [QueueName], one per webhook-id for as
// long as River keeps the job, whatever its state: a copy of a delivery
// whose job was discarded is a duplicate too, and the job is tried again
// with [Queue.Retry], not a second time beside it.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueName, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: rivertype.JobStates()}}
}

// Job is a webhook job, as [Queue.Discarded] lists it.
type Job struct {
	ID         int64
	DeliveryID string
	EventType  webhooks.EventType
	EventID    string
	// State is rivertype.JobStateDiscarded for a job that failed its last
	// attempt, rivertype.JobStateCancelled for one whose stored delivery
	// does not decode (or that was cancelled through River).
	State    rivertype.JobState
	Attempts int
	// LastError is the error of the last attempt: why the job was discarded
	// or cancelled.
	LastError   string
	FinalizedAt time.Time
}

// Discarded returns up to limit webhook jobs that River gave up on, most
// recent first: discarded after their last attempt, or cancelled at once
// because their stored delivery does not decode with this version's
// catalogue ([webhooks.ErrInvalidPayload]: trying again would decode the
// same bytes), which [Job.State] tells apart. They stay until River's
// retention (a week by default for discarded jobs, a day for cancelled
// ones) and can be tried again with Retry.
func (q *Queue[TTx]) Discarded(ctx context.Context, limit int) ([]Job, error) {
	res, err := q.client.JobList(ctx, river.NewJobListParams().Kinds(Kind).Queues(QueueName).
		States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled).
		OrderBy(river.JobListOrderByFinalizedAt, river.SortOrderDesc).First(limit))
	if err != nil {
		return nil, q.explain(ctx, fmt.Errorf("riverqueue: listing discarded jobs: %w", err))
	}
	jobs := make([]Job, 0, len(res.Jobs))
	for _, row := range res.Jobs {
		jobs = append(jobs, jobOf(row))
	}
	return jobs, nil
}

// ErrNotRetryable: [Queue.Retry] was asked to retry a job that is not a
// webhook job, or whose callback has run to completion or is running, so
// that a retry could process its delivery twice.
var ErrNotRetryable = errors.New("riverqueue: job not retryable")

// Retry makes the webhook job with id available to the workers again, now:
// a discarded or cancelled job gets a new attempt (a cancelled one whose
// delivery still does not decode is cancelled again), a job waiting for its
// next attempt gets it at once. A completed or running job is not retried;
// the error then matches [ErrNotRetryable], and River's [river.ErrNotFound]
// for an id that River does not hold.
//
// Retry is one step: in one transaction, it locks the job's row (SELECT ...
// FOR UPDATE on Postgres; on SQLite the transaction holds the write lock),
// checks the job's kind and state, and makes it available, so that a job
// that completes meanwhile is never made available again.
func (q *Queue[TTx]) Retry(ctx context.Context, id int64) (Job, error) {
	row, err := q.retry(ctx, id)
	if err != nil {
		return Job{}, q.explain(ctx, fmt.Errorf("riverqueue: retrying job %d: %w", id, err))
	}
	return jobOf(row), nil
}

func (q *Queue[TTx]) retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	exec, err := q.driver.GetExecutor().Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer exec.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit, it does nothing
	if q.driver.DatabaseName() == riverdriver.DatabaseNamePostgres {
		if err := exec.Exec(ctx, "SELECT 1 FROM "+q.table("river_job")+" WHERE id = $1 FOR UPDATE", id); err != nil {
			return nil, err
		}
	}
	tx := q.driver.UnwrapTx(exec)
	row, err := q.client.JobGetTx(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case row.Kind != Kind:
		return nil, fmt.Errorf("%w: job %d is a %s job, not a webhook", ErrNotRetryable, id, row.Kind)
	case row.State == rivertype.JobStateCompleted || row.State == rivertype.JobStateRunning:
		return nil, fmt.Errorf("%w: job %d is %s", ErrNotRetryable, id, row.State)
	}
	if row, err = q.client.JobRetryTx(ctx, tx, id); err != nil {
		return nil, err
	}
	if err := exec.Commit(ctx); err != nil {
		return nil, err
	}
	return row, nil
}

// table returns the name of River's table name, in the Queue's schema.
func (q *Queue[TTx]) table(name string) string {
	if schema := q.client.Schema(); schema != "" {
		return schema + "." + name
	}
	return name
}

// jobOf returns the Job of a River job row.
func jobOf(row *rivertype.JobRow) Job {
	var args Args
	_ = json.Unmarshal(row.EncodedArgs, &args) // a webhook job's args are Args
	j := Job{ID: row.ID, DeliveryID: args.DeliveryID, EventType: args.EventType, EventID: args.EventID,
		State: row.State, Attempts: row.Attempt}
	if n := len(row.Errors); n > 0 {
		j.LastError = row.Errors[n-1].Error
	}
	if row.FinalizedAt != nil {
		j.FinalizedAt = *row.FinalizedAt
	}
	return j
}
