package webhooks_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// recorder collects what a Handler passed to its callback and error hook.
type recorder struct {
	mu     sync.Mutex
	events []webhooks.Event
	errs   []error
	fail   func(webhooks.Event) error // the callback's answer; nil: success
}

func (rc *recorder) callback(_ context.Context, e webhooks.Event) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.events = append(rc.events, e)
	if rc.fail != nil {
		return rc.fail(e)
	}
	return nil
}

func (rc *recorder) onError(_ *http.Request, err error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.errs = append(rc.errs, err)
}

func (rc *recorder) calls() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.events)
}

func (rc *recorder) lastErr() error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.errs) == 0 {
		return nil
	}
	return rc.errs[len(rc.errs)-1]
}

// testVerifier returns a Verifier for testSecret at testNow.
func testVerifier(t testing.TB) *webhooks.Verifier {
	t.Helper()
	v, err := webhooks.NewVerifier(testSecret, webhooks.WithClock(clock))
	require.NoError(t, err)
	return v
}

// newTestHandler returns a Handler whose callback and error hook feed rc.
func newTestHandler(t testing.TB, rc *recorder, opts ...webhooks.HandlerOption) *webhooks.Handler {
	t.Helper()
	opts = append([]webhooks.HandlerOption{webhooks.WithErrorHandler(rc.onError)}, opts...)
	return webhooks.NewHandler(testVerifier(t), rc.callback, opts...)
}

// request returns a POST of d to the handler's path.
func (d testDelivery) request() *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/openai", bytes.NewReader(d.body))
	req.Header = d.headers.Clone()
	return req
}

// serve sends req to h and returns the answer.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerAnswers(t *testing.T) {
	body := fixture(t, webhooks.EventTypeBatchCompleted)
	valid := signedDelivery(t, testSecret, "wh_1", testNow, body)
	fail := errors.New("database down")

	tests := []struct {
		name       string
		request    func(t *testing.T) *http.Request
		fail       func(webhooks.Event) error
		opts       []webhooks.HandlerOption
		wantStatus int
		wantHeader http.Header
		wantErr    error // passed to the error hook; nil: none
		wantCalls  int
	}{
		{
			name:       "valid delivery",
			request:    func(*testing.T) *http.Request { return valid.request() },
			wantStatus: http.StatusOK, wantCalls: 1,
		},
		{
			name: "GET",
			request: func(*testing.T) *http.Request {
				return httptest.NewRequest(http.MethodGet, "/webhooks/openai", nil)
			},
			wantStatus: http.StatusMethodNotAllowed, wantHeader: http.Header{"Allow": {"POST"}}, wantErr: webhooks.ErrMethodNotAllowed,
		},
		{
			name: "PUT of a valid delivery",
			request: func(*testing.T) *http.Request {
				req := valid.request()
				req.Method = http.MethodPut
				return req
			},
			wantStatus: http.StatusMethodNotAllowed, wantHeader: http.Header{"Allow": {"POST"}}, wantErr: webhooks.ErrMethodNotAllowed,
		},
		{
			name:       "body over the limit, announced",
			request:    func(*testing.T) *http.Request { return valid.request() },
			opts:       []webhooks.HandlerOption{webhooks.WithMaxBodyBytes(int64(len(body) - 1))},
			wantStatus: http.StatusRequestEntityTooLarge, wantErr: webhooks.ErrBodyTooLarge,
		},
		{
			name: "body over the limit, not announced",
			request: func(*testing.T) *http.Request {
				req := valid.request()
				req.ContentLength = -1
				return req
			},
			opts:       []webhooks.HandlerOption{webhooks.WithMaxBodyBytes(int64(len(body) - 1))},
			wantStatus: http.StatusRequestEntityTooLarge, wantErr: webhooks.ErrBodyTooLarge,
		},
		{
			name:       "body exactly at the limit",
			request:    func(*testing.T) *http.Request { return valid.request() },
			opts:       []webhooks.HandlerOption{webhooks.WithMaxBodyBytes(int64(len(body)))},
			wantStatus: http.StatusOK, wantCalls: 1,
		},
		{
			name: "body that cannot be read",
			request: func(*testing.T) *http.Request {
				req := valid.request()
				req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:10]), errReader{}))
				req.ContentLength = -1
				return req
			},
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrBodyUnreadable,
		},
		{
			name: "missing webhook-signature",
			request: func(*testing.T) *http.Request {
				req := valid.request()
				req.Header.Del(webhooks.HeaderSignature)
				return req
			},
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrMissingHeader,
		},
		{
			name: "malformed webhook-timestamp",
			request: func(*testing.T) *http.Request {
				req := valid.request()
				req.Header.Set(webhooks.HeaderTimestamp, "soon")
				return req
			},
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrInvalidHeader,
		},
		{
			name: "bad signature",
			request: func(t *testing.T) *http.Request {
				return signedDelivery(t, otherSecret, "wh_1", testNow, body).request()
			},
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrInvalidSignature,
		},
		{
			name: "timestamp too old",
			request: func(t *testing.T) *http.Request {
				return signedDelivery(t, testSecret, "wh_1", testNow.Add(-time.Hour), body).request()
			},
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrTimestampTooOld,
		},
		{
			name: "timestamp too new",
			request: func(t *testing.T) *http.Request {
				return signedDelivery(t, testSecret, "wh_1", testNow.Add(time.Hour), body).request()
			},
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrTimestampTooNew,
		},
		{
			name: "authentic but invalid payload",
			request: func(t *testing.T) *http.Request {
				return signedDelivery(t, testSecret, "wh_1", testNow, []byte(`{"id":"evt_1","type":"batch.completed"}`)).request()
			},
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrInvalidPayload,
		},
		{
			name:       "callback error",
			request:    func(*testing.T) *http.Request { return valid.request() },
			fail:       func(webhooks.Event) error { return fail },
			wantStatus: http.StatusInternalServerError, wantErr: fail, wantCalls: 1,
		},
		{
			name:       "callback panic",
			request:    func(*testing.T) *http.Request { return valid.request() },
			fail:       func(webhooks.Event) error { panic("nil map") },
			wantStatus: http.StatusInternalServerError, wantErr: webhooks.ErrCallbackFailed, wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &recorder{fail: tt.fail}
			h := newTestHandler(t, rc, tt.opts...)

			rec := serve(h, tt.request(t))
			assert.Equal(t, tt.wantStatus, rec.Code, "got status %d, want %d", rec.Code, tt.wantStatus)
			for k := range tt.wantHeader {
				assert.Equal(t, tt.wantHeader.Get(k), rec.Header().Get(k), "header %s", k)
			}
			assert.Equal(t, tt.wantCalls, rc.calls(), "callback calls")
			if tt.wantErr == nil {
				assert.NoError(t, rc.lastErr())
			} else {
				require.ErrorIs(t, rc.lastErr(), tt.wantErr)
			}
			if tt.wantStatus != http.StatusOK {
				assertGenericAnswer(t, rec)
			}
		})
	}
}

// errReader fails every read, as a connection reset would.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// assertGenericAnswer checks that a rejection says no more than its status.
func assertGenericAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	answer := rec.Body.String()
	assert.LessOrEqual(t, len(answer), 40, "got answer %q, want a short generic one", answer)
	assert.NotContains(t, answer, "webhooks:", "the answer must not carry the error")
	assert.NotContains(t, answer, strings.TrimPrefix(testSecret, "whsec_"))
	assert.NotContains(t, answer, "v1,")
}

func TestHandlerReadsNoFurtherThanTheLimit(t *testing.T) {
	rc := &recorder{}
	h := newTestHandler(t, rc, webhooks.WithMaxBodyBytes(1024))
	headers := signedDelivery(t, testSecret, "wh_big", testNow, []byte("{}")).headers // look valid until the body is read
	counter := &countingReader{r: bytes.NewReader(make([]byte, 10<<20))}
	req := httptest.NewRequest(http.MethodPost, "/webhooks/openai", counter)
	req.Header = headers.Clone()
	req.ContentLength = -1 // streamed: the limit is found by reading

	rec := serve(h, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.LessOrEqual(t, counter.n, int64(1025), "got %d bytes read, want at most the limit and one", counter.n)

	unread := &countingReader{r: bytes.NewReader(make([]byte, 2048))}
	announced := httptest.NewRequest(http.MethodPost, "/webhooks/openai", unread)
	announced.Header = headers.Clone()
	announced.ContentLength = 2048
	rec = serve(h, announced)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Zero(t, unread.n, "an announced oversized body is refused without reading")
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestHandlerRetryAfterCallbackErrorIsProcessed(t *testing.T) {
	attempts := 0
	rc := &recorder{fail: func(webhooks.Event) error {
		attempts++
		if attempts == 1 {
			return errors.New("transient")
		}
		return nil
	}}
	h := newTestHandler(t, rc)
	d := signedDelivery(t, testSecret, "wh_retry", testNow, fixture(t, webhooks.EventTypeResponseFailed))

	assert.Equal(t, http.StatusInternalServerError, serve(h, d.request()).Code, "first attempt fails")
	// OpenAI re-signs a retry with a new timestamp; the id stays.
	retry := signedDelivery(t, testSecret, "wh_retry", testNow.Add(time.Minute), d.body)
	assert.Equal(t, http.StatusOK, serve(h, retry.request()).Code, "the retry is processed")
	assert.Equal(t, http.StatusOK, serve(h, retry.request()).Code, "a further copy is acknowledged")
	assert.Equal(t, 2, rc.calls(), "got %d callback calls, want 2: the failure and the retry", rc.calls())
}

func TestHandlerKeepsServingAfterPanic(t *testing.T) {
	rc := &recorder{fail: func(e webhooks.Event) error {
		if e.EventType() == webhooks.EventTypeBatchFailed {
			var ids []string
			_ = ids[len(e.EventID())] // a runtime panic: index out of range
		}
		return nil
	}}
	srv := httptest.NewServer(newTestHandler(t, rc))
	defer srv.Close()

	post := func(d testDelivery) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(d.body))
		require.NoError(t, err)
		req.Header = d.headers.Clone()
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusInternalServerError, post(signedDelivery(t, testSecret, "wh_panic", testNow, fixture(t, webhooks.EventTypeBatchFailed))))
	require.ErrorIs(t, rc.lastErr(), webhooks.ErrCallbackFailed)
	assert.Equal(t, http.StatusOK, post(signedDelivery(t, testSecret, "wh_next", testNow, fixture(t, webhooks.EventTypeBatchCompleted))))
	assert.Equal(t, 2, rc.calls())
}

func TestHandlerDuplicateAfterSuccessIsNotProcessedAgain(t *testing.T) {
	rc := &recorder{}
	h := newTestHandler(t, rc)
	d := signedDelivery(t, testSecret, "wh_dup", testNow, fixture(t, webhooks.EventTypeEvalRunSucceeded))

	for i := 0; i < 3; i++ {
		assert.Equal(t, http.StatusOK, serve(h, d.request()).Code)
	}
	assert.Equal(t, 1, rc.calls())
	assert.NoError(t, rc.lastErr())
}

func TestHandlerDuplicateWhileInProgressIsRetryable(t *testing.T) {
	started, finish := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	h := webhooks.NewHandler(testVerifier(t), func(context.Context, webhooks.Event) error {
		calls.Add(1)
		close(started)
		<-finish
		return nil
	})
	d := signedDelivery(t, testSecret, "wh_slow", testNow, fixture(t, webhooks.EventTypeFineTuningJobSucceeded))

	first := make(chan int)
	go func() { first <- serve(h, d.request()).Code }()
	<-started

	rec := serve(h, d.request())
	assert.Equal(t, http.StatusConflict, rec.Code, "a copy arriving during processing must not be acknowledged")
	assert.Equal(t, "5", rec.Header().Get("Retry-After"))
	assertGenericAnswer(t, rec)

	close(finish)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, serve(h, d.request()).Code, "once processed, copies are acknowledged")
	assert.Equal(t, int32(1), calls.Load())
}

func TestHandlerWithoutIdempotencyCallsEveryTime(t *testing.T) {
	rc := &recorder{}
	h := newTestHandler(t, rc, webhooks.WithoutIdempotency())
	d := signedDelivery(t, testSecret, "wh_dup", testNow, fixture(t, webhooks.EventTypeBatchExpired))
	for i := 0; i < 3; i++ {
		assert.Equal(t, http.StatusOK, serve(h, d.request()).Code)
	}
	assert.Equal(t, 3, rc.calls())
}

func TestHandlerTypedCallbacks(t *testing.T) {
	var completed []webhooks.ResponseCompletedWebhookEvent
	var calls []webhooks.RealtimeCallIncomingWebhookEvent
	var unknown []webhooks.UnknownEvent
	rc := &recorder{}
	h := newTestHandler(t, rc,
		webhooks.On(func(_ context.Context, e webhooks.ResponseCompletedWebhookEvent) error {
			completed = append(completed, e)
			return nil
		}),
		webhooks.On(func(_ context.Context, e webhooks.RealtimeCallIncomingWebhookEvent) error {
			calls = append(calls, e)
			return nil
		}),
		webhooks.On(func(_ context.Context, e webhooks.UnknownEvent) error {
			unknown = append(unknown, e)
			return nil
		}),
	)
	unknownBody := []byte(`{"id":"evt_new","created_at":1750287000,"type":"video.completed","data":{"id":"video_1"}}`)
	for i, body := range [][]byte{
		fixture(t, webhooks.EventTypeResponseCompleted),
		fixture(t, webhooks.EventTypeRealtimeCallIncoming),
		fixture(t, webhooks.EventTypeBatchCancelled), // no typed callback: the fallback
		unknownBody,
	} {
		d := signedDelivery(t, testSecret, "wh_"+strconv.Itoa(i), testNow, body)
		require.Equal(t, http.StatusOK, serve(h, d.request()).Code)
	}

	require.Len(t, completed, 1)
	assert.Equal(t, fixtureEvents[webhooks.EventTypeResponseCompleted], withoutRaw(completed[0]))
	require.Len(t, calls, 1)
	assert.Equal(t, fixtureEvents[webhooks.EventTypeRealtimeCallIncoming], withoutRaw(calls[0]))
	require.Len(t, unknown, 1)
	assert.Equal(t, webhooks.EventType("video.completed"), unknown[0].Type)
	require.Len(t, rc.events, 1, "the fallback gets only types without a callback")
	assert.Equal(t, fixtureEvents[webhooks.EventTypeBatchCancelled], withoutRaw(rc.events[0]))
}

func TestHandlerWithoutFallbackAcknowledgesOtherTypes(t *testing.T) {
	var got []webhooks.BatchFailedWebhookEvent
	h := webhooks.NewHandler(testVerifier(t), nil, webhooks.On(func(_ context.Context, e webhooks.BatchFailedWebhookEvent) error {
		got = append(got, e)
		return nil
	}))
	for i, body := range [][]byte{
		fixture(t, webhooks.EventTypeBatchCompleted),
		[]byte(`{"id":"evt_new","created_at":1750287000,"type":"video.completed","data":{}}`),
		fixture(t, webhooks.EventTypeBatchFailed),
	} {
		d := signedDelivery(t, testSecret, "wh_"+strconv.Itoa(i), testNow, body)
		assert.Equal(t, http.StatusOK, serve(h, d.request()).Code)
	}
	assert.Len(t, got, 1)
}

func TestHandlerPutsDeliveryInContext(t *testing.T) {
	var got webhooks.Delivery
	var ok bool
	h := webhooks.NewHandler(testVerifier(t), func(ctx context.Context, _ webhooks.Event) error {
		got, ok = webhooks.DeliveryFromContext(ctx)
		return nil
	})
	signedAt := testNow.Add(-10 * time.Second)
	d := signedDelivery(t, testSecret, "wh_685343a1b2c4", signedAt, fixture(t, webhooks.EventTypeBatchFailed))
	d.headers.Set("User-Agent", "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)")
	require.Equal(t, http.StatusOK, serve(h, d.request()).Code)

	require.True(t, ok)
	assert.Equal(t, "wh_685343a1b2c4", got.ID)
	assert.True(t, signedAt.Equal(got.Timestamp), "got timestamp %v, want %v", got.Timestamp, signedAt)
	assert.Equal(t, "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)", got.Header.Get("User-Agent"))

	_, ok = webhooks.DeliveryFromContext(context.Background())
	assert.False(t, ok)
}

func TestHandlerStoreFailures(t *testing.T) {
	down := errors.New("connection refused")
	tests := []struct {
		name         string
		store        webhookstest.FaultyStore
		fail         func(webhooks.Event) error
		wantStatus   int
		wantCalls    int
		wantErr      error // Outcome.Err; nil: none
		wantStoreErr error // Outcome.StoreErr; nil: none
	}{
		{
			name:       "claim fails: nothing is called, OpenAI retries",
			store:      webhookstest.FaultyStore{ClaimFault: webhookstest.Fault{Err: down}},
			wantStatus: http.StatusServiceUnavailable, wantCalls: 0,
			wantErr: webhooks.ErrStoreUnavailable,
		},
		{
			name:       "done fails after processing: acknowledged, reported",
			store:      webhookstest.FaultyStore{DoneFault: webhookstest.Fault{Err: down}},
			wantStatus: http.StatusOK, wantCalls: 1,
			wantStoreErr: webhooks.ErrStoreUnavailable,
		},
		{
			name:       "release fails after a callback error: 500, the callback's error, the store's apart",
			store:      webhookstest.FaultyStore{ReleaseFault: webhookstest.Fault{Err: down}},
			fail:       func(webhooks.Event) error { return errors.New("callback broke") },
			wantStatus: http.StatusInternalServerError, wantCalls: 1,
			wantErr: webhooks.ErrCallbackFailed, wantStoreErr: webhooks.ErrStoreUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.store.IdempotencyStore = webhooks.NewMemoryStore(0)
			rc := &recorder{fail: tt.fail}
			var got webhooks.Outcome
			h := newTestHandler(t, rc, webhooks.WithIdempotencyStore(tt.store),
				webhooks.WithOutcomes(func(_ context.Context, o webhooks.Outcome) { got = o }))
			d := signedDelivery(t, testSecret, "wh_1", testNow, fixture(t, webhooks.EventTypeResponseCancelled))

			rec := serve(h, d.request())
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, tt.wantStatus, got.Status)
			if tt.wantStatus == http.StatusServiceUnavailable {
				assert.Equal(t, "5", rec.Header().Get("Retry-After"))
			}
			assert.Equal(t, tt.wantCalls, rc.calls())
			assertOneSentinel(t, got.Err, tt.wantErr)
			if tt.wantStoreErr == nil {
				assert.NoError(t, got.StoreErr)
			} else {
				require.ErrorIs(t, got.StoreErr, tt.wantStoreErr)
				require.ErrorIs(t, got.StoreErr, down)
			}
			require.ErrorIs(t, rc.lastErr(), cmp.Or(tt.wantErr, tt.wantStoreErr), "the error handler gets Err, or else StoreErr")
		})
	}
}

func TestHandlerStoreFullIsRetryable(t *testing.T) {
	rc := &recorder{}
	h := newTestHandler(t, rc, webhooks.WithIdempotencyStore(webhooks.NewMemoryStore(64))) // one id a shard
	ok, full := 0, 0
	for i := range 200 {
		d := signedDelivery(t, testSecret, fmt.Sprintf("wh_%d", i), testNow, fixture(t, webhooks.EventTypeBatchCompleted))
		switch rec := serve(h, d.request()); rec.Code {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			full++
			require.ErrorIs(t, rc.lastErr(), webhooks.ErrStoreFull)
		default:
			t.Fatalf("got status %d, want 200 or 503", rec.Code)
		}
	}
	assert.LessOrEqual(t, ok, 64, "a full store must not forget ids")
	assert.Positive(t, full, "a full store answers 503, so that OpenAI retries")
	assert.Equal(t, ok, rc.calls(), "a delivery answered 503 is not processed")
}

func TestHandlerConcurrentCopiesRunOnce(t *testing.T) {
	var calls sync.Map // webhook-id -> *atomic.Int32
	h := webhooks.NewHandler(testVerifier(t), func(ctx context.Context, _ webhooks.Event) error {
		d, _ := webhooks.DeliveryFromContext(ctx)
		n, _ := calls.LoadOrStore(d.ID, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		time.Sleep(time.Millisecond) // widen the window for overlapping copies
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	deliverAll := func(deliveries []testDelivery) []int {
		statuses := make([]int, len(deliveries))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, d := range deliveries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(d.body))
				if err != nil {
					panic(err)
				}
				req.Header = d.headers.Clone()
				<-start
				resp, err := srv.Client().Do(req)
				if err != nil {
					statuses[i] = -1
					return
				}
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}()
		}
		close(start)
		wg.Wait()
		return statuses
	}

	t.Run("50 copies of one delivery", func(t *testing.T) {
		d := signedDelivery(t, testSecret, "wh_same", testNow, fixture(t, webhooks.EventTypeResponseCompleted))
		copies := make([]testDelivery, 50)
		for i := range copies {
			copies[i] = d
		}
		statuses := deliverAll(copies)
		ok := 0
		for _, s := range statuses {
			require.Contains(t, []int{http.StatusOK, http.StatusConflict}, s, "got status %d, want 200 or 409", s)
			if s == http.StatusOK {
				ok++
			}
		}
		assert.GreaterOrEqual(t, ok, 1)
		n, _ := calls.Load("wh_same")
		assert.Equal(t, int32(1), n.(*atomic.Int32).Load(), "the callback must run exactly once")
	})

	t.Run("50 distinct deliveries", func(t *testing.T) {
		deliveries := make([]testDelivery, 50)
		for i := range deliveries {
			deliveries[i] = signedDelivery(t, testSecret, fmt.Sprintf("wh_distinct_%d", i), testNow, fixture(t, webhooks.EventTypeBatchCompleted))
		}
		for i, s := range deliverAll(deliveries) {
			assert.Equal(t, http.StatusOK, s, "delivery %d", i)
		}
		for i := range deliveries {
			n, ok := calls.Load(fmt.Sprintf("wh_distinct_%d", i))
			require.True(t, ok, "delivery %d never reached the callback", i)
			assert.Equal(t, int32(1), n.(*atomic.Int32).Load(), "delivery %d", i)
		}
	})
}

// TestOnRefusesPointers: a callback for a pointer type would never be
// called (events are values), so its events would be acknowledged and
// dropped; On refuses it, naming the value type to write.
func TestOnRefusesPointers(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		assert.Contains(t, msg, "webhooks.ResponseCompletedWebhookEvent)", "got %q, want the value type to write", msg)
	}()
	webhooks.On(func(context.Context, *webhooks.ResponseCompletedWebhookEvent) error { return nil })
	t.Error("On accepted a pointer type")
}

func TestNewHandlerPanicsOnProgrammingErrors(t *testing.T) {
	v := testVerifier(t)
	cb := func(context.Context, webhooks.ResponseCompletedWebhookEvent) error { return nil }
	tests := []struct {
		name string
		make func()
	}{
		{"nil verifier", func() { webhooks.NewHandler(nil, nil) }},
		{"two callbacks for one type", func() { webhooks.NewHandler(v, nil, webhooks.On(cb), webhooks.On(cb)) }},
		{"callback for the Event interface", func() {
			webhooks.On(func(context.Context, webhooks.Event) error { return nil })
		}},
		{"nil typed callback", func() { webhooks.On[webhooks.BatchFailedWebhookEvent](nil) }},
		{"callback for a pointer to an event", func() {
			webhooks.On(func(context.Context, *webhooks.ResponseCompletedWebhookEvent) error { return nil })
		}},
		{"window shorter than twice the tolerance", func() {
			webhooks.NewHandler(v, nil, webhooks.WithIdempotencyWindow(2*webhooks.DefaultTolerance-time.Second))
		}},
		{"zero body limit", func() { webhooks.WithMaxBodyBytes(0) }},
		{"nil store", func() { webhooks.WithIdempotencyStore(nil) }},
		{"a nil pointer to a store", func() { webhooks.WithIdempotencyStore((*webhooks.MemoryStore)(nil)) }},
		{"nil queue", func() { webhooks.WithQueue(nil) }},
		{"a nil pointer to a queue", func() { webhooks.WithQueue((*stuckQueue)(nil)) }},
		{"zero window", func() { webhooks.WithIdempotencyWindow(0) }},
		{"zero lease", func() { webhooks.WithLease(0) }},
		{"a lease in nanoseconds, meant as seconds", func() { webhooks.WithLease(10) }},
		{"a callback timeout in nanoseconds, meant as seconds", func() { webhooks.WithCallbackTimeout(10) }},
		{"negative callback timeout", func() { webhooks.WithCallbackTimeout(-time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Panics(t, tt.make)
		})
	}
}
