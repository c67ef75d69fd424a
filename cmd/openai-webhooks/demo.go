package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

func demoFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return runDemo(ctx, e.stdout)
	}
}

// A demoCase is one delivery of the demo and what the receiver must make of
// it.
type demoCase struct {
	name    string
	body    []byte
	headers http.Header

	wantStatus int
	wantType   webhooks.EventType // decoded type; "" when the callback must not run
	wantStruct string             // Go struct it decodes to
	wantErr    error              // reason the receiver reports; nil for none
}

// demoReceiver records what the demo's Handler did with each delivery,
// by webhook-id: the events its callback got, and the outcomes.
type demoReceiver struct {
	mu       sync.Mutex
	decoded  map[string]webhooks.Event
	calls    map[string]int
	outcomes map[string]webhooks.Outcome
}

func (r *demoReceiver) callback(ctx context.Context, e webhooks.Event) error {
	d, _ := webhooks.DeliveryFromContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.decoded[d.ID] = e
	r.calls[d.ID]++
	return nil
}

func (r *demoReceiver) outcome(_ context.Context, o webhooks.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes[o.DeliveryID] = o
}

// runDemo starts a receiver on a free loopback port with a fresh secret,
// sends it a signed delivery of every event type and a few that must be
// refused or recognized, and prints a table of what it answered and
// decoded, 100 columns wide at most. It fails unless every row is as it
// should be.
func runDemo(ctx context.Context, out io.Writer) error {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		return err
	}
	rec := &demoReceiver{decoded: map[string]webhooks.Event{}, calls: map[string]int{}, outcomes: map[string]webhooks.Outcome{}}
	handler := webhooks.NewHandler(verifier, rec.callback, webhooks.WithOutcomes(rec.outcome))

	url, stop, err := serveLoopback(handler)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(out, "A webhooks.Handler listens on %s, with a fresh secret.\n", url)
	fmt.Fprintf(out, "It gets a signed delivery of each of the %d event types, then deliveries it must\nrefuse or recognize:\n\n", len(webhooks.EventTypes()))

	cases := demoCases(secret)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DELIVERY\tTYPE\tDECODED AS\tSTATUS\tCHECK")
	failed := 0
	for _, c := range cases {
		status, err := post(ctx, url, c.body, c.headers)
		if err != nil {
			return fmt.Errorf("delivering %s: %w", c.name, err)
		}
		row, ok := rec.check(c, status)
		if !ok {
			failed++
		}
		fmt.Fprintln(tw, row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deliveries were not answered as they should be", failed, len(cases))
	}
	fmt.Fprintf(out, "\nAll %d deliveries answered as they should be.\n", len(cases))
	if err := runQueueDemo(ctx, out); err != nil {
		return fmt.Errorf("processing later: %w", err)
	}
	fmt.Fprint(out, `
Next, with a receiver of your own:
  export OPENAI_WEBHOOK_SECRET=$(openai-webhooks secret)
  openai-webhooks listen --forward-to http://127.0.0.1:3000/webhooks   # your app, behind a verifier
  openai-webhooks trigger response.completed --url http://127.0.0.1:8080/
  openai-webhooks help trigger                                          # every event type
  openai-webhooks listen --queue sqlite:queue.db                        # answer, then process
`)
	return nil
}

// demoCases returns the deliveries of the demo, in order.
func demoCases(secret string) []demoCase {
	var cases []demoCase
	for _, t := range webhooks.EventTypes() {
		body := webhookstest.Sample(t)
		event, _ := webhooks.ParseEvent(body)
		cases = append(cases, demoCase{
			name: "sample", body: body, headers: webhookstest.Headers(secret, body),
			wantStatus: http.StatusOK, wantType: t, wantStruct: reflect.TypeOf(event).Name(),
		})
	}
	first := cases[0]

	body := webhookstest.Sample(webhooks.EventTypeResponseCompleted)
	headers := webhookstest.Headers(secret, body)
	tampered := bytes.Replace(body, []byte(`"resp_`), []byte(`"resp-`), 1)
	unknown := []byte(`{"id":"evt_6a3f0c2e9b1d8190a7c6b5d4e3f2a1b0","object":"event","created_at":1779999999,` +
		`"type":"video.generation.completed","data":{"id":"video_6a3f0b7c2d1e8190"}}`)
	stale := webhookstest.Sample(webhooks.EventTypeBatchFailed)
	return append(cases,
		demoCase{name: "tampered body", body: tampered, headers: headers,
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrInvalidSignature},
		demoCase{name: "wrong secret", body: body, headers: webhookstest.Headers(webhookstest.NewSecret(), body),
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrInvalidSignature},
		demoCase{name: "stale (10 min)", body: stale, headers: webhookstest.Headers(secret, stale, webhookstest.WithTimestamp(time.Now().Add(-10*time.Minute))),
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrTimestampTooOld},
		demoCase{name: "duplicate", body: first.body, headers: first.headers,
			wantStatus: http.StatusOK, wantStruct: "(a copy: not processed again)"},
		demoCase{name: "unknown type", body: unknown, headers: webhookstest.Headers(secret, unknown),
			wantStatus: http.StatusOK, wantType: "video.generation.completed", wantStruct: "UnknownEvent"},
	)
}

// check compares what the receiver did with delivery c, answered status,
// with what it should have done, and returns the table row.
func (r *demoReceiver) check(c demoCase, status int) (row string, ok bool) {
	id := c.headers.Get(webhooks.HeaderID)
	r.mu.Lock()
	event, calls, o := r.decoded[id], r.calls[id], r.outcomes[id]
	r.mu.Unlock()

	typ, decoded := typeOf(c.body), "-"
	if event != nil {
		decoded = reflect.TypeOf(event).Name()
	}
	switch {
	case c.wantErr != nil:
		ok = errors.Is(o.Err, c.wantErr) && calls == 0 && o.Result == webhooks.ResultRejected
		decoded = "refused: " + strings.TrimPrefix(c.wantErr.Error(), "webhooks: ")
	case c.wantType == "": // a copy of a delivery already processed
		ok = calls == 1 && o.Result == webhooks.ResultDuplicate
		decoded = c.wantStruct
	default:
		ok = calls == 1 && o.Result == webhooks.ResultProcessed && event.EventType() == c.wantType && decoded == c.wantStruct
	}
	ok = ok && status == c.wantStatus
	check := "ok"
	if !ok {
		check = fmt.Sprintf("FAIL (want %d %s, got %v %v)", c.wantStatus, c.wantStruct, o.Result, o.Err)
	}
	return fmt.Sprintf("%s\t%s\t%s\t%d\t%s", c.name, typ, decoded, status, check), ok
}

// serveLoopback serves handler on a free port of 127.0.0.1 and returns the
// URL of its webhook path, and the function that stops it.
func serveLoopback(handler http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/webhooks/openai", func() { srv.Close() }, nil
}

// typeOf returns the type field of a body.
func typeOf(body []byte) string {
	event, err := webhooks.ParseEvent(body)
	if err != nil {
		return "?"
	}
	return string(event.EventType())
}

// post sends a delivery and returns the answer's status.
func post(ctx context.Context, url string, body []byte, headers http.Header) (int, error) {
	resp, err := send(ctx, url, body, headers)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// send POSTs a delivery of body with headers to url. The caller closes the
// answer's body.
func send(ctx context.Context, url string, body []byte, headers http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "openai-webhooks (github.com/go-openai-webhooks/webhooks)")
	client := &http.Client{Timeout: 30 * time.Second}
	return client.Do(req)
}
