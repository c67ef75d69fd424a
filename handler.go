package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
)

// DefaultMaxBodyBytes is the largest body a [Handler] reads unless
// [WithMaxBodyBytes] says otherwise. OpenAI's events carry ids, not
// resources, and weigh a few hundred bytes.
const DefaultMaxBodyBytes = 1 << 20

// idempotencyMargin is how much longer than the verifier's tolerance a
// Handler remembers a webhook-id by default.
const idempotencyMargin = time.Minute

// retryAfter is the Retry-After, in seconds, of the answers that ask OpenAI
// to send a delivery again.
const retryAfter = "5"

// Errors a [Handler] passes to the function given to [WithErrorHandler],
// besides those of [Verifier.Unwrap]. Each names the answer it caused.
var (
	// ErrMethodNotAllowed: the request was not a POST (405).
	ErrMethodNotAllowed = errors.New("webhooks: method not allowed")
	// ErrBodyTooLarge: the body exceeds the limit of [WithMaxBodyBytes] (413).
	ErrBodyTooLarge = errors.New("webhooks: body too large")
	// ErrBodyUnreadable: reading the body failed, for example because the
	// client went away (400).
	ErrBodyUnreadable = errors.New("webhooks: cannot read body")
	// ErrInProgress: another delivery with the same webhook-id is being
	// processed (409, so that OpenAI sends it again).
	ErrInProgress = errors.New("webhooks: delivery already in progress")
	// ErrCallbackFailed: the callback returned an error, which this one
	// wraps, or panicked (500, so that OpenAI sends it again).
	ErrCallbackFailed = errors.New("webhooks: callback failed")
	// ErrStoreUnavailable: the [IdempotencyStore] failed, and the callback
	// was not called (503, so that OpenAI sends it again). After a
	// successful callback, a failure to record it is reported with this
	// error too, and answered 200.
	ErrStoreUnavailable = errors.New("webhooks: idempotency store unavailable")
)

// A Handler is an [http.Handler] that receives OpenAI webhooks: it reads the
// body up to a limit, verifies and decodes it with a [Verifier], processes
// each webhook-id once through an [IdempotencyStore], calls the callback for
// the event's type, and answers with the status that makes OpenAI retry a
// delivery exactly when it was not processed:
//
//	405  not a POST (with Allow: POST)
//	413  body over the limit, which is not read further
//	400  missing or malformed headers, bad signature, timestamp out of
//	     tolerance, invalid payload (with a generic body)
//	200  processed by the callback, or processed before (a retry), or a type
//	     with no callback
//	409  the same webhook-id is being processed right now (with Retry-After)
//	500  the callback returned an error or panicked (its claim is released,
//	     so the retry is processed)
//	503  the idempotency store failed (with Retry-After); nothing was called
//
// A Handler is safe for concurrent use; create it with [NewHandler].
type Handler struct {
	verifier *Verifier
	fallback func(context.Context, Event) error
	routes   map[reflect.Type]func(context.Context, Event) error
	maxBody  int64
	store    IdempotencyStore // nil: no deduplication
	storeSet bool             // an option chose the store
	window   time.Duration
	onError  func(*http.Request, error)

	tokenPrefix string // random, so that tokens differ between processes
	tokens      atomic.Uint64
}

var _ http.Handler = (*Handler)(nil)

// A HandlerOption configures a [Handler] in [NewHandler].
type HandlerOption func(*Handler)

// NewHandler returns a Handler that verifies deliveries with v and passes
// each event to the callback registered for its type with [On], or else to
// fallback. With a nil fallback, events of other types, and unknown types,
// are acknowledged and dropped.
//
// By default a Handler reads bodies up to [DefaultMaxBodyBytes] and
// deduplicates with a [MemoryStore] of [DefaultMemoryStoreCapacity] ids,
// each remembered for v's tolerance plus a minute; a delivery older than
// that fails the timestamp check anyway.
//
// NewHandler panics if v is nil or an option is given an unusable value,
// as [http.ServeMux.Handle] panics on a bad pattern: these are mistakes in
// the program, found the first time it runs.
func NewHandler(v *Verifier, fallback func(ctx context.Context, e Event) error, opts ...HandlerOption) *Handler {
	if v == nil {
		panic("webhooks: NewHandler with a nil Verifier")
	}
	var prefix [8]byte
	_, _ = rand.Read(prefix[:]) // never fails (crypto/rand)
	h := &Handler{
		verifier:    v,
		fallback:    fallback,
		routes:      make(map[reflect.Type]func(context.Context, Event) error),
		maxBody:     DefaultMaxBodyBytes,
		window:      v.tolerance + idempotencyMargin,
		tokenPrefix: hex.EncodeToString(prefix[:]),
	}
	for _, opt := range opts {
		opt(h)
	}
	if !h.storeSet {
		h.store = NewMemoryStore(0)
	}
	return h
}

// On registers fn as the callback for events of type E, one of this
// package's event structs (or [UnknownEvent], for the types this version
// does not know). fn receives the event as its own type, so it needs no type
// assertion:
//
//	webhooks.On(func(ctx context.Context, e webhooks.ResponseCompletedWebhookEvent) error {
//		return fetchResponse(ctx, e.Data.ID)
//	})
//
// A type may have one callback; registering a second panics.
func On[E Event](fn func(ctx context.Context, e E) error) HandlerOption {
	t := reflect.TypeFor[E]()
	if t.Kind() == reflect.Interface {
		panic("webhooks: On needs an event struct type; pass a callback for every event to NewHandler")
	}
	if fn == nil {
		panic("webhooks: On with a nil callback for " + t.Name())
	}
	return func(h *Handler) {
		if _, dup := h.routes[t]; dup {
			panic("webhooks: a second callback for " + t.Name())
		}
		h.routes[t] = func(ctx context.Context, e Event) error { return fn(ctx, e.(E)) }
	}
}

// WithMaxBodyBytes sets the largest body the Handler reads; larger ones
// are answered 413. n must be positive.
func WithMaxBodyBytes(n int64) HandlerOption {
	if n <= 0 {
		panic(fmt.Sprintf("webhooks: WithMaxBodyBytes(%d): the limit must be positive", n))
	}
	return func(h *Handler) { h.maxBody = n }
}

// WithIdempotencyStore makes the Handler deduplicate deliveries with store,
// in place of its own [MemoryStore]: for example a store shared by the
// replicas of a service.
func WithIdempotencyStore(store IdempotencyStore) HandlerOption {
	if store == nil {
		panic("webhooks: WithIdempotencyStore(nil); use WithoutIdempotency to turn deduplication off")
	}
	return func(h *Handler) { h.store, h.storeSet = store, true }
}

// WithoutIdempotency turns deduplication off: every authentic delivery is
// passed to the callback, retries and concurrent copies included.
func WithoutIdempotency() HandlerOption {
	return func(h *Handler) { h.store, h.storeSet = nil, true }
}

// WithIdempotencyWindow sets how long the Handler's store remembers a
// webhook-id, processed or in progress. The default, the verifier's
// tolerance plus a minute, covers replays of one signed request: after it,
// the timestamp check rejects them. OpenAI signs each retry anew, so a
// retry of a delivery whose 2xx answer was lost can arrive later, up to 72
// hours later; a service that must never process such a retry twice sets a
// window that long and a store that can hold it (see the redisstore module).
// d must be positive.
func WithIdempotencyWindow(d time.Duration) HandlerOption {
	if d <= 0 {
		panic(fmt.Sprintf("webhooks: WithIdempotencyWindow(%v): the window must be positive", d))
	}
	return func(h *Handler) { h.window = d }
}

// WithErrorHandler sets a function that the Handler calls with every
// delivery it does not answer 200, and with the reason, which matches one of
// this package's sentinel errors. The answer itself stays generic; the
// function is the place to log the reason. It must be safe for concurrent
// use.
func WithErrorHandler(fn func(r *http.Request, err error)) HandlerOption {
	return func(h *Handler) { h.onError = fn }
}

// Delivery describes the HTTP delivery that carried an event. A Handler
// puts it in the context it passes to callbacks; read it with
// [DeliveryFromContext].
type Delivery struct {
	// ID is the webhook-id header: the same for every attempt to deliver
	// one event, so it identifies retries.
	ID string
	// Timestamp is the webhook-timestamp header: when this attempt was
	// signed.
	Timestamp time.Time
	// Header holds the request's headers, for whatever else a service
	// records (User-Agent, or an attempt counter where a sender adds one;
	// OpenAI documents none). It must not be modified.
	Header http.Header
}

type deliveryKey struct{}

// DeliveryFromContext returns the Delivery that a Handler put in the
// context of a callback, and whether there was one.
func DeliveryFromContext(ctx context.Context) (Delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(Delivery)
	return d, ok
}

// ServeHTTP handles one delivery, as described on [Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, err := h.handle(w, r)
	if err != nil && h.onError != nil {
		h.onError(r, err)
	}
	switch status {
	case http.StatusOK:
		w.WriteHeader(http.StatusOK)
		return
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
	case http.StatusConflict, http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryAfter)
	}
	http.Error(w, answers[status], status)
}

// answers are the generic bodies of the answers that are not 200. They
// never say more than the status, so that nothing about the secret or the
// verification leaks.
var answers = map[int]string{
	http.StatusMethodNotAllowed:      "method not allowed",
	http.StatusRequestEntityTooLarge: "body too large",
	http.StatusBadRequest:            "invalid webhook",
	http.StatusConflict:              "delivery in progress; retry later",
	http.StatusInternalServerError:   "processing failed; retry later",
	http.StatusServiceUnavailable:    "temporarily unavailable; retry later",
}

// handle processes the delivery in r and returns the status to answer, and
// the reason when it is not 200 (or when a success could not be recorded).
func (h *Handler) handle(w http.ResponseWriter, r *http.Request) (int, error) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, fmt.Errorf("%w: %s", ErrMethodNotAllowed, r.Method)
	}
	body, err := h.readBody(w, r)
	if err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			return http.StatusRequestEntityTooLarge, err
		}
		return http.StatusBadRequest, err
	}
	d, err := h.verifier.verify(body, r.Header)
	if err != nil {
		return http.StatusBadRequest, err
	}
	event, err := ParseEvent(body)
	if err != nil {
		return http.StatusBadRequest, err
	}
	fn := h.routes[reflect.TypeOf(event)]
	if fn == nil {
		fn = h.fallback
	}
	if fn == nil {
		return http.StatusOK, nil // nobody to tell: acknowledged
	}
	ctx := context.WithValue(r.Context(), deliveryKey{}, Delivery{
		ID: d.id, Timestamp: time.Unix(d.timestamp, 0), Header: r.Header,
	})
	if h.store == nil {
		if err := call(ctx, fn, event); err != nil {
			return http.StatusInternalServerError, err
		}
		return http.StatusOK, nil
	}
	return h.once(ctx, d.id, fn, event)
}

// once calls fn for event unless the store says that the delivery id was, or
// is being, processed.
func (h *Handler) once(ctx context.Context, id string, fn func(context.Context, Event) error, event Event) (int, error) {
	token := h.tokenPrefix + "-" + strconv.FormatUint(h.tokens.Add(1), 10)
	status, err := h.store.Claim(ctx, id, token, h.window)
	switch {
	case err != nil:
		return http.StatusServiceUnavailable, fmt.Errorf("%w: claiming %s: %w", ErrStoreUnavailable, id, err)
	case status == Processed:
		return http.StatusOK, nil
	case status == InProgress:
		return http.StatusConflict, fmt.Errorf("%w: %s", ErrInProgress, id)
	case status != Claimed:
		return http.StatusServiceUnavailable, fmt.Errorf("%w: claiming %s: unknown status %v", ErrStoreUnavailable, id, status)
	}
	// Record the outcome even if the client has gone away meanwhile.
	bookkeeping := context.WithoutCancel(ctx)
	if err := call(ctx, fn, event); err != nil {
		if relErr := h.store.Release(bookkeeping, id, token); relErr != nil {
			err = errors.Join(err, fmt.Errorf("%w: releasing %s: %w", ErrStoreUnavailable, id, relErr))
		}
		return http.StatusInternalServerError, err
	}
	if err := h.store.Done(bookkeeping, id, token, h.window); err != nil {
		// Processed: answering anything but 2xx would have it processed again.
		return http.StatusOK, fmt.Errorf("%w: recording %s as processed: %w", ErrStoreUnavailable, id, err)
	}
	return http.StatusOK, nil
}

// call runs fn, turning an error or a panic into an ErrCallbackFailed.
func call(ctx context.Context, fn func(context.Context, Event) error, event Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s event %s: panic: %v\n%s", ErrCallbackFailed, event.EventType(), event.EventID(), p, debug.Stack())
		}
	}()
	if err := fn(ctx, event); err != nil {
		return fmt.Errorf("%w: %s event %s: %w", ErrCallbackFailed, event.EventType(), event.EventID(), err)
	}
	return nil
}

// readBody reads the body of r, up to the limit and not a byte further.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.maxBody {
		return nil, fmt.Errorf("%w: Content-Length %d, limit %d", ErrBodyTooLarge, r.ContentLength, h.maxBody)
	}
	// Room for the announced length, so that the body is read in one pass.
	buf := bytes.NewBuffer(make([]byte, 0, max(r.ContentLength, 0)+bytes.MinRead))
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("%w: limit %d", ErrBodyTooLarge, h.maxBody)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrBodyUnreadable, err)
	}
	return buf.Bytes(), nil
}
