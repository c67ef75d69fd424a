package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/redisstore"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// delivery is one signed delivery, as OpenAI sends it.
type delivery struct {
	id      string
	body    []byte
	headers http.Header
}

// post sends d to url and returns the answer's status.
func post(t *testing.T, client *http.Client, url string, d delivery) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.body))
	if err != nil {
		t.Error(err)
		return 0
	}
	req.Header = d.headers.Clone()
	resp, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// counter counts how often each webhook-id reached a callback.
type counter struct{ m sync.Map }

func (c *counter) add(id string) {
	n, _ := c.m.LoadOrStore(id, new(atomic.Int32))
	n.(*atomic.Int32).Add(1)
}

func (c *counter) get(id string) int32 {
	n, ok := c.m.Load(id)
	if !ok {
		return 0
	}
	return n.(*atomic.Int32).Load()
}

// TestFleet runs three replicas, each with its own Verifier, Handler and
// Redis connections, behind one server that spreads requests across them,
// and sends 200 distinct deliveries five times each, all at once: every id
// is processed exactly once, and every other copy is answered without being
// processed.
func TestFleet(t *testing.T) {
	client := testClient(t)
	prefix := testPrefix(t, client)
	secret := webhookstest.NewSecret()
	var processed counter
	var perReplica [3]atomic.Int32

	replicas := make([]http.Handler, 3)
	for r := range replicas {
		v, err := webhooks.NewVerifier(secret)
		require.NoError(t, err)
		own := redis.NewClient(client.Options())
		t.Cleanup(func() { own.Close() })
		replicas[r] = webhooks.NewHandler(v, func(ctx context.Context, _ webhooks.Event) error {
			d, _ := webhooks.DeliveryFromContext(ctx)
			processed.add(d.ID)
			perReplica[r].Add(1)
			time.Sleep(2 * time.Millisecond) // processing takes time: copies overlap it
			return nil
		}, webhooks.WithIdempotencyStore(redisstore.New(own, redisstore.WithKeyPrefix(prefix))))
	}
	var next atomic.Uint64
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		replicas[next.Add(1)%3].ServeHTTP(w, r)
	}))
	defer front.Close()

	const ids, copies = 200, 5
	types := webhooks.EventTypes()
	var all []delivery
	for i := 0; i < ids; i++ {
		id := fmt.Sprintf("wh_fleet_%03d", i)
		body := webhookstest.Sample(types[i%len(types)])
		for c := 0; c < copies; c++ {
			// Some copies are the same request again, some a retry that
			// OpenAI signed anew.
			headers := webhookstest.Headers(secret, body, webhookstest.WithID(id), webhookstest.WithTimestamp(time.Now().Add(-time.Duration(c%2)*time.Second)))
			all = append(all, delivery{id, body, headers})
		}
	}
	rand.New(rand.NewSource(7)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })

	statuses := make([]int, len(all))
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 50; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				statuses[i] = post(t, front.Client(), front.URL, all[i])
			}
		}()
	}
	for i := range all {
		work <- i
	}
	close(work)
	wg.Wait()

	answered := map[int]int{}
	for _, s := range statuses {
		answered[s]++
	}
	t.Logf("answers: %v; processed per replica: %d, %d, %d", answered, perReplica[0].Load(), perReplica[1].Load(), perReplica[2].Load())
	assert.Equal(t, len(all), answered[http.StatusOK]+answered[http.StatusConflict], "every answer is 200 (processed, now or before) or 409 (being processed)")
	for i := 0; i < ids; i++ {
		id := fmt.Sprintf("wh_fleet_%03d", i)
		require.Equal(t, int32(1), processed.get(id), "%s processed %d times", id, processed.get(id))
	}
	for r := range perReplica {
		assert.Positive(t, perReplica[r].Load(), "replica %d processed nothing", r)
	}
}

// TestRedisStoppedMidRun stops Redis in the middle of a run: deliveries are
// answered 503 and nothing is processed; once Redis is back, their retries
// are processed, once.
func TestRedisStoppedMidRun(t *testing.T) {
	testClient(t) // the same rule as the other tests: skip only outside CI without Redis
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not on PATH, and CI is set")
		}
		t.Skip("redis-server is not on PATH")
	}
	addr := freeAddr(t)
	stop := startRedis(t, bin, addr)

	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	secret := webhookstest.NewSecret()
	v, err := webhooks.NewVerifier(secret)
	require.NoError(t, err)
	var processed counter
	var reasons []error
	var mu sync.Mutex
	handler := webhooks.NewHandler(v, func(ctx context.Context, _ webhooks.Event) error {
		d, _ := webhooks.DeliveryFromContext(ctx)
		processed.add(d.ID)
		return nil
	}, webhooks.WithIdempotencyStore(redisstore.New(client)), webhooks.WithErrorHandler(func(_ *http.Request, err error) {
		mu.Lock()
		defer mu.Unlock()
		reasons = append(reasons, err)
	}))
	srv := httptest.NewServer(handler)
	defer srv.Close()

	deliver := func(id string) (int, string) {
		body := webhookstest.Sample(webhooks.EventTypeBatchCompleted)
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header = webhookstest.Headers(secret, body, webhookstest.WithID(id)) // each attempt signed anew
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	ids := func(phase string) []string {
		out := make([]string, 10)
		for i := range out {
			out[i] = "wh_" + phase + "_" + strconv.Itoa(i)
		}
		return out
	}

	for _, id := range ids("before") {
		status, _ := deliver(id)
		require.Equal(t, http.StatusOK, status)
	}

	stop()
	for _, id := range ids("during") {
		status, retryAfter := deliver(id)
		assert.Equal(t, http.StatusServiceUnavailable, status, "%s while Redis is down", id)
		assert.Equal(t, "5", retryAfter)
		assert.Zero(t, processed.get(id), "%s processed while Redis was down", id)
	}
	mu.Lock()
	require.NotEmpty(t, reasons)
	require.ErrorIs(t, reasons[len(reasons)-1], webhooks.ErrStoreUnavailable)
	mu.Unlock()

	startRedis(t, bin, addr)
	require.Eventually(t, func() bool { return client.Ping(context.Background()).Err() == nil }, 10*time.Second, 50*time.Millisecond)
	for _, id := range ids("during") { // OpenAI's retries
		status, _ := deliver(id)
		require.Equal(t, http.StatusOK, status, "%s retried after Redis is back", id)
		status, _ = deliver(id)
		require.Equal(t, http.StatusOK, status, "%s retried once more", id)
		assert.Equal(t, int32(1), processed.get(id), "%s processed %d times", id, processed.get(id))
	}
	for _, id := range ids("before") {
		assert.Equal(t, int32(1), processed.get(id))
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// startRedis starts a private redis-server without persistence on addr,
// waits until it answers, and returns a function that stops it (also run
// when the test ends).
func startRedis(t *testing.T, bin, addr string) (stop func()) {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	require.NoError(t, cmd.Start())
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	probe := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer probe.Close()
	require.Eventually(t, func() bool { return probe.Ping(context.Background()).Err() == nil }, 10*time.Second, 20*time.Millisecond, "redis-server on %s", addr)
	return stop
}
