package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"
)

// turns gives the connections to one database file the write lock in turn:
// in this process through a channel, whose waiters are served in the order
// they came; across processes through two advisory locks on files beside
// the database (flock, see lockFile), which the kernel gives to a waiter as
// soon as they are released. A process takes next, then write, then lets
// next go: the one process that waits for write holds next, so that the
// process that lets write go cannot take it again before the waiter, as it
// could with write alone (its next writer runs while the waiter is still
// being woken). SQLite's write lock is still taken, and is then free.
type turns struct {
	key         string        // the database's absolute path
	turn        chan struct{} // holds a token while this process has the turn
	next, write *lockFile     // nil where there is no flock
	refs        int           // connectors sharing it, guarded by registry.mu
}

// registry holds the turns of every database file that this process has
// open, so that every *sql.DB on one file takes its turn with the others.
var registry struct {
	mu sync.Mutex
	m  map[string]*turns
}

// turnsFor returns the turns of the database in file, shared with every
// other connector open on it in this process; release it with close.
func turnsFor(file string) *turns {
	key, err := filepath.Abs(file)
	if err != nil {
		key = filepath.Clean(file)
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.m == nil {
		registry.m = map[string]*turns{}
	}
	t := registry.m[key]
	if t == nil {
		t = &turns{key: key, turn: make(chan struct{}, 1), next: newLockFile(key, "-lock-next"), write: newLockFile(key, "-lock")}
		registry.m[key] = t
	}
	t.refs++
	return t
}

// close releases a connector's share of t.
func (t *turns) close() {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if t.refs--; t.refs == 0 {
		delete(registry.m, t.key)
		if t.write != nil {
			t.next.close()
			t.write.close()
		}
	}
}

// wait waits for the write lock's turn until timeout has passed or ctx is
// done; done gives the turn to the next writer.
func (t *turns) wait(ctx context.Context, timeout time.Duration) (done func(), err error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	busy := func() error { return fmt.Errorf("%w: waited %s for the write lock of %s", ErrBusy, timeout, t.key) }
	select {
	case t.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	case <-timer.C:
		return nil, busy()
	}
	leave := func() { <-t.turn }
	if t.write == nil {
		return leave, nil
	}
	acquired := make(chan error, 1)
	go func() { acquired <- t.lockFiles() }()
	var cause error
	select {
	case err := <-acquired:
		if err != nil { // no lock file to be had (a read-only directory): SQLite's lock alone
			return leave, nil
		}
		return func() { t.write.unlock(); leave() }, nil
	case <-ctx.Done():
		cause = fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	case <-timer.C:
		cause = busy()
	}
	// A flock call cannot be interrupted: the process keeps its turn until
	// it returns, and then passes it on.
	go func() {
		if <-acquired == nil {
			t.write.unlock()
		}
		leave()
	}()
	return nil, cause
}

// lockFiles takes next, then write, then lets next go.
func (t *turns) lockFiles() error {
	if err := t.next.lock(); err != nil {
		return err
	}
	defer t.next.unlock()
	return t.write.lock()
}

// connector opens modernc.org/sqlite connections that take their turns.
type connector struct {
	driver.Connector
	turns   *turns
	timeout time.Duration
}

var _ driver.Connector = (*connector)(nil)

func newConnector(base driver.Connector, file string, timeout time.Duration) *connector {
	return &connector{Connector: base, turns: turnsFor(file), timeout: timeout}
}

// Connect implements driver.Connector.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := dc.(innerConn)
	if !ok {
		dc.Close()
		return nil, fmt.Errorf("sqlite: modernc.org/sqlite's connection is a %T, without the methods this package needs", dc)
	}
	return &conn{inner: inner, c: c}, nil
}

// Close implements io.Closer: sql.DB.Close calls it.
func (c *connector) Close() error {
	c.turns.close()
	return nil
}

// innerConn is what modernc.org/sqlite's connections implement.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// conn is a connection that waits for its turn before it writes.
// database/sql uses a connection from one goroutine at a time.
type conn struct {
	inner innerConn
	c     *connector
	inTx  bool   // a transaction is open, and has the turn
	done  func() // gives the turn back; nil when the connection has none
}

var _ innerConn = (*conn)(nil)

// Unwrap returns modernc.org/sqlite's connection.
func (c *conn) Unwrap() driver.Conn { return c.inner }

// take waits for the turn.
func (c *conn) take(ctx context.Context) error {
	done, err := c.c.turns.wait(ctx, c.c.timeout)
	if err != nil {
		return err
	}
	c.done = done
	return nil
}

// give gives the turn back, if the connection has it.
func (c *conn) give() {
	if c.done != nil {
		c.done()
		c.done = nil
	}
}

// needsTurn tells whether query, run outside a transaction, waits for the
// turn: anything but a SELECT may write.
func (c *conn) needsTurn(query string) bool { return !c.inTx && !isSelect(query) }

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &stmt{Stmt: s, c: c, query: query}, nil
}

func (c *conn) Close() error {
	err := c.inner.Close()
	c.give()
	return err
}

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.take(ctx); err != nil {
		return nil, err
	}
	t, err := c.inner.BeginTx(ctx, opts)
	if err != nil {
		c.give()
		return nil, err
	}
	c.inTx = true
	return &tx{Tx: t, c: c}, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.needsTurn(query) {
		if err := c.take(ctx); err != nil {
			return nil, err
		}
		defer c.give()
	}
	return c.inner.ExecContext(ctx, query, args)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if !c.needsTurn(query) {
		return c.inner.QueryContext(ctx, query, args)
	}
	if err := c.take(ctx); err != nil {
		return nil, err
	}
	r, err := c.inner.QueryContext(ctx, query, args)
	if err != nil {
		c.give()
		return nil, err
	}
	return &rows{Rows: r, c: c}, nil // an UPDATE ... RETURNING writes until its rows are closed
}

func (c *conn) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

func (c *conn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }

func (c *conn) IsValid() bool { return c.inner.IsValid() }

// tx is a transaction that gives the turn back when it ends.
type tx struct {
	driver.Tx
	c *conn
}

func (t *tx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

func (t *tx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

func (t *tx) end() {
	t.c.inTx = false
	t.c.give()
}

// stmt is a prepared statement that, outside a transaction, waits for the
// turn each time it runs, unless it is a SELECT.
type stmt struct {
	driver.Stmt
	c     *conn
	query string
}

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), namedValues(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), namedValues(args))
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.c.needsTurn(s.query) {
		if err := s.c.take(ctx); err != nil {
			return nil, err
		}
		defer s.c.give()
	}
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	query := s.Stmt.(driver.StmtQueryContext).QueryContext
	if !s.c.needsTurn(s.query) {
		return query(ctx, args)
	}
	if err := s.c.take(ctx); err != nil {
		return nil, err
	}
	r, err := query(ctx, args)
	if err != nil {
		s.c.give()
		return nil, err
	}
	return &rows{Rows: r, c: s.c}, nil
}

func namedValues(args []driver.Value) []driver.NamedValue {
	named := make([]driver.NamedValue, len(args))
	for i, v := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return named
}

// rows are the rows of a statement that had to wait for the turn: it is
// given back when they are closed.
type rows struct {
	driver.Rows
	c *conn
}

func (r *rows) Close() error {
	defer r.c.give()
	return r.Rows.Close()
}

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	return r.Rows.(driver.RowsColumnTypeScanType).ColumnTypeScanType(i)
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	return r.Rows.(driver.RowsColumnTypeDatabaseTypeName).ColumnTypeDatabaseTypeName(i)
}

func (r *rows) ColumnTypeLength(i int) (int64, bool) {
	return r.Rows.(driver.RowsColumnTypeLength).ColumnTypeLength(i)
}

func (r *rows) ColumnTypeNullable(i int) (nullable, ok bool) {
	return r.Rows.(driver.RowsColumnTypeNullable).ColumnTypeNullable(i)
}

func (r *rows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	return r.Rows.(driver.RowsColumnTypePrecisionScale).ColumnTypePrecisionScale(i)
}

// isSelect tells whether query is a SELECT, after blanks and comments: a
// statement that does not write.
func isSelect(query string) bool {
	for {
		query = strings.TrimLeftFunc(query, unicode.IsSpace)
		switch {
		case strings.HasPrefix(query, "--"):
			_, query, _ = strings.Cut(query, "\n")
		case strings.HasPrefix(query, "/*"):
			_, query, _ = strings.Cut(query, "*/")
		default:
			n := len(query) - len(strings.TrimLeftFunc(query, unicode.IsLetter))
			return strings.EqualFold(query[:n], "select")
		}
	}
}

// sameFileMode returns the permissions of the database file, for the lock
// file beside it, so that whoever can open the one can lock the other.
func sameFileMode(db string) os.FileMode {
	if info, err := os.Stat(db); err == nil {
		return info.Mode().Perm()
	}
	return 0o644
}
