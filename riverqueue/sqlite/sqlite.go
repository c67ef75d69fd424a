// Package sqlite opens the SQLite database of a riverqueue.Queue on one
// machine, with modernc.org/sqlite, a SQLite in pure Go (no cgo):
//
//	db, err := sqlite.Open("/var/lib/webhooks/queue.db")
//	driver := riversqlite.New(db)
//	err = riverqueue.Migrate(ctx, driver, "")
//	queue, err := riverqueue.New(driver, riverqueue.WithWorkers(4))
//
// SQLite has one writer at a time. The databases that Open opens on one file
// take turns for it fairly, whether they are in one process (receivers and
// workers with a *sql.DB each) or in several on one machine (a worker
// process, the tool's retry beside its listen): see [Open]. Open the file
// with Open in every process that writes to it.
//
// It is a package of its own, so that a service on Postgres does not compile
// SQLite.
package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// DefaultBusyTimeout is how long a write waits for the write lock that
// another connection holds, unless [WithBusyTimeout] says otherwise.
const DefaultBusyTimeout = 10 * time.Second

// MaxConns is how many connections a database that [Open] opens keeps, at
// most: writers wait for their turn in the order they asked (see Open), not
// for a connection, which database/sql hands to a random waiter, and
// readers read beside them.
const MaxConns = 8

// ErrNoFile: [Open] was given no file (an empty path, or ":memory:"), which
// would make a database that vanishes with its connection, while a queue
// must keep what it acknowledged.
var ErrNoFile = errors.New("sqlite: no database file")

// ErrBusy: a write waited for the write lock for the busy timeout (or until
// its context was done), while other connections to the file kept it.
var ErrBusy = errors.New("sqlite: database busy")

// An Option configures the database that [Open] opens.
type Option func(*config)

type config struct {
	busyTimeout time.Duration
	mustExist   bool
}

// WithBusyTimeout sets how long a write waits for the write lock that other
// connections hold before it fails with an error matching [ErrBusy] (and the
// Handler answers 503); the default is [DefaultBusyTimeout]. A writer that
// did not open the file with [Open] (the sqlite3 shell, say) is waited for
// as long again.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// MustExist makes [Open] open the file only if it exists, as it is: it
// creates no database file and leaves the journal mode alone (the lock
// files beside it appear with its first write), for a tool that reads or
// repairs a queue that another program made. A missing file is an error
// matching fs.ErrNotExist. Whether the file holds a queue is for
// riverqueue's Queue.Check to say.
func MustExist() Option { return func(c *config) { c.mustExist = true } }

// Open opens (and creates, if need be) the SQLite database in file as River
// needs it:
//   - [MaxConns] connections. SQLite has one writer at a time, and River
//     advises one connection so that its writers do not fail with
//     SQLITE_BUSY; here they wait for their turn instead (below), in order,
//     and a few connections let readers read meanwhile;
//   - write-ahead logging, so that readers do not wait for writers;
//   - every commit synced to disk before it returns (synchronous=FULL), so
//     that a delivery answered 200 survives a power cut too;
//   - transactions that take the write lock when they begin (BEGIN
//     IMMEDIATE), so that none fails halfway for want of it;
//   - fair turns for the write lock: every transaction, and every statement
//     outside one that is not a SELECT, first waits for its turn behind the
//     other connections that Open opened on file, in this process in the
//     order they asked, and across processes with advisory locks (flock) on
//     two files beside it, file+"-lock" and file+"-lock-next", which the
//     kernel gives a waiter as soon as they are free.
//     SQLite's own wait for a busy lock polls, with sleeps of up to 100 ms,
//     and a connection that writes again right after its commit can keep it
//     from everyone else for longer than the busy timeout: the 503s this
//     avoids. On systems without flock (Windows), the turns are this
//     process's only. The turns are for writers that use [sql.DB.BeginTx]
//     (or Begin) for their transactions, as River does; a transaction begun
//     with a "BEGIN" statement bypasses them;
//   - a busy timeout ([WithBusyTimeout]), the longest a write waits for its
//     turn, and again for a writer that did not open the file with Open.
//
// An empty file name, and ":memory:", are refused with an error matching
// [ErrNoFile]: a queue's database is a file. The *sql.DB unwraps, with
// [sql.Conn.Raw], to a connection with an Unwrap method that returns
// modernc.org/sqlite's.
func Open(file string, opts ...Option) (*sql.DB, error) {
	c := config{busyTimeout: DefaultBusyTimeout}
	for _, opt := range opts {
		opt(&c)
	}
	if file == "" || file == ":memory:" {
		return nil, fmt.Errorf("%w: %q (give the path of a file)", ErrNoFile, file)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", c.busyTimeout.Milliseconds()))
	if c.mustExist {
		if _, err := os.Stat(file); err != nil {
			return nil, fmt.Errorf("sqlite: opening %s: %w", file, err)
		}
		q.Set("mode", "rw") // SQLite itself creates nothing either
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	// A file: name is a URI to SQLite, which decodes %XX: escape what the
	// driver or SQLite would read as the start of the query or fragment.
	name := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(file)
	base, err := sqlite.NewConnector("file:" + name + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", file, err)
	}
	db := sql.OpenDB(newConnector(base, file, c.busyTimeout))
	db.SetMaxOpenConns(MaxConns)
	db.SetMaxIdleConns(MaxConns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", file, err)
	}
	return db, nil
}
