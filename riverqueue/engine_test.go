package riverqueue_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks/riverqueue"
	rqsqlite "github.com/go-openai-webhooks/webhooks/riverqueue/sqlite"
)

// The tests run the same cases on both engines, each test on a database of
// its own: Postgres at DATABASE_URL (.ci/run starts one), and SQLite in a
// file. They skip Postgres only when DATABASE_URL is unset and CI is not
// set; under CI it must run.

// engine opens River drivers on one database of one engine.
type engine[TTx any] struct {
	name string
	dsn  string // the database, for a process of its own: postgres URL, or sqlite file
	// open returns a driver with connections of its own to the database,
	// as another replica has.
	open func(t testing.TB) riverdriver.Driver[TTx]
	// insertEffect writes what a callback does, in the job's transaction.
	insertEffect func(ctx context.Context, tx TTx, id string) error
	// effects counts the rows insertEffect committed, by id.
	effects func(t testing.TB) map[string]int
}

const effectsTable = `CREATE TABLE effects (webhook_id TEXT NOT NULL)`

// postgresEngine returns the engine of a fresh database on the server at
// DATABASE_URL, dropped when the test ends.
func postgresEngine(t testing.TB) engine[pgx.Tx] {
	t.Helper()
	return postgresOn(t, mustEnv(t, "DATABASE_URL"))
}

// mustEnv returns the environment variable name; when it is unset, the test
// skips, or fails under CI, where the Postgres tests must run.
func mustEnv(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set, and CI is: the Postgres tests must run", name)
		}
		t.Skipf("%s is not set", name)
	}
	return v
}

// postgresOn returns the engine of a fresh database on the server at base.
func postgresOn(t testing.TB, base string) engine[pgx.Tx] {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close(ctx) })
	name := "riverqueue_" + randomHex(6)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)") })
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	dsn := u.String()
	e := engine[pgx.Tx]{name: "postgres", dsn: dsn}
	e.open = func(t testing.TB) riverdriver.Driver[pgx.Tx] { return openPostgres(t, dsn) }
	require.NoError(t, riverqueue.Migrate(ctx, e.open(t), ""))
	_, err = openPool(t, dsn).Exec(ctx, effectsTable)
	require.NoError(t, err)
	e.insertEffect = insertPostgresEffect
	e.effects = func(t testing.TB) map[string]int {
		// A connection of its own each time: TestDatabaseDown breaks those
		// a pool keeps.
		conn, err := pgx.Connect(ctx, dsn)
		require.NoError(t, err)
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, "SELECT webhook_id, count(*) FROM effects GROUP BY webhook_id")
		require.NoError(t, err)
		return collect(t, rows.Next, rows.Scan, rows.Err, rows.Close)
	}
	return e
}

// insertPostgresEffect and insertSQLiteEffect write what a callback does
// in the job's transaction tx.
func insertPostgresEffect(ctx context.Context, tx pgx.Tx, id string) error {
	_, err := tx.Exec(ctx, "INSERT INTO effects (webhook_id) VALUES ($1)", id)
	return err
}

func insertSQLiteEffect(ctx context.Context, tx *sql.Tx, id string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO effects (webhook_id) VALUES (?)", id)
	return err
}

func openPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func openPostgres(t testing.TB, dsn string) riverdriver.Driver[pgx.Tx] {
	return riverpgxv5.New(openPool(t, dsn))
}

// sqliteEngine returns the engine of a fresh SQLite database in a file, opened
// with opts.
func sqliteEngine(t testing.TB, opts ...rqsqlite.Option) engine[*sql.Tx] {
	t.Helper()
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "queue.db")
	e := engine[*sql.Tx]{name: "sqlite", dsn: dsn}
	e.open = func(t testing.TB) riverdriver.Driver[*sql.Tx] { return riversqlite.New(openSQLite(t, dsn, opts...)) }
	require.NoError(t, riverqueue.Migrate(ctx, e.open(t), ""))
	db := openSQLite(t, dsn)
	_, err := db.Exec(effectsTable)
	require.NoError(t, err)
	e.insertEffect = insertSQLiteEffect
	e.effects = func(t testing.TB) map[string]int {
		rows, err := db.Query("SELECT webhook_id, count(*) FROM effects GROUP BY webhook_id")
		require.NoError(t, err)
		return collect(t, rows.Next, func(dest ...any) error { return rows.Scan(dest...) }, rows.Err, func() { rows.Close() })
	}
	return e
}

// openSQLite opens the SQLite database in file as the sqlite package does.
func openSQLite(t testing.TB, file string, opts ...rqsqlite.Option) *sql.DB {
	t.Helper()
	db, err := rqsqlite.Open(file, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// collect reads rows of (id, count).
func collect(t testing.TB, next func() bool, scan func(...any) error, errf func() error, closef func()) map[string]int {
	t.Helper()
	defer closef()
	counts := map[string]int{}
	for next() {
		var id string
		var n int
		require.NoError(t, scan(&id, &n))
		counts[id] = n
	}
	require.NoError(t, errf())
	return counts
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// forEngines runs test on each engine.
func forEngines(t *testing.T, pg func(t *testing.T, e engine[pgx.Tx]), lite func(t *testing.T, e engine[*sql.Tx])) {
	t.Run("postgres", func(t *testing.T) { pg(t, postgresEngine(t)) })
	t.Run("sqlite", func(t *testing.T) { lite(t, sqliteEngine(t)) })
}
