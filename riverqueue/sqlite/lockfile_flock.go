//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package sqlite

import (
	"errors"
	"os"
	"sync"
	"syscall"
)

// lockFile is an advisory lock (flock) on a file beside the database, that
// the processes on one machine take turns with. It is opened on first use,
// so that opening a database that is not there yet, or not a queue's,
// creates no file.
type lockFile struct {
	db, path string // the database file, and the lock file
	mu       sync.Mutex
	f        *os.File
	closed   bool
}

func newLockFile(db, suffix string) *lockFile { return &lockFile{db: db, path: db + suffix} }

// file returns the lock file, opened on the first call.
func (l *lockFile) file() (*os.File, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return nil, os.ErrClosed
	case l.f == nil:
		f, err := os.OpenFile(l.path, os.O_RDONLY|os.O_CREATE, sameFileMode(l.db))
		if err != nil {
			return nil, err
		}
		l.f = f
	}
	return l.f, nil
}

// flock applies how (LOCK_EX, LOCK_EX|LOCK_NB, LOCK_UN) to the lock file;
// the descriptor stays open while it runs, even if close is called.
func (l *lockFile) flock(how int) error {
	f, err := l.file()
	if err != nil {
		return err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if ferr = syscall.Flock(int(fd), how); !errors.Is(ferr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}

// lock waits for the lock; it cannot be interrupted.
func (l *lockFile) lock() error { return l.flock(syscall.LOCK_EX) }

func (l *lockFile) unlock() { _ = l.flock(syscall.LOCK_UN) }

// close closes the lock file, which releases the lock.
func (l *lockFile) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.f != nil {
		l.f.Close()
	}
}
