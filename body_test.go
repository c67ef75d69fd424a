package webhooks_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/go-openai-webhooks/webhooks"
)

// TestHandlerChecksHeadersBeforeTheBody: a request whose headers no
// delivery could verify with is refused before a byte of its body is read,
// with the error of its first fault.
func TestHandlerChecksHeadersBeforeTheBody(t *testing.T) {
	body := fixture(t, webhooks.EventTypeBatchCompleted)
	valid := signedDelivery(t, testSecret, "wh_1", testNow, body).headers
	with := func(name, value string) http.Header {
		h := valid.Clone()
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	unix := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	tests := []struct {
		name    string
		headers http.Header
		wantErr error
	}{
		{"no webhook-id", with(webhooks.HeaderID, ""), webhooks.ErrMissingHeader},
		{"no webhook-timestamp", with(webhooks.HeaderTimestamp, ""), webhooks.ErrMissingHeader},
		{"no webhook-signature", with(webhooks.HeaderSignature, ""), webhooks.ErrMissingHeader},
		{"timestamp not a number", with(webhooks.HeaderTimestamp, "soon"), webhooks.ErrInvalidHeader},
		{"signature without an entry", with(webhooks.HeaderSignature, "   "), webhooks.ErrInvalidHeader},
		{"timestamp too old", with(webhooks.HeaderTimestamp, unix(testNow.Add(-time.Hour))), webhooks.ErrTimestampTooOld},
		{"timestamp too new", with(webhooks.HeaderTimestamp, unix(testNow.Add(time.Hour))), webhooks.ErrTimestampTooNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got webhooks.Outcome
			h := webhooks.NewHandler(testVerifier(t), func(context.Context, webhooks.Event) error { return nil },
				webhooks.WithOutcomes(func(_ context.Context, o webhooks.Outcome) { got = o }))
			counter := &countingReader{r: bytes.NewReader(body)}
			req := httptest.NewRequest(http.MethodPost, "/webhooks/openai", counter)
			req.Header = tt.headers
			rec := serve(h, req)
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assertOneSentinel(t, got.Err, tt.wantErr)
			assert.Zero(t, counter.n, "got %d bytes of the body read, want none", counter.n)
		})
	}
}

// stallingReader gives n bytes, then blocks until its request is given up,
// as a client that announced a large body and sent little of it.
type stallingReader struct {
	n    int
	gone <-chan struct{}
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.n > 0 {
		k := min(len(p), s.n)
		s.n -= k
		return k, nil
	}
	<-s.gone
	return 0, io.ErrUnexpectedEOF
}

// allocated returns the bytes that f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHandlerBodyMemoryFollowsTheBytes: the memory a body costs follows the
// bytes that arrive, not the length a client announces, and a body of the
// limit costs at most about twice its size, announced or streamed.
func TestHandlerBodyMemoryFollowsTheBytes(t *testing.T) {
	const limit = 1 << 20
	headers := signedDelivery(t, testSecret, "wh_1", testNow, []byte("{}")).headers // valid-looking; the body will not match
	h := webhooks.NewHandler(testVerifier(t), func(context.Context, webhooks.Event) error { return nil })
	send := func(r io.Reader, length int64) int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/openai", r)
		req.Header = headers.Clone()
		req.ContentLength = length
		return serve(h, req).Code
	}
	tests := []struct {
		name     string
		body     func() io.Reader
		length   int64
		maxBytes uint64
	}{
		{"announces 1 MiB, sends 10 bytes and stalls", func() io.Reader {
			gone := make(chan struct{})
			time.AfterFunc(50*time.Millisecond, func() { close(gone) })
			return &stallingReader{n: 10, gone: gone}
		}, limit, 128 << 10},
		{"1 MiB, announced", func() io.Reader { return bytes.NewReader(make([]byte, limit)) }, limit, 5 << 19},
		{"1 MiB, streamed", func() io.Reader { return bytes.NewReader(make([]byte, limit)) }, -1, 5 << 19},
		{"150 bytes, streamed", func() io.Reader { return bytes.NewReader(make([]byte, 150)) }, -1, 80 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status int
			body := tt.body()
			got := allocated(func() { status = send(body, tt.length) })
			assert.Equal(t, http.StatusBadRequest, status)
			assert.LessOrEqual(t, got, tt.maxBytes, "got %d bytes allocated, want at most %d", got, tt.maxBytes)
		})
	}
}
