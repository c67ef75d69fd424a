package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
)

func listenFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	asJSON := fs.Bool("json", false, "print one JSON object per line instead of text")
	forwardTo := fs.String("forward-to", "", "relay each verified delivery, unchanged, to this URL (your app), and answer with its status")
	queueRaw := queueFlag(fs)
	workers := fs.Int("workers", 4, "with --queue: how many jobs to process at once in this process (0: only enqueue)")
	secret := addSecretFlag(fs, e)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		var app string
		if *forwardTo != "" {
			var err error
			if app, err = receiverURL("--forward-to", *forwardTo); err != nil {
				return err
			}
		}
		var spec queueSpec
		if *queueRaw != "" {
			if app != "" {
				return usagef("--queue and --forward-to cannot be combined")
			}
			var err error
			if spec, err = parseQueue(*queueRaw); err != nil {
				return err
			}
		}
		verifier, err := secret.verifier()
		if err != nil {
			return err
		}
		var queue jobQueue
		if spec.engine != "" {
			var closeDB func()
			if queue, closeDB, err = openQueue(ctx, spec, true, riverqueue.WithWorkers(*workers)); err != nil {
				return err
			}
			defer closeDB()
		}
		l := newListener(verifier, e.stdout, *asJSON, app, queue)
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "listening on http://%s (any path); Ctrl-C to stop\n", ln.Addr())
		if app != "" {
			fmt.Fprintf(e.stderr, "forwarding each verified delivery to %s\n", app)
		}
		if queue != nil {
			fmt.Fprintf(e.stderr, "enqueueing each verified delivery in %s (%s); %d workers process them\n", spec.engine, spec.redacted(), *workers)
			if *workers > 0 {
				if err := queue.Start(ctx, l.handler); err != nil {
					return err
				}
			}
		}
		srv := &http.Server{Handler: l, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
		go func() {
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdown)
		}()
		err = srv.Serve(ln)
		if queue != nil && *workers > 0 {
			stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = queue.Stop(stop) // River runs again what did not finish
		}
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// A listener receives deliveries with a webhooks.Handler and prints the
// outcome of each, duplicates and copies in progress included. With an app
// to forward to, it relays each verified delivery to the app, body and
// headers unchanged, and answers with the app's status (or 502 if the app
// cannot be reached): the app sees every copy, to test its own deduplication,
// and listen marks those it saw before.
type listener struct {
	handler *webhooks.Handler
	app     string
	client  *http.Client
	out     *printer

	mu   sync.Mutex
	seen map[string]*relays // by webhook-id, with --forward-to
}

// received is one delivery as the listener keeps it in the context it
// passes the Handler: the callback fills in the event, and what the app
// answered.
type received struct {
	request string // method and target, such as "POST /webhooks/openai"
	relayed bool   // passed to Handler.Receive, to be forwarded to the app
	body    []byte
	header  http.Header
	event   webhooks.Event
	status  int // the app's, with --forward-to
}

type receivedKey struct{}

// relays is what the listener relayed of one webhook-id: how many copies,
// and whether the app answered one of them 2xx.
type relays struct {
	copies    int
	processed bool
}

// newListener returns a listener that forwards to app, if not "", or
// enqueues in queue, if not nil.
func newListener(v *webhooks.Verifier, w io.Writer, asJSON bool, app string, queue webhooks.Queue) *listener {
	l := &listener{app: app, client: &http.Client{Timeout: 30 * time.Second}, out: &printer{w: w, json: asJSON}, seen: map[string]*relays{}}
	opts := []webhooks.HandlerOption{webhooks.WithOutcomes(l.outcome)}
	callback := l.accept
	switch {
	case app != "":
		opts = append(opts, webhooks.WithoutIdempotency(), webhooks.WithCallbackTimeout(35*time.Second))
		callback = l.forward
	case queue != nil:
		opts = append(opts, webhooks.WithQueue(queue))
		callback = l.work
	}
	l.handler = webhooks.NewHandler(v, callback, opts...)
	return l
}

// ServeHTTP reads the body and passes the delivery to the Handler; with an
// app, it answers with the app's status.
func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &received{request: r.Method + " " + r.URL.RequestURI(), header: r.Header}
	ctx := context.WithValue(r.Context(), receivedKey{}, rec)
	if l.app == "" {
		l.handler.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhooks.DefaultMaxBodyBytes))
	if r.Method != http.MethodPost || err != nil {
		l.handler.ServeHTTP(w, r.WithContext(ctx)) // says why, as it would without --forward-to
		return
	}
	rec.body, rec.relayed = body, true
	o := l.handler.Receive(ctx, body, r.Header)
	w.WriteHeader(l.answer(o, rec))
}

// answer returns the status the listener answers for the outcome o of the
// delivery got: the Handler's, except for a delivery relayed to the app,
// which is answered with the app's status, or 502 if the app could not be
// reached.
func (l *listener) answer(o webhooks.Outcome, got *received) int {
	switch {
	case got == nil || !got.relayed:
		return o.Status
	case got.status != 0:
		return got.status
	case o.Result == webhooks.ResultFailed:
		return http.StatusBadGateway
	}
	return o.Status
}

// accept is the callback without an app: it keeps the event, to print it.
func (l *listener) accept(ctx context.Context, e webhooks.Event) error {
	if rec, ok := ctx.Value(receivedKey{}).(*received); ok {
		rec.event = e
	}
	return nil
}

// work is the callback of the queue's workers: it prints the event.
func (l *listener) work(ctx context.Context, e webhooks.Event) error {
	d, _ := webhooks.DeliveryFromContext(ctx)
	rec := record{Time: time.Now().UTC(), Result: "processed", WebhookID: d.ID, Type: string(e.EventType()), EventID: e.EventID()}
	rec.Struct, rec.Data = eventData(e)
	l.out.print(rec, fmt.Sprintf("job %-13s %s %s webhook-id %s (%s) data %s", rec.Result, rec.Type, rec.EventID, d.ID, rec.Struct, rec.Data))
	return nil
}

// forward is the callback with an app: it relays the delivery, and fails
// unless the app answers 2xx, so that the sender retries.
func (l *listener) forward(ctx context.Context, e webhooks.Event) error {
	rec, _ := ctx.Value(receivedKey{}).(*received)
	if rec == nil {
		return errors.New("no delivery to forward")
	}
	rec.event = e
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.app, bytes.NewReader(rec.body))
	if err != nil {
		return err
	}
	req.Header = rec.header.Clone()
	req.Header.Del("Content-Length") // the transport sets it
	resp, err := l.client.Do(req)
	if err != nil {
		return fmt.Errorf("forwarding to %s: %w", l.app, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	rec.status = resp.StatusCode
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the app answered %s", resp.Status)
	}
	return nil
}

// outcome prints the outcome of a delivery, with the status the listener
// answered. With an app, "[copy N]" marks the N-th delivery of a
// webhook-id, and when the app had answered an earlier one 2xx, the result
// of a copy it answers 2xx again is "copy N", not processed: the app's own
// deduplication should have recognized it.
func (l *listener) outcome(ctx context.Context, o webhooks.Outcome) {
	got, _ := ctx.Value(receivedKey{}).(*received)
	rec := record{
		Time: time.Now().UTC(), Result: o.Result.String(), Status: l.answer(o, got), WebhookID: o.DeliveryID,
		Type: string(o.EventType), EventID: o.EventID, DurationMS: float64(o.Duration.Microseconds()) / 1000,
	}
	if o.Err != nil {
		rec.Error = o.Err.Error()
	}
	if got != nil && got.relayed && o.DeliveryID != "" {
		l.mu.Lock()
		seen := l.seen[o.DeliveryID]
		if seen == nil {
			seen = &relays{}
			l.seen[o.DeliveryID] = seen
		}
		seen.copies++
		again := seen.processed && o.Result == webhooks.ResultProcessed
		seen.processed = seen.processed || o.Result == webhooks.ResultProcessed
		if seen.copies > 1 {
			rec.Copy = seen.copies
		}
		l.mu.Unlock()
		rec.AppStatus = got.status
		if again {
			rec.Result = "copy"
		}
	}
	result := rec.Result
	if rec.Result == "copy" {
		result = fmt.Sprintf("copy %d", rec.Copy)
	}
	text := fmt.Sprintf("%d %-11s", rec.Status, result)
	switch {
	case o.EventType != "":
		text += fmt.Sprintf(" %s %s webhook-id %s", o.EventType, o.EventID, o.DeliveryID)
	case o.DeliveryID != "":
		text += fmt.Sprintf(" webhook-id %s", o.DeliveryID)
	case got != nil:
		text += fmt.Sprintf(" %s, no webhook-id", got.request)
	default:
		text += " no webhook-id"
	}
	if got != nil && got.event != nil {
		rec.Struct, rec.Data = eventData(got.event)
		text += fmt.Sprintf(" (%s) data %s", rec.Struct, rec.Data)
	}
	if rec.Copy > 0 && rec.Result != "copy" {
		text += fmt.Sprintf(" [copy %d]", rec.Copy)
	}
	if rec.AppStatus != 0 {
		text += fmt.Sprintf(" → app %d", rec.AppStatus)
	}
	if o.Err != nil {
		text += ": " + o.Err.Error()
	}
	l.out.print(rec, text)
}

// printer prints the outcomes of a listener, as text or JSON lines.
type printer struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
}

// record is one printed line in --json mode.
type record struct {
	Time       time.Time       `json:"time"`
	Result     string          `json:"result"` // an Outcome's Result: processed, duplicate, in progress, rejected, ...; or "copy"
	Status     int             `json:"status"` // what the listener answered
	WebhookID  string          `json:"webhook_id,omitempty"`
	Type       string          `json:"type,omitempty"`
	EventID    string          `json:"event_id,omitempty"`
	Struct     string          `json:"struct,omitempty"` // the Go struct it decoded to
	Data       json.RawMessage `json:"data,omitempty"`
	Copy       int             `json:"copy,omitempty"`       // with --forward-to: the how-manieth copy of this webhook-id, from 2
	AppStatus  int             `json:"app_status,omitempty"` // with --forward-to: what the app answered
	DurationMS float64         `json:"duration_ms"`
	Error      string          `json:"error,omitempty"`
}

// print writes rec in --json mode, else text.
func (p *printer) print(rec record, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.json {
		fmt.Fprintf(p.w, "%s %s\n", rec.Time.Format(time.TimeOnly), text)
		return
	}
	line, err := json.Marshal(rec)
	if err != nil {
		fmt.Fprintf(p.w, `{"result":"error","error":%q}`+"\n", err)
		return
	}
	fmt.Fprintf(p.w, "%s\n", line)
}

// eventData returns the name of e's struct and its data, as JSON.
func eventData(e webhooks.Event) (string, json.RawMessage) {
	data, _ := json.Marshal(reflect.ValueOf(e).FieldByName("Data").Interface())
	return reflect.TypeOf(e).Name(), data
}
