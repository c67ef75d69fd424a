package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
	"github.com/go-openai-webhooks/webhooks/riverqueue/sqlite"
)

// jobQueue is a riverqueue.Queue, whichever its engine.
type jobQueue interface {
	webhooks.Queue
	Start(ctx context.Context, h *webhooks.Handler) error
	Stop(ctx context.Context) error
	Check(ctx context.Context) error
	Discarded(ctx context.Context, limit int) ([]riverqueue.Job, error)
	Retry(ctx context.Context, id int64) (riverqueue.Job, error)
}

const queueFlagUsage = "River queue: sqlite:PATH (a file on this machine) or postgres://USER@HOST/DB (or postgres:URL)"

// queueSpec is a --queue value: an engine and where its database is.
type queueSpec struct{ engine, dsn string }

// redacted returns where the database is, without a password.
func (s queueSpec) redacted() string {
	if s.engine != "postgres" {
		return s.dsn
	}
	u, err := url.Parse(s.dsn)
	if err != nil {
		return "postgres"
	}
	return u.Redacted()
}

// parseQueue parses a --queue value.
func parseQueue(raw string) (queueSpec, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite:") && len(raw) > len("sqlite:"):
		return queueSpec{"sqlite", strings.TrimPrefix(raw, "sqlite:")}, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return queueSpec{"postgres", raw}, nil
	case strings.HasPrefix(raw, "postgres:") && len(raw) > len("postgres:"):
		return queueSpec{"postgres", strings.TrimPrefix(raw, "postgres:")}, nil
	}
	return queueSpec{}, usagef("--queue %q: want sqlite:PATH or a postgres:// URL", raw)
}

// queueFlag defines --queue on fs.
func queueFlag(fs *flag.FlagSet) *string { return fs.String("queue", "", queueFlagUsage) }

// openQueue opens the queue spec names, with River's tables created or
// updated first if migrate, and returns it with the function that closes
// its database. Without migrate, it creates nothing, not even a SQLite
// file, and a database without River's tables is an error matching
// riverqueue.ErrNoQueue.
func openQueue(ctx context.Context, spec queueSpec, migrate bool, opts ...riverqueue.Option) (jobQueue, func(), error) {
	var q jobQueue
	var closeDB func()
	switch spec.engine {
	case "sqlite":
		var sqliteOpts []sqlite.Option
		if !migrate {
			sqliteOpts = append(sqliteOpts, sqlite.MustExist())
		}
		db, err := sqlite.Open(spec.dsn, sqliteOpts...)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w: %s: no such file", riverqueue.ErrNoQueue, spec.dsn)
		}
		if err != nil {
			return nil, nil, err
		}
		if q, err = newQueue(ctx, riversqlite.New(db), migrate, opts); err != nil {
			db.Close()
			return nil, nil, err
		}
		closeDB = func() { db.Close() }
	default:
		pool, err := pgxpool.New(ctx, spec.dsn)
		if err != nil {
			return nil, nil, usagef("--queue: %v", err)
		}
		if q, err = newQueue(ctx, riverpgxv5.New(pool), migrate, opts); err != nil {
			pool.Close()
			return nil, nil, err
		}
		closeDB = pool.Close
	}
	if !migrate {
		if err := q.Check(ctx); err != nil {
			closeDB()
			return nil, nil, fmt.Errorf("%s: %w", spec.redacted(), err)
		}
	}
	return q, closeDB, nil
}

// newQueue returns a queue on driver.
func newQueue[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], migrate bool, opts []riverqueue.Option) (jobQueue, error) {
	if migrate {
		if err := riverqueue.Migrate(ctx, driver, ""); err != nil {
			return nil, err
		}
	}
	return riverqueue.New(driver, opts...)
}

// discardedFlags is the discarded command: it lists the webhook jobs that
// River gave up on, discarded after their last attempt or cancelled because
// their delivery does not decode.
func discardedFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	queue := queueFlag(fs)
	limit := fs.Int("limit", 50, "list at most this many, most recent first")
	asJSON := fs.Bool("json", false, "print one JSON object per line instead of a table")
	return func(ctx context.Context, args []string) error {
		q, closeDB, err := queueArg(ctx, *queue, args, 0)
		if err != nil {
			return err
		}
		defer closeDB()
		jobs, err := q.Discarded(ctx, *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			for _, j := range jobs {
				if err := enc.Encode(jobRecord(j)); err != nil {
					return err
				}
			}
			return nil
		}
		if len(jobs) == 0 {
			fmt.Fprintln(e.stdout, "no discarded webhook jobs")
			return nil
		}
		for i, j := range jobs {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			fmt.Fprintf(e.stdout, "job %d  webhook-id %s\n", j.ID, j.DeliveryID)
			fmt.Fprintf(e.stdout, "  event       %s %s\n", j.EventType, j.EventID)
			fmt.Fprintf(e.stdout, "  %-11s %s, after %s\n", j.State, j.FinalizedAt.UTC().Format(time.DateTime+" MST"), attempts(j.Attempts))
			fmt.Fprintf(e.stdout, "  last error  %s\n", oneLine(j.LastError))
		}
		fmt.Fprintln(e.stdout, "\nTry one again with 'openai-webhooks retry --queue ... JOB'.")
		return nil
	}
}

// retryFlags is the retry command: it makes a discarded (or cancelled)
// webhook job available to the workers again.
func retryFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	queue := queueFlag(fs)
	return func(ctx context.Context, args []string) error {
		if len(args) == 1 {
			if id, err := strconv.ParseInt(args[0], 10, 64); err != nil || id <= 0 {
				return usagef("job %q: want the number of a job, as 'openai-webhooks discarded' lists it", args[0])
			}
		}
		q, closeDB, err := queueArg(ctx, *queue, args, 1)
		if err != nil {
			return err
		}
		defer closeDB()
		id, _ := strconv.ParseInt(args[0], 10, 64)
		j, err := q.Retry(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "job %d (webhook-id %s, %s) is available again; the workers will run it\n", j.ID, j.DeliveryID, j.EventType)
		return nil
	}
}

// queueArg checks that --queue is set and that there are n positional
// arguments, then opens the queue, without creating River's tables.
func queueArg(ctx context.Context, raw string, args []string, n int) (jobQueue, func(), error) {
	if raw == "" {
		return nil, nil, usagef("no queue: pass --queue sqlite:PATH or --queue postgres://...")
	}
	if len(args) != n {
		if n == 0 {
			return nil, nil, noArgs(args)
		}
		return nil, nil, usagef("want %d argument, got %d", n, len(args))
	}
	spec, err := parseQueue(raw)
	if err != nil {
		return nil, nil, err
	}
	return openQueue(ctx, spec, false)
}

// jobLine is a job in --json mode.
type jobLine struct {
	Job         int64     `json:"job"`
	WebhookID   string    `json:"webhook_id"`
	Type        string    `json:"type"`
	EventID     string    `json:"event_id"`
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	FinalizedAt time.Time `json:"finalized_at"`
	LastError   string    `json:"last_error,omitempty"`
}

func jobRecord(j riverqueue.Job) jobLine {
	return jobLine{j.ID, j.DeliveryID, string(j.EventType), j.EventID, string(j.State), j.Attempts, j.FinalizedAt.UTC(), j.LastError}
}

// attempts returns "1 attempt", "2 attempts".
func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

// oneLine returns s on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
