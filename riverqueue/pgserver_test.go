package riverqueue_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// pgServer is a PostgreSQL server of one test's own, started from the
// binaries in PG_BIN (.ci/run sets it), to stop and start again. PostgreSQL
// refuses to run as root: as root, it runs as the postgres user.
type pgServer struct {
	bin, dir string
	port     int
}

// startPGServer initializes a throwaway data directory and starts a server
// on a free loopback port; it stops when the test ends.
func startPGServer(t testing.TB) *pgServer {
	t.Helper()
	s := &pgServer{bin: mustEnv(t, "PG_BIN")}
	dir, err := os.MkdirTemp("", "riverqueue-pg-")
	require.NoError(t, err)
	s.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		require.NoError(t, err, "as root, the server runs as the postgres user")
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		require.NoError(t, os.Chown(dir, uid, gid))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.port = ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	s.run(t, "initdb", "-D", s.data(), "-A", "trust", "-U", "postgres", "--no-sync")
	s.start(t)
	t.Cleanup(func() { _ = s.cmd("pg_ctl", "-D", s.data(), "-m", "immediate", "stop").Run() })
	return s
}

func (s *pgServer) data() string { return filepath.Join(s.dir, "data") }

// URL returns the URL of the server's postgres database.
func (s *pgServer) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// start starts the server and waits until it accepts connections.
func (s *pgServer) start(t testing.TB) {
	t.Helper()
	s.run(t, "pg_ctl", "-D", s.data(), "-l", filepath.Join(s.dir, "log"), "-w", "start",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", s.port, s.dir))
}

// stop stops the server at once, as a crash does: every connection breaks.
func (s *pgServer) stop(t testing.TB) {
	t.Helper()
	s.run(t, "pg_ctl", "-D", s.data(), "-m", "immediate", "-w", "stop")
}

func (s *pgServer) run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := s.cmd(name, args...).CombinedOutput()
	require.NoError(t, err, "%s: %s", name, out)
}

func (s *pgServer) cmd(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}
