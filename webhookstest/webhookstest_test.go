package webhookstest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

func TestNewSecret(t *testing.T) {
	a, b := webhookstest.NewSecret(), webhookstest.NewSecret()
	assert.NotEqual(t, a, b, "secrets must be fresh")
	require.True(t, strings.HasPrefix(a, "whsec_"), "got %q", a)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	require.NoError(t, err)
	assert.Len(t, key, 32)
	_, err = webhooks.NewVerifier(a)
	require.NoError(t, err)
}

func TestNewID(t *testing.T) {
	a, b := webhookstest.NewID(), webhookstest.NewID()
	assert.NotEqual(t, a, b)
	assert.Regexp(t, `^wh_[0-9a-f]{32}$`, a)
}

func TestHeaders(t *testing.T) {
	secret := webhookstest.NewSecret()
	body := webhookstest.Sample(webhooks.EventTypeResponseCompleted)
	now := time.Unix(1750287100, 0)
	verifier, err := webhooks.NewVerifier(secret, webhooks.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	other := webhookstest.NewSecret()
	otherSig, err := webhooks.Sign(other, "wh_1", now, body)
	require.NoError(t, err)

	tests := []struct {
		name    string
		opts    []webhookstest.Option
		check   func(t *testing.T, h http.Header)
		wantErr error
	}{
		{name: "signed now", opts: nil, check: func(t *testing.T, h http.Header) {
			ts, err := strconv.ParseInt(h.Get(webhooks.HeaderTimestamp), 10, 64)
			require.NoError(t, err)
			assert.InDelta(t, time.Now().Unix(), ts, 5)
			assert.Regexp(t, `^wh_[0-9a-f]{32}$`, h.Get(webhooks.HeaderID))
		}, wantErr: webhooks.ErrTimestampTooNew}, // the verifier's clock is in 2025
		{name: "given id and time", opts: []webhookstest.Option{webhookstest.WithID("wh_1"), webhookstest.WithTimestamp(now)},
			check: func(t *testing.T, h http.Header) {
				assert.Equal(t, "wh_1", h.Get(webhooks.HeaderID))
				assert.Equal(t, strconv.FormatInt(now.Unix(), 10), h.Get(webhooks.HeaderTimestamp))
			}},
		{name: "stale", opts: []webhookstest.Option{webhookstest.WithTimestamp(now.Add(-time.Hour))}, wantErr: webhooks.ErrTimestampTooOld},
		{name: "future", opts: []webhookstest.Option{webhookstest.WithTimestamp(now.Add(time.Hour))}, wantErr: webhooks.ErrTimestampTooNew},
		{name: "extra signatures", opts: []webhookstest.Option{webhookstest.WithTimestamp(now), webhookstest.WithID("wh_1"),
			webhookstest.WithExtraSignatures(otherSig, "v1,garbage")},
			check: func(t *testing.T, h http.Header) {
				entries := strings.Split(h.Get(webhooks.HeaderSignature), " ")
				require.Len(t, entries, 3)
				assert.Equal(t, []string{otherSig, "v1,garbage"}, entries[1:])
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := webhookstest.Headers(secret, body, tt.opts...)
			if tt.check != nil {
				tt.check(t, h)
			}
			err := verifier.Verify(body, h)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestNewRequest(t *testing.T) {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	require.NoError(t, err)

	literal := webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: 1750287018, Data: webhooks.BatchFailedWebhookEventData{ID: "batch_1"}}
	tests := []struct {
		name  string
		event any
		want  webhooks.Event
	}{
		{"sample body", webhookstest.Sample(webhooks.EventTypeEvalRunFailed), mustParse(t, webhookstest.Sample(webhooks.EventTypeEvalRunFailed))},
		{"struct literal", literal, webhooks.BatchFailedWebhookEvent{ID: "evt_1", CreatedAt: 1750287018, Data: literal.Data, Type: webhooks.EventTypeBatchFailed, Object: "event"}},
		{"raw message", json.RawMessage(`{"id":"evt_2","created_at":1,"type":"new.type","data":{}}`),
			webhooks.UnknownEvent{ID: "evt_2", CreatedAt: 1, Type: "new.type", Data: json.RawMessage(`{}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := webhookstest.NewRequest(secret, tt.event, webhookstest.WithTarget("/hooks/openai"))
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, "/hooks/openai", req.URL.Path)
			assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
			body, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			assert.Equal(t, int64(len(body)), req.ContentLength)

			got, err := verifier.Unwrap(body, req.Header)
			require.NoError(t, err)
			if e, ok := got.(webhooks.BatchFailedWebhookEvent); ok {
				assert.JSONEq(t, `{"id":"batch_1"}`, string(e.Data.Raw))
				e.Data.Raw = nil // nil in the literal
				got = e
			}
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("each request is a new delivery", func(t *testing.T) {
		a := webhookstest.NewRequest(secret, literal)
		b := webhookstest.NewRequest(secret, literal)
		assert.NotEqual(t, a.Header.Get(webhooks.HeaderID), b.Header.Get(webhooks.HeaderID))
	})
	t.Run("panics on misuse", func(t *testing.T) {
		assert.Panics(t, func() { webhookstest.NewRequest("whsec_short", literal) })
		assert.Panics(t, func() { webhookstest.NewRequest(secret, make(chan int)) })
	})
}

func mustParse(t *testing.T, body []byte) webhooks.Event {
	t.Helper()
	e, err := webhooks.ParseEvent(body)
	require.NoError(t, err)
	return e
}

func TestSample(t *testing.T) {
	for _, typ := range webhooks.EventTypes() {
		t.Run(string(typ), func(t *testing.T) {
			body := webhookstest.Sample(typ)
			event, err := webhooks.ParseEvent(body)
			require.NoError(t, err)
			assert.Equal(t, typ, event.EventType())
			assert.NotEqual(t, reflect.TypeOf(webhooks.UnknownEvent{}), reflect.TypeOf(event))
			assert.Regexp(t, `^evt_[0-9a-f]{32}$`, event.EventID())

			// A sample sets every field, optional ones included, so that
			// tests built on it see every field of the struct.
			assertNoZeroField(t, reflect.ValueOf(event), string(typ))

			body[0] = 'x'
			assert.Equal(t, byte('{'), webhookstest.Sample(typ)[0], "Sample must return a copy")
		})
	}
	t.Run("unknown type panics", func(t *testing.T) {
		assert.Panics(t, func() { webhookstest.Sample("video.completed") })
		assert.Panics(t, func() { webhookstest.Sample("../testdata/batch.failed") })
	})
}

// assertNoZeroField fails for every field of v, at any depth, that holds its
// zero value.
func assertNoZeroField(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if assert.False(t, v.IsNil(), "%s is nil", path) {
			assertNoZeroField(t, v.Elem(), path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			assertNoZeroField(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		if assert.NotZero(t, v.Len(), "%s is empty", path) {
			assertNoZeroField(t, v.Index(0), path+"[0]")
		}
	default:
		assert.False(t, v.IsZero(), "%s is zero", path)
	}
}

func TestNewRequestServesAHandler(t *testing.T) {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	require.NoError(t, err)
	var got []webhooks.Event
	handler := webhooks.NewHandler(verifier, func(_ context.Context, e webhooks.Event) error {
		got = append(got, e)
		return nil
	})
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, webhookstest.NewRequest(secret, webhookstest.Sample(webhooks.EventTypeLiveTransportIncoming)))
	assert.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, got, 1)
	assert.IsType(t, webhooks.LiveTransportIncomingWebhookEvent{}, got[0])

	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, webhookstest.NewRequest(webhookstest.NewSecret(), webhookstest.Sample(webhooks.EventTypeLiveTransportIncoming)))
	assert.Equal(t, http.StatusBadRequest, rec.Code, "signed with another secret")
}

// TestNewRequestThroughAMux runs the README's "Testing your handler" pattern
// as written: the receiver under test is a ServeMux that serves the Handler
// at /webhooks/openai, as the README's service does.
func TestNewRequestThroughAMux(t *testing.T) {
	tests := []struct {
		name       string
		mountedAt  string
		opts       []webhookstest.Option
		wantStatus int
	}{
		{"the README's path, the default target", "/webhooks/openai", nil, http.StatusOK},
		{"another path, WithTarget", "/hooks/openai", []webhookstest.Option{webhookstest.WithTarget("/hooks/openai")}, http.StatusOK},
		{"another path, the default target", "/hooks/openai", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := webhookstest.NewSecret()
			newReceiver := func(secret string) http.Handler {
				verifier, err := webhooks.NewVerifier(secret)
				require.NoError(t, err)
				mux := http.NewServeMux()
				mux.Handle(tt.mountedAt, webhooks.NewHandler(verifier, func(context.Context, webhooks.Event) error { return nil }))
				return mux
			}
			handler := newReceiver(secret)

			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, webhookstest.NewRequest(secret, webhookstest.Sample(webhooks.EventTypeBatchCompleted), tt.opts...))
			assert.Equal(t, tt.wantStatus, rec.Code, "got %d, want %d", rec.Code, tt.wantStatus)
		})
	}
}
