package webhooks_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// inChild runs the test named name again in a process of its own, with
// the environment variable childCase set to which, and returns the child's
// output and whether it exited cleanly: a panic on a goroutine that the
// Handler starts ends the whole process, which net/http cannot recover, so
// it can only be seen from outside.
func inChild(t *testing.T, name, which string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childCase+"="+which)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

const childCase = "WEBHOOKS_HOSTILE_CHILD"

// panickingStore is a custom IdempotencyStore with a bug: one of its
// methods panics, as a nil-pointer dereference in a driver does.
type panickingStore struct {
	webhooks.IdempotencyStore
	method string
}

func (s panickingStore) Claim(ctx context.Context, id, token string, lease time.Duration) (webhooks.ClaimStatus, error) {
	if s.method == "Claim" {
		panic("store bug in Claim")
	}
	return s.IdempotencyStore.Claim(ctx, id, token, lease)
}

func (s panickingStore) Renew(ctx context.Context, id, token string, lease time.Duration) error {
	if s.method == "Renew" {
		panic("store bug in Renew")
	}
	return s.IdempotencyStore.Renew(ctx, id, token, lease)
}

func (s panickingStore) Done(ctx context.Context, id, token string, window time.Duration) error {
	if s.method == "Done" {
		panic("store bug in Done")
	}
	return s.IdempotencyStore.Done(ctx, id, token, window)
}

func (s panickingStore) Release(ctx context.Context, id, token string) error {
	if s.method == "Release" {
		panic("store bug in Release")
	}
	return s.IdempotencyStore.Release(ctx, id, token)
}

// panickingQueue is a custom Queue whose Enqueue panics.
type panickingQueue struct{}

func (panickingQueue) Enqueue(context.Context, webhooks.Delivery, []byte, webhooks.Event) (bool, error) {
	panic("queue bug in Enqueue")
}

// TestMisbehavingDependencyDoesNotCrashTheServer: a store or queue that
// panics, or an option given a value that compiles but is far too small
// (WithLease(2), meant as seconds), costs one delivery an answer that is not
// 2xx, never the whole server: net/http recovers a panic on the request's
// goroutine, but nothing recovers one on a goroutine the Handler starts.
func TestMisbehavingDependencyDoesNotCrashTheServer(t *testing.T) {
	fail := func(context.Context, webhooks.Event) error { return fmt.Errorf("callback fails") }
	slow := func(ctx context.Context, _ webhooks.Event) error {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	}
	ok := func(context.Context, webhooks.Event) error { return nil }
	tests := []struct {
		name       string
		callback   func(context.Context, webhooks.Event) error
		opts       func() []webhooks.HandlerOption
		wantNot2xx bool // nothing was called, or stored: the answer must make OpenAI retry
	}{
		{"store panics in Claim", ok, func() []webhooks.HandlerOption {
			return []webhooks.HandlerOption{webhooks.WithIdempotencyStore(panickingStore{webhooks.NewMemoryStore(0), "Claim"})}
		}, true},
		{"store panics in Renew", slow, func() []webhooks.HandlerOption {
			return []webhooks.HandlerOption{webhooks.WithIdempotencyStore(panickingStore{webhooks.NewMemoryStore(0), "Renew"}),
				webhooks.WithLease(30 * time.Millisecond)}
		}, false},
		{"store panics in Done", ok, func() []webhooks.HandlerOption {
			return []webhooks.HandlerOption{webhooks.WithIdempotencyStore(panickingStore{webhooks.NewMemoryStore(0), "Done"})}
		}, false},
		{"store panics in Release", fail, func() []webhooks.HandlerOption {
			return []webhooks.HandlerOption{webhooks.WithIdempotencyStore(panickingStore{webhooks.NewMemoryStore(0), "Release"})}
		}, true},
		{"a nil pointer to a custom store", ok, func() []webhooks.HandlerOption {
			var store *panickingStore // set up later, or never, by a careless program
			return []webhooks.HandlerOption{webhooks.WithIdempotencyStore(store)}
		}, true},
		{"a nil pointer to a custom queue", ok, func() []webhooks.HandlerOption {
			var queue *errQueue
			return []webhooks.HandlerOption{webhooks.WithQueue(queue)}
		}, true},
		{"queue panics in Enqueue", ok, func() []webhooks.HandlerOption {
			return []webhooks.HandlerOption{webhooks.WithQueue(panickingQueue{})}
		}, true},
		{"WithLease(2), nanoseconds meant as seconds", slow, func() []webhooks.HandlerOption {
			return []webhooks.HandlerOption{webhooks.WithLease(2)}
		}, false},
	}
	if which := os.Getenv(childCase); which != "" {
		i, err := strconv.Atoi(which)
		require.NoError(t, err)
		tt := tests[i]
		h, err := newHandlerOrPanic(t, tt.callback, tt.opts)
		if err != nil {
			return // refused at construction: what a program's first run should find
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		d := signedDelivery(t, testSecret, "wh_1", testNow, fixture(t, webhooks.EventTypeBatchCompleted))
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(d.body))
		require.NoError(t, err)
		req.Header = d.headers.Clone()
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if tt.wantNot2xx && resp.StatusCode/100 == 2 {
				t.Errorf("got %d, want an answer that makes OpenAI send it again", resp.StatusCode)
			}
		}
		time.Sleep(300 * time.Millisecond) // room for the Handler's goroutines to run
		return
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := inChild(t, "TestMisbehavingDependencyDoesNotCrashTheServer", strconv.Itoa(i))
			assert.NoError(t, err, "got the server process ended, want it alive; its output:\n%s", out)
		})
	}
}

// newHandlerOrPanic returns NewHandler's Handler with the options opts
// makes, or the panic with which an option or NewHandler refused them, as
// an error.
func newHandlerOrPanic(t *testing.T, fn func(context.Context, webhooks.Event) error, opts func() []webhooks.HandlerOption) (h *webhooks.Handler, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("refused: %v", p)
		}
	}()
	return webhooks.NewHandler(testVerifier(t), fn, opts()...), nil
}

// TestCallbackPastItsDeadlineIsNotRunTwice: a callback that does not watch
// its context (time.Sleep, db.Exec rather than ExecContext, http.Get) and
// runs past its deadline is answered 500, but the callback goes on. Its
// claim must last until it returns, so that the copy OpenAI sends meanwhile
// is answered 409 rather than run beside it.
func TestCallbackPastItsDeadlineIsNotRunTwice(t *testing.T) {
	tests := []struct {
		name  string
		store func() webhooks.IdempotencyStore
	}{
		{"MemoryStore", func() webhooks.IdempotencyStore { return webhooks.NewMemoryStore(0) }},
		{"a store of its own", func() webhooks.IdempotencyStore {
			return webhookstest.FaultyStore{IdempotencyStore: webhooks.NewMemoryStore(0)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var running, overlapped atomic.Int32
			h := webhooks.NewHandler(testVerifier(t), func(context.Context, webhooks.Event) error {
				if running.Add(1) > 1 {
					overlapped.Add(1)
				}
				defer running.Add(-1)
				time.Sleep(400 * time.Millisecond) // ignores its context
				return nil
			}, webhooks.WithIdempotencyStore(tt.store()), webhooks.WithCallbackTimeout(100*time.Millisecond))
			d := signedDelivery(t, testSecret, "wh_1", testNow, fixture(t, webhooks.EventTypeBatchCompleted))

			// Failed, past its deadline; or, on a machine too busy to see
			// the deadline pass before the callback returned, processed.
			first := h.Receive(context.Background(), d.body, d.headers)
			require.Contains(t, []webhooks.Result{webhooks.ResultFailed, webhooks.ResultProcessed}, first.Result)
			retry := h.Receive(context.Background(), d.body, d.headers) // OpenAI's retry, while the first still runs
			assert.Contains(t, []webhooks.Result{webhooks.ResultInProgress, webhooks.ResultDuplicate}, retry.Result,
				"the copy: got %v (%v), want in progress (or a duplicate of the first)", retry.Result, retry.Err)
			time.Sleep(800 * time.Millisecond)
			assert.Zero(t, overlapped.Load(), "got the callback run twice at once, want once")
		})
	}
}

// errQueue is a Queue whose Enqueue fails with err.
type errQueue struct{ err error }

func (q errQueue) Enqueue(context.Context, webhooks.Delivery, []byte, webhooks.Event) (bool, error) {
	return false, q.err
}

// TestOutcomeErrOfMisbehavingParts: Outcome.Err and Outcome.StoreErr each
// match exactly one sentinel, the one documented for the result, whatever
// error a store, a
// queue or a callback returns, including errors of this package that mean
// something else where they come from (a store that says ErrLeaseLost or
// ErrInProgress from Claim, a callback that parses a payload of its own).
func TestOutcomeErrOfMisbehavingParts(t *testing.T) {
	valid := signedDelivery(t, testSecret, "wh_1", testNow, fixture(t, webhooks.EventTypeBatchCompleted))
	claimFails := func(err error) webhooks.HandlerOption {
		return webhooks.WithIdempotencyStore(webhookstest.FaultyStore{IdempotencyStore: webhooks.NewMemoryStore(0),
			ClaimFault: webhookstest.Fault{Err: err}})
	}
	faulty := func(f func(s *webhookstest.FaultyStore)) webhooks.HandlerOption {
		s := webhookstest.FaultyStore{IdempotencyStore: webhooks.NewMemoryStore(0)}
		f(&s)
		return webhooks.WithIdempotencyStore(s)
	}
	ok := func(context.Context, webhooks.Event) error { return nil }
	fails := func(context.Context, webhooks.Event) error { return errors.New("db down") }
	tests := []struct {
		name         string
		callback     func(context.Context, webhooks.Event) error
		opts         []webhooks.HandlerOption
		want         webhooks.Result
		wantErr      error
		wantStoreErr error
	}{
		{"Claim says ErrLeaseLost", ok, []webhooks.HandlerOption{claimFails(webhooks.ErrLeaseLost)},
			webhooks.ResultUnavailable, webhooks.ErrStoreUnavailable, nil},
		{"Claim says ErrInProgress", ok, []webhooks.HandlerOption{claimFails(fmt.Errorf("busy: %w", webhooks.ErrInProgress))},
			webhooks.ResultUnavailable, webhooks.ErrStoreUnavailable, nil},
		{"the queue's error wraps ErrStoreUnavailable", ok,
			[]webhooks.HandlerOption{webhooks.WithQueue(errQueue{fmt.Errorf("dedup table: %w", webhooks.ErrStoreUnavailable)})},
			webhooks.ResultUnavailable, webhooks.ErrQueueUnavailable, nil},
		{"the callback's error wraps ErrInvalidPayload", func(context.Context, webhooks.Event) error {
			_, err := webhooks.ParseEvent([]byte(`{"id":"evt_1"}`)) // a stored event of its own, say
			return err
		}, nil, webhooks.ResultFailed, webhooks.ErrCallbackFailed, nil},
		{"Done says ErrStoreFull", ok,
			[]webhooks.HandlerOption{faulty(func(s *webhookstest.FaultyStore) { s.DoneFault.Err = webhooks.ErrStoreFull })},
			webhooks.ResultProcessed, nil, webhooks.ErrStoreUnavailable},
		{"Release says ErrLeaseLost, for a callback that failed: nothing ran twice", fails,
			[]webhooks.HandlerOption{faulty(func(s *webhookstest.FaultyStore) { s.ReleaseFault.Err = webhooks.ErrLeaseLost })},
			webhooks.ResultFailed, webhooks.ErrCallbackFailed, webhooks.ErrStoreUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := webhooks.NewHandler(testVerifier(t), tt.callback, tt.opts...)
			got := h.Receive(context.Background(), valid.body, valid.headers)
			assert.Equal(t, tt.want, got.Result, "got %v, want %v", got.Result, tt.want)
			assertOneSentinel(t, got.Err, tt.wantErr)
			assertOneSentinel(t, got.StoreErr, tt.wantStoreErr)
		})
	}
}

// completedWithHelpers is what a user writes to give an event type methods
// of their own: it embeds the event, so it is an Event, and On accepts it.
type completedWithHelpers struct {
	webhooks.BatchCompletedWebhookEvent
}

// TestOnRefusesTypesThatNeverMatch: On refuses every type that ParseEvent
// never returns, whose deliveries would otherwise be acknowledged 200 and
// dropped unprocessed, as it refuses a pointer.
func TestOnRefusesTypesThatNeverMatch(t *testing.T) {
	tests := []struct {
		name     string
		register func()
	}{
		{"a pointer to an event", func() {
			webhooks.On(func(context.Context, *webhooks.BatchCompletedWebhookEvent) error { return nil })
		}},
		{"a struct that embeds an event", func() {
			webhooks.On(func(context.Context, completedWithHelpers) error { return nil })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Panics(t, tt.register, "got the callback registered, want it refused: its deliveries would be answered 200 and dropped")
		})
	}
}

// TestCallbackThatSucceedsAsItsClaimLapsesIsRecorded: when renewals fail
// and the callback returns nil at the moment its claim lapses, the Handler
// answers 200 (the callback did succeed) but records nothing, so that every
// later copy is processed again, even with no other replica about. A
// succeeded callback must be recorded whenever the store lets it be (Done
// records a mark where nothing is left of the claim). The moment is a race,
// so the test tries it many times; it loses it in most of them.
func TestCallbackThatSucceedsAsItsClaimLapsesIsRecorded(t *testing.T) {
	const lease, tries = 60 * time.Millisecond, 100
	body := fixture(t, webhooks.EventTypeBatchCompleted)
	processedAgain := 0
	for i := range tries {
		store := webhookstest.FaultyStore{IdempotencyStore: webhooks.NewMemoryStore(0),
			RenewFault: webhookstest.Fault{Err: errors.New("connection refused")}}
		var lapse time.Time // when the claim lapses, about
		h := webhooks.NewHandler(testVerifier(t), func(ctx context.Context, _ webhooks.Event) error {
			select {
			case <-time.After(time.Until(lapse) + time.Duration(i%5-2)*50*time.Microsecond):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, webhooks.WithIdempotencyStore(store), webhooks.WithLease(lease), webhooks.WithCallbackTimeout(time.Second))
		d := signedDelivery(t, testSecret, "wh_"+strconv.Itoa(i), testNow, body)
		lapse = time.Now().Add(lease)
		first := h.Receive(context.Background(), d.body, d.headers)
		if first.Status != http.StatusOK {
			continue // failed: its copy is meant to be processed
		}
		if again := h.Receive(context.Background(), d.body, d.headers); again.Result == webhooks.ResultProcessed {
			processedAgain++
		}
	}
	assert.Zero(t, processedAgain, "got %d of %d deliveries answered 200 and then processed again, want none", processedAgain, tries)
}

// TestNewHandlerRefusesAHandlerWithNoCallback: a Handler with no fallback,
// no On and no queue answers every authentic delivery 200 and drops it,
// which no program means (a fallback that drops is one line); it should be
// refused as the other misuses are, while a receive-only Handler with a
// queue stays allowed.
func TestNewHandlerRefusesAHandlerWithNoCallback(t *testing.T) {
	tests := []struct {
		name      string
		opts      []webhooks.HandlerOption
		wantPanic bool
	}{
		{"no fallback, no On, no queue", nil, true},
		{"no fallback, no On, a queue: workers run elsewhere", []webhooks.HandlerOption{webhooks.WithQueue(errQueue{})}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newHandlerOrPanic(t, nil, func() []webhooks.HandlerOption { return tt.opts })
			if tt.wantPanic {
				assert.Error(t, err, "got a Handler that acknowledges and drops every delivery, want it refused")
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

// TestDurationsMeantAsSecondsAreRefused: time.Duration is nanoseconds, so
// WithLease(10), meant as ten seconds, compiles; a Handler built with it
// must be refused at construction, or still process an ordinary delivery
// (a callback of 5 ms), never fail every delivery until OpenAI gives up on
// it.
func TestDurationsMeantAsSecondsAreRefused(t *testing.T) {
	slowish := func(ctx context.Context, _ webhooks.Event) error {
		select {
		case <-time.After(5 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	tests := []struct {
		name string
		opts func() []webhooks.HandlerOption
	}{
		{"WithLease(10)", func() []webhooks.HandlerOption { return []webhooks.HandlerOption{webhooks.WithLease(10)} }},
		{"WithLease(10), a store of its own", func() []webhooks.HandlerOption {
			return []webhooks.HandlerOption{webhooks.WithLease(10),
				webhooks.WithIdempotencyStore(webhookstest.FaultyStore{IdempotencyStore: webhooks.NewMemoryStore(0)})}
		}},
		{"WithCallbackTimeout(10)", func() []webhooks.HandlerOption {
			return []webhooks.HandlerOption{webhooks.WithCallbackTimeout(10)}
		}},
	}
	d := signedDelivery(t, testSecret, "wh_1", testNow, fixture(t, webhooks.EventTypeBatchCompleted))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := newHandlerOrPanic(t, slowish, tt.opts)
			if err != nil {
				return // refused at construction
			}
			o := h.Receive(context.Background(), d.body, d.headers)
			assert.Equal(t, webhooks.ResultProcessed, o.Result,
				"got %v (%v), want the option refused, or the delivery processed", o.Result, o.Err)
		})
	}
}
