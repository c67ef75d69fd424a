package webhooks

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync/atomic"
	"time"
)

// DefaultMaxBodyBytes is the largest body a [Handler] reads unless
// [WithMaxBodyBytes] says otherwise. OpenAI's events carry ids, not
// resources, and weigh a few hundred bytes.
const DefaultMaxBodyBytes = 1 << 20

// DefaultCallbackTimeout is how long a callback may run unless
// [WithCallbackTimeout] says otherwise. OpenAI does not say how long it waits
// for an answer ("a few seconds"); Standard Webhooks senders commonly wait
// 15. A callback that needs longer belongs in a queue (see the riverqueue
// module).
const DefaultCallbackTimeout = 10 * time.Second

// DefaultLease is how long a claim on a webhook-id lasts before it is
// renewed, unless [WithLease] says otherwise. It bounds how long a replica
// that crashed in the middle of a callback keeps OpenAI's next copy waiting
// (answered 409): ten seconds, less than OpenAI's first retry is likely to
// take. Renewed every third of it, it survives a slow or failed round trip
// to the store.
const DefaultLease = 10 * time.Second

// idempotencyMargin is how much longer than twice the verifier's tolerance
// a Handler remembers a processed webhook-id by default: a delivery is
// accepted from its timestamp minus the tolerance to its timestamp plus the
// tolerance, so a copy can arrive up to twice the tolerance after the first
// is processed; the margin covers clocks that differ between replicas.
const idempotencyMargin = time.Minute

// retryAfter is the Retry-After, in seconds, of the answers that ask OpenAI
// to send a delivery again.
const retryAfter = "5"

// Errors of a [Handler], besides those of [Verifier.Unwrap], in the
// [Outcome] of a delivery. Each names the answer it causes.
var (
	// ErrMethodNotAllowed: the request was not a POST (405).
	ErrMethodNotAllowed = errors.New("webhooks: method not allowed")
	// ErrBodyTooLarge: the body exceeds the limit of [WithMaxBodyBytes] (413).
	ErrBodyTooLarge = errors.New("webhooks: body too large")
	// ErrBodyUnreadable: reading the body failed, for example because the
	// client went away (400).
	ErrBodyUnreadable = errors.New("webhooks: cannot read body")
	// ErrInProgress: another delivery with the same webhook-id holds a claim
	// that has not lapsed (409, so that OpenAI sends it again).
	ErrInProgress = errors.New("webhooks: delivery already in progress")
	// ErrCallbackFailed: the callback returned an error, which this one
	// wraps, panicked, or did not return by its deadline (500, so that OpenAI
	// sends it again).
	ErrCallbackFailed = errors.New("webhooks: callback failed")
	// ErrStoreUnavailable: the [IdempotencyStore] failed, and the callback
	// was not called (503, so that OpenAI sends it again). It also wraps
	// [Outcome.StoreErr].
	ErrStoreUnavailable = errors.New("webhooks: idempotency store unavailable")
)

// A Handler receives OpenAI webhooks: it verifies and decodes each
// delivery with a [Verifier], processes each webhook-id once through an
// [IdempotencyStore], calls the callback for the event's type, and answers
// with the status that makes OpenAI retry a delivery exactly when it was not
// processed. It is an [http.Handler]; [Handler.Receive] is the same work for
// any other transport, such as a serverless function. The answers:
//
//	405  not a POST (with Allow: POST)
//	413  body over the limit, which is not read further
//	400  missing or malformed headers, bad signature, timestamp out of
//	     tolerance, invalid payload (with a generic body); ServeHTTP checks
//	     the headers before it reads the body
//	200  processed by the callback, or processed before (a copy), or a
//	     type with no callback; with [WithQueue], stored in the queue
//	409  the same webhook-id is being processed right now (with Retry-After)
//	500  the callback returned an error, panicked or passed its deadline
//	     (its claim is released, so that the next copy is processed), or
//	     its claim was lost
//	503  the idempotency store or the queue failed or did not answer in
//	     time (with Retry-After); nothing was called
//
// A Handler is safe for concurrent use; create it with [NewHandler].
type Handler struct {
	verifier        *Verifier
	fallback        func(context.Context, Event) error
	routes          map[reflect.Type]func(context.Context, Event) error
	maxBody         int64
	store           IdempotencyStore // nil: no deduplication
	storeSet        bool             // an option chose the store
	inlineStore     bool             // the store is a MemoryStore: called without a goroutine of its own
	queue           Queue            // nil: callbacks run at once
	window          time.Duration
	windowSet       bool // WithIdempotencyWindow chose it
	lease           time.Duration
	callbackTimeout time.Duration
	onError         func(*http.Request, error)
	outcomes        func(context.Context, Outcome)
	observer        Observer // nil: none

	tokenPrefix string // random, so that tokens differ between processes
	tokens      atomic.Uint64
}

var _ http.Handler = (*Handler)(nil)

// A HandlerOption configures a [Handler] in [NewHandler].
type HandlerOption func(*Handler)

// NewHandler returns a Handler that verifies deliveries with v and passes
// each event to the callback registered for its type with [On], or else to
// fallback. With a nil fallback, events of other types, and unknown types,
// are acknowledged and dropped; a Handler with neither a fallback, nor an
// On, nor a queue ([WithQueue]) would drop them all, and is refused.
//
// By default a Handler reads bodies up to [DefaultMaxBodyBytes], gives each
// callback [DefaultCallbackTimeout], and deduplicates with a [MemoryStore]
// of [DefaultMemoryStoreCapacity] ids: a claim lasts [DefaultLease] and is
// renewed while its callback runs, and a processed id is remembered for
// twice v's tolerance plus a minute, 11 minutes by default, which covers
// every copy the verifier still accepts (see [WithIdempotencyWindow]).
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
		verifier:        v,
		fallback:        fallback,
		routes:          make(map[reflect.Type]func(context.Context, Event) error),
		maxBody:         DefaultMaxBodyBytes,
		window:          2*v.tolerance + idempotencyMargin,
		lease:           DefaultLease,
		callbackTimeout: DefaultCallbackTimeout,
		tokenPrefix:     hex.EncodeToString(prefix[:]),
	}
	for _, opt := range opts {
		opt(h)
	}
	if fallback == nil && len(h.routes) == 0 && h.queue == nil {
		panic("webhooks: NewHandler with no callback: without a fallback, an On or a queue, every delivery " +
			"would be acknowledged and dropped; pass a fallback that returns nil to acknowledge them on purpose")
	}
	if !h.storeSet {
		h.store = NewMemoryStore(0)
	}
	_, h.inlineStore = h.store.(*MemoryStore)
	if h.windowSet && h.window < 2*v.tolerance {
		panic(fmt.Sprintf("webhooks: WithIdempotencyWindow(%v) is shorter than twice the verifier's tolerance (%v): "+
			"a copy of a delivery can arrive up to %v after the first and would be processed again; use at least %v",
			h.window, v.tolerance, 2*v.tolerance, 2*v.tolerance))
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
	// ParseEvent returns this package's structs as values: a route for any
	// other type would never match, and its deliveries would be
	// acknowledged unprocessed.
	switch {
	case t.Kind() == reflect.Interface:
		panic("webhooks: On needs an event struct type; pass a callback for every event to NewHandler")
	case t.Kind() == reflect.Pointer && t.Elem().PkgPath() == eventsPkg:
		panic("webhooks: On needs an event struct type, not a pointer: write func(ctx context.Context, e webhooks." +
			t.Elem().Name() + ") error")
	case t.PkgPath() != eventsPkg:
		panic("webhooks: On needs one of this package's event structs, such as webhooks.ResponseCompletedWebhookEvent, not " +
			t.String() + ", which no delivery decodes to")
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

// eventsPkg is the import path of this package, whose structs events are.
var eventsPkg = reflect.TypeFor[UnknownEvent]().PkgPath()

// isNil reports whether v is nil or holds a nil pointer, map, func or
// channel: an interface that passes a nil check and fails at first use.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// minDuration is the shortest lease, callback timeout or window a Handler
// takes: anything shorter is a count of nanoseconds meant as seconds.
const minDuration = time.Millisecond

// checkDuration panics if d, given to the option named opt, is shorter
// than minDuration.
func checkDuration(opt, what string, d time.Duration) {
	if d < minDuration {
		panic(fmt.Sprintf("webhooks: %s(%v): the %s must be at least %v; a time.Duration counts nanoseconds: "+
			"write %d * time.Second for seconds", opt, d, what, minDuration, max(d, 1)))
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
	if isNil(store) {
		panic("webhooks: WithIdempotencyStore(nil); use WithoutIdempotency to turn deduplication off")
	}
	return func(h *Handler) { h.store, h.storeSet = store, true }
}

// WithoutIdempotency turns deduplication off: every authentic delivery is
// passed to the callback, retries and concurrent copies included.
func WithoutIdempotency() HandlerOption {
	return func(h *Handler) { h.store, h.storeSet = nil, true }
}

// WithIdempotencyWindow sets how long the Handler's store remembers that a
// webhook-id was processed. The default, twice the verifier's tolerance plus
// a minute (11 minutes with the default tolerance), covers every copy of a
// delivery that the verifier can still accept: a signed request is accepted
// for its timestamp plus the tolerance, and may be processed as early as its
// timestamp minus the tolerance. NewHandler refuses (panics on) a window
// shorter than twice the tolerance, which would let a replay be processed
// twice.
//
// OpenAI signs each retry anew, so a retry of a delivery whose 2xx answer
// was lost can arrive later, up to 72 hours later; a service that must never
// process such a retry twice sets a window that long and a store that can
// hold it (see the redisstore module), or processes through a queue (see
// [WithQueue]), which keeps each webhook-id for as long. A claim lasts the
// lease (see [WithLease]), not the window. d must be at least a millisecond.
func WithIdempotencyWindow(d time.Duration) HandlerOption {
	checkDuration("WithIdempotencyWindow", "window", d)
	return func(h *Handler) { h.window, h.windowSet = d, true }
}

// WithLease sets how long a claim on a webhook-id lasts before the Handler
// renews it, which it does every third of d, on a goroutine of its own, for
// as long as the callback runs and the store records its outcome. A replica
// that crashes keeps the next copy of its delivery waiting for at most d. If
// renewals fail until d has passed since the last one that succeeded, the
// claim has lapsed and another replica may take it: the Handler cancels the
// callback's context, answers 500 and records nothing.
//
// The lease also bounds each call to the store: a third of it, after which
// the Handler goes on without the store's answer, whatever the store does
// with its context. The default is [DefaultLease]; d must be at least a millisecond.
func WithLease(d time.Duration) HandlerOption {
	checkDuration("WithLease", "lease", d)
	return func(h *Handler) { h.lease = d }
}

// WithCallbackTimeout sets how long a callback may run: its context's
// deadline. A callback that has not returned by then counts as failed: the
// Handler answers 500 without waiting for it. Its claim is kept, renewed,
// while it still runs, for up to d more, so that no copy runs beside it, and
// its result is recorded when it returns: a late success makes the next
// copy a duplicate, a late error releases the claim. A callback still
// running then is taken for hung, and its claim lapses within a lease, so
// that the next copy is processed: a callback must stop when its context is
// done, or its work may be done twice. The default is
// [DefaultCallbackTimeout]; d must be at least a millisecond.
func WithCallbackTimeout(d time.Duration) HandlerOption {
	checkDuration("WithCallbackTimeout", "timeout", d)
	return func(h *Handler) { h.callbackTimeout = d }
}

// WithOutcomes sets a function that the Handler calls with the [Outcome] of
// every delivery, answered or not, from ServeHTTP and from Receive, once the
// answer is decided: to count, log ([LogOutcomes]) and alert. It runs on the
// delivery's goroutine, before the answer is written, and must be safe for
// concurrent use.
func WithOutcomes(fn func(ctx context.Context, o Outcome)) HandlerOption {
	return func(h *Handler) { h.outcomes = fn }
}

// WithErrorHandler sets a function that ServeHTTP calls with every delivery
// whose [Outcome] has an error: with Outcome.Err for each one not answered
// 2xx, and with Outcome.StoreErr for one processed whose record failed. The
// answer itself stays generic; the function is the place to log the reason.
// It must be safe for concurrent use. [WithOutcomes] sees every delivery,
// from Receive too.
func WithErrorHandler(fn func(r *http.Request, err error)) HandlerOption {
	return func(h *Handler) { h.onError = fn }
}

// Delivery describes the delivery that carried an event. A Handler puts it
// in the context it passes to callbacks; read it with [DeliveryFromContext].
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
	// Attempt is the Queue's attempt at processing the delivery, from 1, for
	// a delivery that a Queue's worker passed to [Handler.Process]; it is 0
	// for one being received, whose attempts OpenAI does not number.
	Attempt int
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
	start := time.Now()
	ctx := h.observeStart(r.Context(), StartInfo{Request: r, Header: r.Header})
	o := h.serve(ctx, w, r)
	h.report(ctx, &o, start)
	if h.onError != nil {
		if err := cmp.Or(o.Err, o.StoreErr); err != nil {
			h.onError(r, err)
		}
	}
	switch o.Status {
	case http.StatusOK:
		w.WriteHeader(http.StatusOK)
		return
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
	case http.StatusConflict, http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryAfter)
	}
	http.Error(w, answers[o.Status], o.Status)
}

// serve implements ServeHTTP but for the report and the answer. What can be
// refused without the body is refused before a byte of it is read: a method
// other than POST, an announced length over the limit, and headers that no
// delivery could verify with.
func (h *Handler) serve(ctx context.Context, w http.ResponseWriter, r *http.Request) Outcome {
	if r.Method != http.MethodPost {
		return rejected(http.StatusMethodNotAllowed, fmt.Errorf("%w: %s", ErrMethodNotAllowed, r.Method), r.Header)
	}
	if r.ContentLength > h.maxBody {
		return rejected(http.StatusRequestEntityTooLarge,
			fmt.Errorf("%w: Content-Length %d, limit %d", ErrBodyTooLarge, r.ContentLength, h.maxBody), r.Header)
	}
	if err := h.verifier.checkBeforeBody(r.Header); err != nil {
		return rejected(http.StatusBadRequest, err, r.Header)
	}
	body, err := h.readBody(w, r)
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return rejected(http.StatusRequestEntityTooLarge, err, r.Header)
	case err != nil:
		return rejected(http.StatusBadRequest, err, r.Header)
	}
	return h.receive(ctx, body, r.Header)
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

// callbackFor returns the callback registered for events like e, else the
// fallback, else nil.
func (h *Handler) callbackFor(e Event) func(context.Context, Event) error {
	if fn := h.routes[reflect.TypeOf(e)]; fn != nil {
		return fn
	}
	return h.fallback
}
