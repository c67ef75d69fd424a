package riverqueue_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

var secret = webhookstest.NewSecret()

func verifier(t testing.TB) *webhooks.Verifier {
	t.Helper()
	v, err := webhooks.NewVerifier(secret)
	require.NoError(t, err)
	return v
}

// fast makes River poll and retry at test speed, and log only when
// RQ_LOG is set: the tests that stop the database make it log every poll.
func fast(c *river.Config) {
	if os.Getenv("RQ_LOG") == "" {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.FetchCooldown = 20 * time.Millisecond
	c.FetchPollInterval = 50 * time.Millisecond
	c.RetryPolicy = retryAt(50 * time.Millisecond)
}

// retryAt is a retry policy that tries again after d.
type retryAt time.Duration

func (r retryAt) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(r)) }

// newQueue returns a Queue on e's database, stopped when the test ends.
func newQueue[TTx any](t testing.TB, e engine[TTx], opts ...riverqueue.Option) *riverqueue.Queue[TTx] {
	t.Helper()
	q, err := riverqueue.New(e.open(t), append([]riverqueue.Option{riverqueue.WithConfig(fast)}, opts...)...)
	require.NoError(t, err)
	return q
}

// start starts q with h; it stops when the test ends.
func start[TTx any](t testing.TB, q *riverqueue.Queue[TTx], h *webhooks.Handler) {
	t.Helper()
	require.NoError(t, q.Start(context.Background(), h))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
}

// effectHandler is a Handler whose callback writes each delivery's id in
// the job's transaction, and counts its calls; fail makes it fail.
type effectHandler struct {
	calls sync.Map // webhook-id: *atomic.Int32
	fail  atomic.Bool
}

func (c *effectHandler) handler(t testing.TB, q webhooks.Queue, write func(ctx context.Context, id string) error) *webhooks.Handler {
	return webhooks.NewHandler(verifier(t), func(ctx context.Context, e webhooks.Event) error {
		d, _ := webhooks.DeliveryFromContext(ctx)
		n, _ := c.calls.LoadOrStore(d.ID, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		if c.fail.Load() {
			return errors.New("the callback fails, as told")
		}
		return write(ctx, d.ID)
	}, webhooks.WithQueue(q))
}

func (c *effectHandler) count(id string) int32 {
	n, ok := c.calls.Load(id)
	if !ok {
		return 0
	}
	return n.(*atomic.Int32).Load()
}

// writer returns the callback's write: insert's effect, in the job's
// transaction.
func writer[TTx any](insert func(ctx context.Context, tx TTx, id string) error) func(ctx context.Context, id string) error {
	return func(ctx context.Context, id string) error {
		tx, err := riverqueue.Tx[TTx](ctx)
		if err != nil {
			return err
		}
		return insert(ctx, tx, id)
	}
}

// delivery returns a signed delivery with webhook-id id.
func delivery(id string) (body []byte, headers http.Header) {
	body = webhookstest.Sample(webhooks.EventTypeBatchCompleted)
	return body, webhookstest.Headers(secret, body, webhookstest.WithID(id))
}

// post sends a delivery to url and returns the status and Retry-After.
func post(t testing.TB, url string, body []byte, headers http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = headers.Clone()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// jobCount returns how many webhook jobs the database holds.
func jobCount[TTx any](t testing.TB, q *riverqueue.Queue[TTx]) int {
	t.Helper()
	res, err := q.Client().JobList(context.Background(), river.NewJobListParams().Kinds(riverqueue.Kind).First(10_000))
	require.NoError(t, err)
	return len(res.Jobs)
}

func TestEnqueueAndProcess(t *testing.T) {
	forEngines(t, testEnqueueAndProcess[pgx.Tx], testEnqueueAndProcess[*sql.Tx])
}

func testEnqueueAndProcess[TTx any](t *testing.T, e engine[TTx]) {
	q := newQueue(t, e, riverqueue.WithWorkers(2))
	var c effectHandler
	h := c.handler(t, q, writer(e.insertEffect))
	var outcomes []webhooks.Outcome
	var mu sync.Mutex
	srv := httptest.NewServer(webhooks.NewHandler(verifier(t), nil,
		webhooks.On(func(ctx context.Context, ev webhooks.BatchCompletedWebhookEvent) error { return nil }),
		webhooks.WithQueue(q), webhooks.WithOutcomes(func(_ context.Context, o webhooks.Outcome) {
			mu.Lock()
			defer mu.Unlock()
			outcomes = append(outcomes, o)
		})))
	defer srv.Close()

	body, headers := delivery("wh_enqueue_1")
	status, _ := post(t, srv.URL, body, headers)
	assert.Equal(t, http.StatusOK, status)
	status, _ = post(t, srv.URL, body, headers) // a copy
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, int32(0), c.count("wh_enqueue_1"), "nothing processed before the workers start")
	assert.Equal(t, 1, jobCount(t, q), "one job for two copies")
	mu.Lock()
	require.Len(t, outcomes, 2)
	assert.Equal(t, webhooks.ResultEnqueued, outcomes[0].Result)
	assert.Equal(t, webhooks.ResultDuplicate, outcomes[1].Result)
	mu.Unlock()

	start(t, q, h)
	require.Eventually(t, func() bool { return e.effects(t)["wh_enqueue_1"] == 1 }, 20*time.Second, 20*time.Millisecond)
	assert.Equal(t, int32(1), c.count("wh_enqueue_1"))
	status, _ = post(t, srv.URL, body, headers)
	assert.Equal(t, http.StatusOK, status, "a copy after the work: answered, no second job")
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, int32(1), c.count("wh_enqueue_1"))
	assert.Equal(t, 1, jobCount(t, q))
}

// TestFleet sends 1 000 deliveries, 200 webhook-ids five times each, at
// once, across three receivers and three workers, each with connections of
// its own: 200 jobs, each callback run once, each effect committed once.
func TestFleet(t *testing.T) {
	forEngines(t, testFleet[pgx.Tx], testFleet[*sql.Tx])
}

func testFleet[TTx any](t *testing.T, e engine[TTx]) {
	const ids, copies = 200, 5
	var c effectHandler
	var receivers []*webhooks.Handler
	var first *riverqueue.Queue[TTx]
	for range 3 {
		q := newQueue(t, e)
		if first == nil {
			first = q
		}
		receivers = append(receivers, webhooks.NewHandler(verifier(t), func(context.Context, webhooks.Event) error { return nil }, webhooks.WithQueue(q)))
	}
	for range 3 {
		q := newQueue(t, e, riverqueue.WithWorkers(4))
		start(t, q, c.handler(t, q, writer(e.insertEffect)))
	}

	type job struct {
		id   string
		body []byte
		h    http.Header
	}
	work := make(chan job)
	var answered sync.Map // status: count
	var wg sync.WaitGroup
	for w := range 30 {
		wg.Go(func() {
			for j := range work {
				o := receivers[w%len(receivers)].Receive(context.Background(), j.body, j.h)
				n, _ := answered.LoadOrStore(o.Status, new(atomic.Int32))
				n.(*atomic.Int32).Add(1)
				if o.Status != http.StatusOK {
					t.Errorf("%s: %v %v", j.id, o.Result, o.Err)
				}
			}
		})
	}
	for i := range ids * copies {
		id := fmt.Sprintf("wh_fleet_%03d", i%ids)
		body, h := delivery(id)
		work <- job{id, body, h}
	}
	close(work)
	wg.Wait()

	require.Eventually(t, func() bool { return len(e.effects(t)) == ids }, 60*time.Second, 50*time.Millisecond,
		"got %d of %d deliveries processed", len(e.effects(t)), ids)
	time.Sleep(200 * time.Millisecond)
	effects := e.effects(t)
	for i := range ids {
		id := fmt.Sprintf("wh_fleet_%03d", i)
		assert.Equal(t, 1, effects[id], "effects of %s", id)
		assert.Equal(t, int32(1), c.count(id), "callbacks of %s", id)
	}
	assert.Equal(t, ids, jobCount(t, first), "one job per webhook-id")
}

// TestDiscardedThenRetried: a callback that always fails ends discarded
// after the attempts allowed, stays listed, and once retried (as the tool
// does) is processed.
func TestDiscardedThenRetried(t *testing.T) {
	forEngines(t, testDiscardedThenRetried[pgx.Tx], testDiscardedThenRetried[*sql.Tx])
}

func testDiscardedThenRetried[TTx any](t *testing.T, e engine[TTx]) {
	q := newQueue(t, e, riverqueue.WithWorkers(1), riverqueue.WithMaxAttempts(3))
	var c effectHandler
	c.fail.Store(true)
	h := c.handler(t, q, writer(e.insertEffect))
	start(t, q, h)
	body, headers := delivery("wh_discard_1")
	o := h.Receive(context.Background(), body, headers)
	require.Equal(t, webhooks.ResultEnqueued, o.Result, "%v", o.Err)

	var discarded []riverqueue.Job
	require.Eventually(t, func() bool {
		var err error
		discarded, err = q.Discarded(context.Background(), 10)
		require.NoError(t, err)
		return len(discarded) == 1
	}, 30*time.Second, 20*time.Millisecond)
	got := discarded[0]
	assert.Equal(t, "wh_discard_1", got.DeliveryID)
	assert.Equal(t, webhooks.EventTypeBatchCompleted, got.EventType)
	assert.Equal(t, 3, got.Attempts)
	assert.Contains(t, got.LastError, "the callback fails, as told")
	assert.Equal(t, int32(3), c.count("wh_discard_1"))
	assert.Empty(t, e.effects(t), "a failed callback commits nothing")

	o = h.Receive(context.Background(), body, headers)
	assert.Equal(t, webhooks.ResultDuplicate, o.Result, "a copy of a discarded delivery: no second job beside it")
	assert.Equal(t, 1, jobCount(t, q))

	c.fail.Store(false)
	retried, err := q.Retry(context.Background(), got.ID)
	require.NoError(t, err)
	assert.Equal(t, got.ID, retried.ID)
	require.Eventually(t, func() bool { return e.effects(t)["wh_discard_1"] == 1 }, 30*time.Second, 20*time.Millisecond)
	left, err := q.Discarded(context.Background(), 10)
	require.NoError(t, err)
	assert.Empty(t, left)

	require.Eventually(t, func() bool {
		row, err := q.Client().JobGet(context.Background(), got.ID)
		require.NoError(t, err)
		return row.State == rivertype.JobStateCompleted
	}, 10*time.Second, 20*time.Millisecond)
	_, err = q.Retry(context.Background(), got.ID)
	require.ErrorIs(t, err, riverqueue.ErrNotRetryable, "a completed job would be processed twice")
	_, err = q.Retry(context.Background(), got.ID+1000)
	require.ErrorIs(t, err, river.ErrNotFound)
	assert.Equal(t, 1, e.effects(t)["wh_discard_1"])
}

// TestMain runs a worker process when RQ_WORKER says so (see
// TestKilledWorker), and the tests otherwise.
func TestMain(m *testing.M) {
	if os.Getenv("RQ_WORKER") != "" {
		runWorkerProcess()
		return
	}
	os.Exit(m.Run())
}

// runWorkerProcess works the queue of the database RQ_ENGINE and RQ_DSN
// say (see workForever).
func runWorkerProcess() {
	ctx, dsn := context.Background(), os.Getenv("RQ_DSN")
	var err error
	switch os.Getenv("RQ_ENGINE") {
	case "postgres":
		err = workForever(ctx, openPostgres(exitTB{}, dsn), insertPostgresEffect)
	case "sqlite":
		err = workForever(ctx, riversqlite.New(openSQLite(exitTB{}, dsn)), insertSQLiteEffect)
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// workForever works the queue on driver with a callback that writes its
// effect with insert in the job's transaction, prints "started ID" and
// never returns: it waits to be killed.
func workForever[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], insert func(context.Context, TTx, string) error) error {
	q, err := riverqueue.New(driver, riverqueue.WithWorkers(1), riverqueue.WithConfig(fast))
	if err != nil {
		return err
	}
	v, err := webhooks.NewVerifier(secret)
	if err != nil {
		return err
	}
	write := writer(insert)
	h := webhooks.NewHandler(v, func(ctx context.Context, e webhooks.Event) error {
		d, _ := webhooks.DeliveryFromContext(ctx)
		if err := write(ctx, d.ID); err != nil {
			return err
		}
		fmt.Printf("started %s\n", d.ID)
		select {}
	}, webhooks.WithQueue(q))
	if err := q.Start(ctx, h); err != nil {
		return err
	}
	select {}
}

// exitTB is a testing.TB for the worker process: it exits on failure.
type exitTB struct{ testing.TB }

func (exitTB) Helper()                         {}
func (exitTB) Cleanup(func())                  {}
func (exitTB) Errorf(format string, a ...any)  { fmt.Fprintf(os.Stderr, format+"\n", a...) }
func (exitTB) FailNow()                        { os.Exit(2) }
func (exitTB) Fatal(a ...any)                  { fmt.Fprintln(os.Stderr, a...); os.Exit(2) }
func (exitTB) Fatalf(format string, a ...any)  { fmt.Fprintf(os.Stderr, format+"\n", a...); os.Exit(2) }
func (exitTB) TempDir() string                 { return os.TempDir() }
func (exitTB) Skip(a ...any)                   { os.Exit(2) }
func (exitTB) Logf(format string, args ...any) {}

// TestKilledWorker kills a worker process with SIGKILL in the middle of a
// job, after its callback wrote its effect in the job's transaction: the
// transaction never commits, River runs the job again in another worker, and
// the effect appears once.
func TestKilledWorker(t *testing.T) {
	forEngines(t, testKilledWorker[pgx.Tx], testKilledWorker[*sql.Tx])
}

func testKilledWorker[TTx any](t *testing.T, e engine[TTx]) {
	receiver := newQueue(t, e)
	h := webhooks.NewHandler(verifier(t), func(context.Context, webhooks.Event) error { return nil }, webhooks.WithQueue(receiver))
	body, headers := delivery("wh_killed_1")
	require.Equal(t, webhooks.ResultEnqueued, h.Receive(context.Background(), body, headers).Result)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RQ_WORKER=1", "RQ_ENGINE="+e.name, "RQ_DSN="+e.dsn)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	started := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "started "); ok {
				started <- id
			}
		}
	}()
	select {
	case id := <-started:
		require.Equal(t, "wh_killed_1", id)
	case <-time.After(60 * time.Second):
		t.Fatal("the worker process never started the job")
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	// Another worker rescues the job whose worker died, after
	// RescueStuckJobsAfter, and runs it again.
	var c effectHandler
	q := newQueue(t, e, riverqueue.WithWorkers(1), riverqueue.WithConfig(func(c *river.Config) {
		c.JobTimeout = 500 * time.Millisecond
		c.RescueStuckJobsAfter = time.Second
	}))
	start(t, q, c.handler(t, q, writer(e.insertEffect)))
	require.Eventually(t, func() bool { return e.effects(t)["wh_killed_1"] == 1 }, 90*time.Second, 50*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, map[string]int{"wh_killed_1": 1}, e.effects(t), "the killed worker's write never committed")
	assert.Equal(t, int32(1), c.count("wh_killed_1"))
}
