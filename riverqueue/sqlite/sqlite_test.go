package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks/riverqueue/sqlite"
)

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		file    string
		opts    []sqlite.Option
		wantErr error
	}{
		{name: "an empty path", file: "", wantErr: sqlite.ErrNoFile},
		{name: "memory", file: ":memory:", wantErr: sqlite.ErrNoFile},
		{name: "a missing file that must exist", file: filepath.Join(dir, "missing.db"), opts: []sqlite.Option{sqlite.MustExist()}, wantErr: fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := sqlite.Open(tt.file, tt.opts...)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, db)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries, "no file created")
		})
	}
}

// TestOpenNames: a file whose name holds what a URI would read as a query,
// a fragment or an escape is the file opened; MustExist opens it once it
// exists.
func TestOpenNames(t *testing.T) {
	for _, name := range []string{"queue.db", "a?b.db", "a#b.db", "a%41b.db"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), name)
			db, err := sqlite.Open(file)
			require.NoError(t, err)
			_, err = db.Exec(`CREATE TABLE t (x INTEGER)`)
			require.NoError(t, err)
			require.NoError(t, db.Close())
			_, err = os.Stat(file)
			require.NoError(t, err, "the file has the name given")

			db, err = sqlite.Open(file, sqlite.MustExist())
			require.NoError(t, err)
			defer db.Close()
			_, err = db.Exec(`INSERT INTO t (x) VALUES (1)`)
			require.NoError(t, err)
		})
	}
}

// TestWritersTakeTurns: while other connections to the file write in
// transactions back to back, as fast as they can, a write from another
// *sql.DB waits for its turn and gets it within a short busy timeout, every
// time: SQLite's own busy handler polls, and would find the lock free too
// seldom. The others are in this process, or in another.
func TestWritersTakeTurns(t *testing.T) {
	tests := []struct {
		name string
		hog  func(t *testing.T, file string, stop <-chan struct{})
	}{
		{"in this process", func(t *testing.T, file string, stop <-chan struct{}) {
			db := open(t, file)
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() { _ = writeUntil(db, stop) })
			}
			t.Cleanup(wg.Wait)
		}},
		{"in another process", func(t *testing.T, file string, stop <-chan struct{}) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "SQLITE_HOG="+file)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			ready := make([]byte, 1)
			_, err = out.Read(ready) // it writes, and has said so
			require.NoError(t, err)
			go func() { <-stop; _ = cmd.Process.Kill() }()
			t.Cleanup(func() { _ = cmd.Wait() })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "queue.db")
			setup := open(t, file)
			_, err := setup.Exec(`CREATE TABLE t (x INTEGER)`)
			require.NoError(t, err)
			stop := make(chan struct{})
			tt.hog(t, file, stop)
			defer close(stop)
			time.Sleep(200 * time.Millisecond) // the others write all the time

			db := open(t, file, sqlite.WithBusyTimeout(500*time.Millisecond))
			for i := range 40 {
				tx, err := db.BeginTx(context.Background(), nil)
				require.NoError(t, err, "write %d", i)
				_, err = tx.Exec(`INSERT INTO t (x) VALUES (?)`, -i)
				require.NoError(t, err)
				require.NoError(t, tx.Commit())
				_, err = db.Exec(`INSERT INTO t (x) VALUES (?)`, -i)
				require.NoError(t, err, "write %d outside a transaction", i)
			}
		})
	}
}

// TestMain is a process that writes to the file SQLITE_HOG names, for
// TestWritersTakeTurns, when it is set.
func TestMain(m *testing.M) {
	if file := os.Getenv("SQLITE_HOG"); file != "" {
		db, err := sqlite.Open(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Print("!")
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if err := writeUntil(db, nil); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
			})
		}
		wg.Wait()
	}
	os.Exit(m.Run())
}

// writeUntil writes in transactions back to back until stop is closed.
func writeUntil(db *sql.DB, stop <-chan struct{}) error {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		tx, err := db.Begin()
		if err != nil {
			if errors.Is(err, sql.ErrConnDone) {
				return nil
			}
			continue
		}
		_, _ = tx.Exec(`INSERT INTO t (x) VALUES (?)`, strconv.Itoa(i))
		_ = tx.Commit()
	}
}

func open(t *testing.T, file string, opts ...sqlite.Option) *sql.DB {
	t.Helper()
	db, err := sqlite.Open(file, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}
