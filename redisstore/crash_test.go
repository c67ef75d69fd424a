package redisstore_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/redisstore"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// The crash tests run replicas as real processes: this test binary, started
// again with REPLICA_MODE set, runs a Handler on a redisstore and prints
// what its callback does. A replica can then be killed with SIGKILL in the
// middle of a callback, as a deploy or a crash does.

func TestMain(m *testing.M) {
	if mode := os.Getenv("REPLICA_MODE"); mode != "" {
		runReplica(mode)
		return
	}
	os.Exit(m.Run())
}

// crashWindow is the idempotency window of the crash tests: 72 hours, how
// long OpenAI retries, which a claim must not last.
const crashWindow = 72 * time.Hour

// runReplica serves a Handler on 127.0.0.1 and prints "listening ADDR", then
// "started ID" when a callback starts and "processed ID" when it returns
// nil. mode says what the callback does: "ok" returns at once, "hang"
// never returns (whatever its context says), "slow" takes REPLICA_SLOW,
// "fail-release" fails, and the store then fails to release the claim.
func runReplica(mode string) {
	lease, _ := time.ParseDuration(os.Getenv("REPLICA_LEASE"))
	timeout, _ := time.ParseDuration(os.Getenv("REPLICA_TIMEOUT"))
	slow, _ := time.ParseDuration(os.Getenv("REPLICA_SLOW"))
	opts, err := redis.ParseURL(os.Getenv("REDIS_URL"))
	if err != nil {
		panic(err)
	}
	var store webhooks.IdempotencyStore = redisstore.New(redis.NewClient(opts), redisstore.WithKeyPrefix(os.Getenv("REPLICA_PREFIX")))
	if mode == "fail-release" {
		store = failingRelease{store}
	}
	verifier, err := webhooks.NewVerifier(os.Getenv("REPLICA_SECRET"))
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	handler := webhooks.NewHandler(verifier, func(ctx context.Context, e webhooks.Event) error {
		d, _ := webhooks.DeliveryFromContext(ctx)
		say("started %s", d.ID)
		switch mode {
		case "hang":
			select {}
		case "slow":
			select {
			case <-time.After(slow):
			case <-ctx.Done():
				return ctx.Err()
			}
		case "fail-release":
			return errors.New("the callback failed")
		}
		say("processed %s", d.ID)
		return nil
	}, webhooks.WithIdempotencyStore(store), webhooks.WithIdempotencyWindow(crashWindow),
		webhooks.WithLease(lease), webhooks.WithCallbackTimeout(timeout))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	say("listening %s", ln.Addr())
	panic(http.Serve(ln, handler))
}

// failingRelease is a store whose Release fails, as Redis does when the
// network drops at that moment.
type failingRelease struct{ webhooks.IdempotencyStore }

func (failingRelease) Release(context.Context, string, string) error {
	return errors.New("connection reset by peer")
}

// replica is a running replica process.
type replica struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	said []string
}

// startReplica starts a replica process in mode.
func startReplica(t *testing.T, mode, prefix, secret string, lease, timeout, slow time.Duration) *replica {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REPLICA_MODE="+mode, "REPLICA_PREFIX="+prefix, "REPLICA_SECRET="+secret,
		"REPLICA_LEASE="+lease.String(), "REPLICA_TIMEOUT="+timeout.String(), "REPLICA_SLOW="+slow.String())
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	r := &replica{cmd: cmd}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if addr, ok := strings.CutPrefix(line, "listening "); ok {
				listening <- addr
			}
			r.mu.Lock()
			r.said = append(r.said, line)
			r.mu.Unlock()
		}
	}()
	select {
	case addr := <-listening:
		r.url = "http://" + addr + "/"
	case <-time.After(30 * time.Second):
		t.Fatal("the replica did not start")
	}
	return r
}

// count returns how many lines the replica printed.
func (r *replica) count(line string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.said {
		if l == line {
			n++
		}
	}
	return n
}

// send delivers body with webhook-id id to the replica, signed now, as
// OpenAI signs each retry anew, and returns the status.
func (r *replica) send(t *testing.T, secret, id string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = webhookstest.Headers(secret, body, webhookstest.WithID(id))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0 // the replica died
	}
	resp.Body.Close()
	return resp.StatusCode
}

// retryUntilOK sends the delivery every retryDelay, as OpenAI retries, until
// it is answered 200, and returns how long that took.
func retryUntilOK(t *testing.T, r *replica, secret, id string, body []byte, retryDelay, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if r.send(t, secret, id, body) == http.StatusOK {
			return time.Since(start)
		}
		time.Sleep(retryDelay)
	}
	t.Fatalf("not processed within %v", limit)
	return 0
}

// crashSetup returns what every crash test needs: a secret, a key prefix of
// its own in the Redis at REDIS_URL, and a client of it.
func crashSetup(t *testing.T) (secret, prefix string, client *redis.Client) {
	client = testClient(t)
	return webhookstest.NewSecret(), testPrefix(t, client), client
}

const (
	crashLease = time.Second
	retryDelay = 200 * time.Millisecond
)

// TestKilledReplicaClaimLapses kills a replica with SIGKILL in the middle of
// a callback, with the 72-hour window: its claim lasts one lease, not the
// window, and the retry that another replica receives is processed within
// one lease and the retry delay, exactly once.
func TestKilledReplicaClaimLapses(t *testing.T) {
	secret, prefix, client := crashSetup(t)
	ctx := context.Background()
	a := startReplica(t, "hang", prefix, secret, crashLease, time.Minute, 0)
	b := startReplica(t, "ok", prefix, secret, crashLease, time.Minute, 0)
	const id = "wh_killed_1"
	body := webhookstest.Sample(webhooks.EventTypeBatchCompleted)

	go a.send(t, secret, id, body) // answered never: A dies first
	require.Eventually(t, func() bool { return a.count("started "+id) == 1 }, 10*time.Second, 10*time.Millisecond)
	// The callback runs for a minute; the claim lasts a lease, renewed.
	pttl := client.PTTL(ctx, prefix+id).Val()
	assert.True(t, pttl > 0 && pttl <= crashLease, "got PTTL %v of a claim, want at most the lease %v", pttl, crashLease)
	assert.Equal(t, http.StatusConflict, b.send(t, secret, id, body), "a copy while A works")

	require.NoError(t, a.cmd.Process.Signal(syscall.SIGKILL))
	took := retryUntilOK(t, b, secret, id, body, retryDelay, time.Minute)
	t.Logf("after SIGKILL, the retry was processed in %v (lease %v, retry delay %v)", took, crashLease, retryDelay)
	assert.LessOrEqual(t, took, crashLease+retryDelay+500*time.Millisecond)

	for range 3 {
		assert.Equal(t, http.StatusOK, b.send(t, secret, id, body))
	}
	assert.Equal(t, 1, b.count("processed "+id), "processed exactly once")
	pttl = client.PTTL(ctx, prefix+id).Val()
	assert.Greater(t, pttl, crashWindow-time.Minute, "the processed mark lasts the window")
}

// TestFailedReleaseClaimLapses: a callback fails and then releasing its
// claim fails too; the claim lapses within one lease, and the retry is
// processed, once.
func TestFailedReleaseClaimLapses(t *testing.T) {
	secret, prefix, _ := crashSetup(t)
	a := startReplica(t, "fail-release", prefix, secret, crashLease, time.Minute, 0)
	b := startReplica(t, "ok", prefix, secret, crashLease, time.Minute, 0)
	const id = "wh_release_1"
	body := webhookstest.Sample(webhooks.EventTypeResponseCompleted)

	assert.Equal(t, http.StatusInternalServerError, a.send(t, secret, id, body))
	took := retryUntilOK(t, b, secret, id, body, retryDelay, time.Minute)
	t.Logf("after a failed release, the retry was processed in %v", took)
	assert.LessOrEqual(t, took, crashLease+retryDelay+500*time.Millisecond)
	assert.Equal(t, http.StatusOK, b.send(t, secret, id, body))
	assert.Equal(t, 1, b.count("processed "+id))
}

// TestHungCallbackPastItsDeadline: a callback that never returns counts as
// failed at its deadline, and its replica answers 500; its claim is kept
// while it runs, for one more callback timeout, so a retry at another
// replica meanwhile gets 409; then it is taken for hung, its claim lapses
// within a lease, and the retry is processed, once.
func TestHungCallbackPastItsDeadline(t *testing.T) {
	secret, prefix, _ := crashSetup(t)
	const timeout = 500 * time.Millisecond
	a := startReplica(t, "hang", prefix, secret, crashLease, timeout, 0)
	b := startReplica(t, "ok", prefix, secret, crashLease, time.Minute, 0)
	const id = "wh_hung_1"
	body := webhookstest.Sample(webhooks.EventTypeAgentSessionIdle)

	start := time.Now()
	assert.Equal(t, http.StatusInternalServerError, a.send(t, secret, id, body))
	assert.Less(t, time.Since(start), timeout+crashLease, "answered at the deadline")
	assert.Equal(t, http.StatusConflict, b.send(t, secret, id, body), "still running: no copy beside it")
	deadline := time.Now().Add(timeout + 3*crashLease)
	for b.send(t, secret, id, body) != http.StatusOK {
		require.True(t, time.Now().Before(deadline), "the hung callback's claim never lapsed")
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, http.StatusOK, b.send(t, secret, id, body))
	assert.Equal(t, 1, b.count("processed "+id))
}

// TestLongCallbackKeepsItsClaim: a callback that runs for several leases,
// within its deadline, keeps its claim by renewal: a copy that another
// replica receives meanwhile gets 409 and is not processed.
func TestLongCallbackKeepsItsClaim(t *testing.T) {
	secret, prefix, _ := crashSetup(t)
	const lease = time.Second
	a := startReplica(t, "slow", prefix, secret, lease, time.Minute, 6*lease)
	b := startReplica(t, "ok", prefix, secret, lease, time.Minute, 0)
	const id = "wh_long_1"
	body := webhookstest.Sample(webhooks.EventTypeSafetyAlertCreated)

	first := make(chan int, 1)
	go func() { first <- a.send(t, secret, id, body) }()
	require.Eventually(t, func() bool { return a.count("started "+id) == 1 }, 10*time.Second, 10*time.Millisecond)
	time.Sleep(3 * lease) // past the first lease: only renewal keeps the claim
	assert.Equal(t, http.StatusConflict, b.send(t, secret, id, body))
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, b.send(t, secret, id, body))
	assert.Equal(t, 1, a.count("processed "+id))
	assert.Zero(t, b.count("started "+id), "the copy was not processed")
}
