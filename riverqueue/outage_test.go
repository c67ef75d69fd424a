package riverqueue_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
	rqsqlite "github.com/go-openai-webhooks/webhooks/riverqueue/sqlite"
)

// TestDatabaseDown stops the database in the middle of a run: every
// delivery sent meanwhile is answered 503 with Retry-After, none 200; once
// the database is back, every delivery sent again, as OpenAI does, is
// answered 200 and processed once. Postgres is a server of the test's own,
// stopped at once (as a crash stops it) and started again; a SQLite file is
// unavailable while another process holds its write lock.
func TestDatabaseDown(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		s := startPGServer(t)
		testDatabaseDown(t, postgresOn(t, s.URL()), func(t testing.TB) (up func()) {
			s.stop(t)
			return func() { s.start(t) }
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		// A second: long enough for the turns of a busy machine, short
		// enough for the deliveries sent while the lock is kept.
		e := sqliteEngine(t, rqsqlite.WithBusyTimeout(time.Second))
		testDatabaseDown(t, e, func(t testing.TB) (up func()) {
			db := openSQLite(t, e.dsn)
			tx, err := db.Begin() // takes the write lock, and keeps it
			require.NoError(t, err)
			_, err = tx.Exec("INSERT INTO effects (webhook_id) VALUES ('lock')")
			require.NoError(t, err)
			return func() { require.NoError(t, tx.Rollback()) }
		})
	})
}

func testDatabaseDown[TTx any](t *testing.T, e engine[TTx], down func(t testing.TB) (up func())) {
	const before, during, after = 10, 20, 10
	receiver := newQueue(t, e)
	srv := httptest.NewServer(webhooks.NewHandler(verifier(t), func(context.Context, webhooks.Event) error { return nil },
		webhooks.WithQueue(receiver)))
	defer srv.Close()
	workers := newQueue(t, e, riverqueue.WithWorkers(2))
	var c effectHandler
	start(t, workers, c.handler(t, workers, writer(e.insertEffect)))

	id := func(i int) string { return fmt.Sprintf("wh_down_%02d", i) }
	send := func(i int) (int, string) {
		body, headers := delivery(id(i))
		return post(t, srv.URL, body, headers)
	}
	// sendUntilAcknowledged sends delivery i until it is answered 200, as
	// OpenAI does, for up to a minute.
	sendUntilAcknowledged := func(i int) {
		deadline := time.Now().Add(time.Minute)
		for {
			status, _ := send(i)
			if status == http.StatusOK {
				return
			}
			require.True(t, time.Now().Before(deadline), "%s: still %d after a minute", id(i), status)
			time.Sleep(100 * time.Millisecond)
		}
	}

	for i := range before {
		status, _ := send(i)
		require.Equal(t, http.StatusOK, status, id(i))
	}
	up := down(t)
	var wg sync.WaitGroup // at once: each waits for the database
	for i := before; i < before+during; i++ {
		wg.Go(func() {
			status, retryAfter := send(i)
			assert.Equal(t, http.StatusServiceUnavailable, status, "%s, sent while the database is down", id(i))
			assert.NotEmpty(t, retryAfter, "%s: a 503 says when to retry", id(i))
		})
	}
	wg.Go(func() {
		status, _ := send(0) // a copy of a delivery enqueued before
		assert.Equal(t, http.StatusServiceUnavailable, status, "a copy cannot be checked either")
	})
	wg.Wait()
	up()
	for i := range before + during + after {
		sendUntilAcknowledged(i)
	}

	require.Eventually(t, func() bool { return len(e.effects(t)) == before+during+after }, time.Minute, 50*time.Millisecond,
		"got %d deliveries processed", len(e.effects(t)))
	time.Sleep(300 * time.Millisecond)
	effects := e.effects(t)
	for i := range before + during + after {
		assert.Equal(t, 1, effects[id(i)], "effects of %s", id(i))
	}
	assert.Equal(t, before+during+after, jobCount(t, receiver), "one job per webhook-id")
}
