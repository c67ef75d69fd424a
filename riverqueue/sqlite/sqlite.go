// Package sqlite opens the SQLite database of a riverqueue.Queue on one
// machine, with modernc.org/sqlite, a SQLite in pure Go (no cgo):
//
//	db, err := sqlite.Open("/var/lib/webhooks/queue.db")
//	driver := riversqlite.New(db)
//	err = riverqueue.Migrate(ctx, driver, "")
//	queue, err := riverqueue.New(driver, riverqueue.WithWorkers(4))
//
// It is a package of its own, so that a service on Postgres does not compile
// SQLite.
package sqlite

import (
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultBusyTimeout is how long a write waits for the write lock that
// another connection holds, unless [WithBusyTimeout] says otherwise.
const DefaultBusyTimeout = 10 * time.Second

// An Option configures the database that [Open] opens.
type Option func(*config)

type config struct{ busyTimeout time.Duration }

// WithBusyTimeout sets how long a write waits for the write lock that
// another process holds before it fails (and the Handler answers 503); the
// default is [DefaultBusyTimeout].
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// Open opens (and creates, if need be) the SQLite database in file as River
// needs it: one connection, as SQLite has one writer at a time (River's
// advice); write-ahead logging, so that readers do not wait for writers;
// every commit synced to disk before it returns (synchronous=FULL), so that
// a delivery answered 200 survives a power cut too; transactions that take
// the write lock when they begin; and a busy timeout, so that the processes
// that share the file wait for each other's writes instead of failing.
func Open(file string, opts ...Option) (*sql.DB, error) {
	c := config{busyTimeout: DefaultBusyTimeout}
	for _, opt := range opts {
		opt(&c)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", c.busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", file, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", file, err)
	}
	return db, nil
}
