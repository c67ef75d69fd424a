package riverqueue

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// Backlog returns how many webhook jobs wait for a worker (available: due,
// and not running), and how long the oldest of them has waited since it
// became due, or 0: the queue's depth and lag, which the otelwebhooks module
// reports. Jobs waiting for a retry's backoff to pass are not counted. Each
// call makes two queries of the database.
func (q *Queue[TTx]) Backlog(ctx context.Context) (jobs int, wait time.Duration, err error) {
	counts, err := q.driver.GetExecutor().JobCountByQueueAndState(ctx, &riverdriver.JobCountByQueueAndStateParams{
		QueueNames: []string{QueueName}, Schema: q.client.Schema(),
	})
	if err != nil {
		return 0, 0, fmt.Errorf("riverqueue: counting waiting jobs: %w", err)
	}
	for _, c := range counts {
		jobs += int(c.CountAvailable)
	}
	if jobs == 0 {
		return 0, 0, nil
	}
	res, err := q.client.JobList(ctx, river.NewJobListParams().Queues(QueueName).States(rivertype.JobStateAvailable).
		OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc).First(1))
	if err != nil {
		return 0, 0, fmt.Errorf("riverqueue: finding the oldest waiting job: %w", err)
	}
	if len(res.Jobs) > 0 {
		wait = max(time.Since(res.Jobs[0].ScheduledAt), 0)
	}
	return jobs, wait, nil
}
