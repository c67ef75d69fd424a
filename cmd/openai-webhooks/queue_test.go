package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
	"github.com/go-openai-webhooks/webhooks/riverqueue/sqlite"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// sqliteQueue returns a --queue value for a fresh SQLite file.
func sqliteQueue(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "queue.db")
}

// postgresQueue returns a --queue value for a fresh database on the server
// at DATABASE_URL, dropped when the test ends. It skips when DATABASE_URL
// is unset, unless CI is set: under CI, the Postgres tests must run.
func postgresQueue(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("DATABASE_URL is not set, and CI is: the Postgres tests must run")
		}
		t.Skip("DATABASE_URL is not set")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close(ctx) })
	name := fmt.Sprintf("cli_%d", time.Now().UnixNano())
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)") })
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// forQueues runs test with a --queue value of each engine.
func forQueues(t *testing.T, test func(t *testing.T, queue string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, sqliteQueue(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, postgresQueue(t)) })
}

// TestListenQueue: listen --queue answers once a delivery is enqueued, a
// copy as a duplicate, and its workers print each event once.
func TestListenQueue(t *testing.T) {
	forQueues(t, func(t *testing.T, queue string) {
		secret := webhookstest.NewSecret()
		url, stdout, stderr, stop := startListen(t, secret, "--queue", queue, "--workers", "2")
		assert.NotContains(t, stderr.String(), "password")
		for range 2 {
			r := runTool(t, secret, "", "trigger", "batch.completed", "--url", url, "--id", "wh_queue_1", "--event-id", "evt_queue_1")
			require.Equal(t, 0, r.code, r.stderr)
		}
		require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "job processed") }, 30*time.Second, 20*time.Millisecond,
			"stdout: %s\nstderr: %s", stdout, stderr)
		time.Sleep(300 * time.Millisecond)
		require.Equal(t, 0, stop(), stderr.String())
		out := stdout.String()
		assert.Regexp(t, `200 enqueued\s+batch\.completed evt_queue_1 webhook-id wh_queue_1\n`, out)
		assert.Regexp(t, `200 duplicate\s+batch\.completed evt_queue_1 webhook-id wh_queue_1\n`, out)
		assert.Regexp(t, `job processed\s+batch\.completed evt_queue_1 webhook-id wh_queue_1 \(BatchCompletedWebhookEvent\) data \{"id":"batch_`, out)
		assert.Equal(t, 1, strings.Count(out, "job processed"), "processed once: %s", out)
	})
}

// TestDiscardedThenRetriedFromTheTool: a service's callback fails on every
// attempt, and River discards the job; discarded lists it, retry makes it
// available again, and the service's workers process it, once.
func TestDiscardedThenRetriedFromTheTool(t *testing.T) {
	forQueues(t, func(t *testing.T, queue string) {
		spec, err := parseQueue(queue)
		require.NoError(t, err)
		switch spec.engine {
		case "sqlite":
			db, err := sqlite.Open(spec.dsn)
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			testDiscardedThenRetried(t, queue, riversqlite.New(db))
		default:
			pool, err := pgxpool.New(context.Background(), spec.dsn)
			require.NoError(t, err)
			t.Cleanup(pool.Close)
			testDiscardedThenRetried(t, queue, riverpgxv5.New(pool))
		}
	})
}

func testDiscardedThenRetried[TTx any](t *testing.T, queue string, driver riverdriver.Driver[TTx]) {
	ctx := context.Background()
	require.NoError(t, riverqueue.Migrate(ctx, driver, ""))
	// The service: a queue whose callback fails until told otherwise.
	q, err := riverqueue.New(driver, riverqueue.WithWorkers(1), riverqueue.WithMaxAttempts(2), riverqueue.WithConfig(func(c *river.Config) {
		c.FetchPollInterval = 50 * time.Millisecond
		c.FetchCooldown = 20 * time.Millisecond
		c.RetryPolicy = retryNow{}
		c.Logger = slog.New(slog.DiscardHandler)
	}))
	require.NoError(t, err)
	secret := webhookstest.NewSecret()
	v, err := webhooks.NewVerifier(secret)
	require.NoError(t, err)
	var fail atomic.Bool
	var processed atomic.Int32
	fail.Store(true)
	h := webhooks.NewHandler(v, func(ctx context.Context, e webhooks.Event) error {
		if fail.Load() {
			return errors.New("the service is broken")
		}
		processed.Add(1)
		return nil
	}, webhooks.WithQueue(q))
	require.NoError(t, q.Start(ctx, h))
	t.Cleanup(func() { _ = q.Stop(ctx) })
	body := webhookstest.Sample(webhooks.EventTypeResponseFailed)
	o := h.Receive(ctx, body, webhookstest.Headers(secret, body, webhookstest.WithID("wh_tool_1")))
	require.Equal(t, webhooks.ResultEnqueued, o.Result, "%v", o.Err)

	var r result
	require.Eventually(t, func() bool {
		r = runTool(t, "", "", "discarded", "--queue", queue)
		return r.code == 0 && strings.Contains(r.stdout, "wh_tool_1")
	}, 30*time.Second, 50*time.Millisecond, "never listed: %+v", r)
	row := regexp.MustCompile(`^job (\d+)  webhook-id wh_tool_1
  event       response\.failed evt_\w+
  discarded   \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, after 2 attempts
  last error  webhooks: callback failed: .*the service is broken
`).FindStringSubmatch(r.stdout)
	require.NotNil(t, row, "the table row of the job: %s", r.stdout)
	job := row[1]

	js := runTool(t, "", "", "discarded", "--queue", queue, "--json")
	require.Equal(t, 0, js.code, js.stderr)
	var rec jobLine
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(js.stdout)), &rec))
	assert.Equal(t, job, fmt.Sprint(rec.Job))
	assert.Equal(t, "wh_tool_1", rec.WebhookID)
	assert.Equal(t, string(rivertype.JobStateDiscarded), rec.State)
	assert.Equal(t, 2, rec.Attempts)

	fail.Store(false)
	r = runTool(t, "", "", "retry", "--queue", queue, job)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "job "+job+" (webhook-id wh_tool_1, response.failed) is available again")
	require.Eventually(t, func() bool { return processed.Load() == 1 }, 30*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		r = runTool(t, "", "", "discarded", "--queue", queue)
		return r.code == 0 && strings.Contains(r.stdout, "no discarded webhook jobs")
	}, 10*time.Second, 20*time.Millisecond)

	require.Eventually(t, func() bool {
		return runTool(t, "", "", "retry", "--queue", queue, job).code == 1
	}, 10*time.Second, 20*time.Millisecond, "a completed job is not retried: it would be processed twice")
	r = runTool(t, "", "", "retry", "--queue", queue, job)
	assert.Contains(t, r.stderr, riverqueue.ErrNotRetryable.Error())
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, int32(1), processed.Load())

	// A stored delivery that does not decode is cancelled at once, and
	// listed with the reason.
	event, err := webhooks.ParseEvent(body)
	require.NoError(t, err)
	enqueued, err := q.Enqueue(ctx, webhooks.Delivery{ID: "wh_tool_bad", Timestamp: time.Now()}, []byte(`{"type":"response.failed"}`), event)
	require.NoError(t, err)
	require.True(t, enqueued)
	require.Eventually(t, func() bool {
		r = runTool(t, "", "", "discarded", "--queue", queue)
		return r.code == 0 && strings.Contains(r.stdout, "wh_tool_bad")
	}, 30*time.Second, 50*time.Millisecond, "never listed: %+v", r)
	assert.Regexp(t, `job \d+  webhook-id wh_tool_bad
  event       response\.failed evt_\w+
  cancelled   \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, after 1 attempt
  last error  .*`+regexp.QuoteMeta(webhooks.ErrInvalidPayload.Error()), r.stdout)
	assert.Equal(t, int32(1), processed.Load(), "no callback for what does not decode")
}

// TestNoQueue: discarded and retry on a database without a queue say so
// (exit 1) and create nothing: no SQLite file where there was none, no
// change to a SQLite file or a Postgres database that holds something else.
func TestNoQueue(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	other := filepath.Join(dir, "other.db")
	db, err := sqlite.Open(other)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE notes (body TEXT)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	tests := []struct {
		name  string
		queue func(t *testing.T) string
	}{
		{"a missing SQLite file", func(*testing.T) string { return "sqlite:" + filepath.Join(dir, "missing.db") }},
		{"an empty file", func(*testing.T) string { return "sqlite:" + empty }},
		{"a SQLite database without River's tables", func(*testing.T) string { return "sqlite:" + other }},
		{"a Postgres database without River's tables", postgresQueue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := tt.queue(t)
			before := snapshot(t, dir)
			for _, args := range [][]string{{"discarded", "--queue", queue}, {"retry", "--queue", queue, "1"}} {
				r := runTool(t, "", "", args...)
				assert.Equal(t, 1, r.code, "%s: stderr: %s", args[0], r.stderr)
				assert.Contains(t, r.stderr, riverqueue.ErrNoQueue.Error(), args[0])
			}
			assert.Equal(t, before, snapshot(t, dir), "no file created or changed")
		})
	}
}

// snapshot returns the names and contents of the files in dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		files[e.Name()] = string(b)
	}
	return files
}

// retryNow retries a failed job at once.
type retryNow struct{}

func (retryNow) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

func TestQueueUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no queue":                   {"discarded"},
		"an unknown engine":          {"discarded", "--queue", "mysql://db"},
		"an empty sqlite path":       {"discarded", "--queue", "sqlite:"},
		"an argument":                {"discarded", "--queue", "sqlite:q.db", "extra"},
		"no job":                     {"retry", "--queue", "sqlite:q.db"},
		"a job that is not a number": {"retry", "--queue", "sqlite:" + filepath.Join(t.TempDir(), "q.db"), "abc"},
		"with --forward-to":          {"listen", "--queue", "sqlite:q.db", "--forward-to", "http://127.0.0.1:1/"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runTool(t, webhookstest.NewSecret(), "", args...)
			assert.Equal(t, 2, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, "run 'openai-webhooks "+args[0]+" --help'")
		})
	}
}
