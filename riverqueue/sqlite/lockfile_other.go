//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package sqlite

import "errors"

var errNoFlock = errors.New("sqlite: no flock on this system")

// lockFile stands for the flock of other systems, which this one does not
// have: the connections of one process take turns, other processes wait
// with SQLite's busy timeout.
type lockFile struct{}

func newLockFile(string, string) *lockFile { return nil }

func (*lockFile) lock() error { return errNoFlock }
func (*lockFile) unlock()     {}
func (*lockFile) close()      {}
