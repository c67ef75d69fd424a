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
// by webhook-id.
type demoReceiver struct {
	mu       sync.Mutex
	decoded  map[string]webhooks.Event
	calls    map[string]int
	rejected map[string]error
}

func (r *demoReceiver) callback(ctx context.Context, e webhooks.Event) error {
	d, _ := webhooks.DeliveryFromContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.decoded[d.ID] = e
	r.calls[d.ID]++
	return nil
}

func (r *demoReceiver) reject(req *http.Request, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejected[req.Header.Get(webhooks.HeaderID)] = err
}

// runDemo starts a receiver on a free loopback port with a fresh secret,
// sends it a signed delivery of every event type and a few that must be
// refused or recognized, and prints a table of what it answered and
// decoded. It fails unless every row is as it should be.
func runDemo(ctx context.Context, out io.Writer) error {
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		return err
	}
	rec := &demoReceiver{decoded: map[string]webhooks.Event{}, calls: map[string]int{}, rejected: map[string]error{}}
	handler := webhooks.NewHandler(verifier, rec.callback, webhooks.WithErrorHandler(rec.reject))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/webhooks/openai"
	fmt.Fprintf(out, "Receiver: webhooks.Handler on %s, with a fresh secret.\n", url)
	fmt.Fprintf(out, "Sending a signed delivery of each of the %d event types, then deliveries it must refuse or recognize.\n\n", len(webhooks.EventTypes()))

	cases := demoCases(secret)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DELIVERY\tTYPE\tGO STRUCT\tEVENT ID\tKEY DATA\tSTATUS\tCHECK")
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
			wantStatus: http.StatusOK, wantStruct: "(processed before)"},
		demoCase{name: "unknown type", body: unknown, headers: webhookstest.Headers(secret, unknown),
			wantStatus: http.StatusOK, wantType: "video.generation.completed", wantStruct: "UnknownEvent"},
	)
}

// check compares what the receiver did with delivery c, answered status,
// with what it should have done, and returns the table row.
func (r *demoReceiver) check(c demoCase, status int) (row string, ok bool) {
	id := c.headers.Get(webhooks.HeaderID)
	r.mu.Lock()
	event, calls, rejected := r.decoded[id], r.calls[id], r.rejected[id]
	r.mu.Unlock()

	typ, structName, eventID, key := "-", "-", "-", "-"
	if event != nil {
		typ, structName, eventID, key = string(event.EventType()), reflect.TypeOf(event).Name(), event.EventID(), keyData(event)
	}
	switch {
	case c.wantErr != nil:
		ok = errors.Is(rejected, c.wantErr) && calls == 0
		if rejected != nil {
			key = "refused: " + rejected.Error()
		}
	case c.wantType == "": // a copy of a delivery already processed
		ok = calls == 1 && rejected == nil
		structName = c.wantStruct
	default:
		ok = calls == 1 && rejected == nil && event.EventType() == c.wantType && structName == c.wantStruct
	}
	ok = ok && status == c.wantStatus
	check := "ok"
	if !ok {
		check = fmt.Sprintf("FAIL (want %d %s)", c.wantStatus, c.wantStruct)
	}
	if c.wantErr != nil && event == nil {
		typ = typeOf(c.body)
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%d\t%s", c.name, typ, structName, eventID, key, status, check), ok
}

// keyData shows the main field of an event's data: the first field of its
// Data struct, or the raw data of an UnknownEvent.
func keyData(e webhooks.Event) string {
	data := reflect.ValueOf(e).FieldByName("Data")
	if data.Kind() != reflect.Struct {
		return fmt.Sprintf("data=%s", data.Bytes())
	}
	f := data.Type().Field(0)
	return fmt.Sprintf("data.%s=%v", jsonName(f), data.Field(0).Interface())
}

// jsonName returns the JSON name of a struct field.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// typeOf returns the type field of a body, for showing refused deliveries.
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
