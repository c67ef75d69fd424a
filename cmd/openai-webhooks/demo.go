package main

import (
	"bytes"
	"cmp"
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
	"unicode/utf8"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

func demoFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return runDemo(ctx, e.stdout, cmp.Or(e.self, defaultSelf))
	}
}

// demoWidth is how many columns the demo's lines take at most.
const demoWidth = 80

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
// refused or recognized, and prints tables of what it answered and
// decoded, demoWidth columns wide at most; then the queue demo, and the
// commands to try next, which run the tool as self does. It fails unless
// every row is as it should be.
func runDemo(ctx context.Context, out io.Writer, self string) error {
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
	fmt.Fprintf(out, "A webhooks.Handler listens on %s\n", url)
	fmt.Fprintf(out, "with a fresh secret. It gets a signed delivery of each of the %d event types:\n\n", len(webhooks.EventTypes()))

	samples, others := demoCases(secret)
	var rows [][]string
	var failures []string
	for _, c := range append(samples, others...) {
		status, err := post(ctx, url, c.body, c.headers)
		if err != nil {
			return fmt.Errorf("delivering %s: %w", c.name, err)
		}
		row, failure := rec.check(c, status)
		if failure != "" {
			failures = append(failures, failure)
		}
		rows = append(rows, row)
	}
	if err := printTable(out, append([][]string{{"TYPE", "DECODED AS", "ANSWER"}}, rows[:len(samples)]...)); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nThen deliveries it must refuse or recognize:\n\n")
	if err := printTable(out, append([][]string{{"DELIVERY", "THE HANDLER", "ANSWER"}}, rows[len(samples):]...)); err != nil {
		return err
	}
	if len(failures) > 0 {
		fmt.Fprintf(out, "\n%s\n", strings.Join(failures, "\n"))
		return fmt.Errorf("%d of %d deliveries were not answered as they should be", len(failures), len(rows))
	}
	fmt.Fprintf(out, "\nAll %d deliveries answered as they should be.\n", len(rows))
	if err := runQueueDemo(ctx, out); err != nil {
		return fmt.Errorf("processing later: %w", err)
	}
	printNext(out, self)
	return nil
}

// printTable prints rows in aligned columns. When the table is wider than
// demoWidth, it drops the WebhookEvent that ends the name of every event
// struct, and says so.
func printTable(out io.Writer, rows [][]string) error {
	var b bytes.Buffer
	render := func(rows [][]string) error {
		b.Reset()
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, row := range rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		return tw.Flush()
	}
	if err := render(rows); err != nil {
		return err
	}
	if widest(b.String()) > demoWidth {
		short := make([][]string, len(rows))
		for i, row := range rows {
			for _, cell := range row {
				if name, ok := strings.CutSuffix(cell, "WebhookEvent"); ok && name != "" {
					cell = name + "…"
				}
				short[i] = append(short[i], cell)
			}
		}
		if err := render(short); err != nil {
			return err
		}
		b.WriteString("(… is the WebhookEvent that ends the name of each struct)\n")
	}
	_, err := out.Write(b.Bytes())
	return err
}

// widest returns the width of the widest line of s, in runes.
func widest(s string) int {
	n := 0
	for line := range strings.Lines(s) {
		n = max(n, utf8.RuneCountInString(strings.TrimRight(line, "\n")))
	}
	return n
}

// printNext prints the commands to try after the demo, which run the tool as
// self does, each wrapped to fit demoWidth.
func printNext(out io.Writer, self string) {
	fmt.Fprintln(out, "\nNext, with a receiver of your own:")
	for _, line := range []string{
		"",
		"export " + webhooks.SecretEnv + "=$(" + self + " secret)",
		"# Give your app that secret too, and start it: on 127.0.0.1:3000, say.",
		"# listen verifies each delivery and relays it to your app:",
		self + " listen --forward-to http://127.0.0.1:3000/webhooks",
		"",
		"# In another shell, with the same " + webhooks.SecretEnv + ":",
		self + " trigger response.completed --url http://127.0.0.1:8080/",
		self + " help trigger",
		"",
		"# Or answer at once, and process later from a River queue in SQLite:",
		self + " listen --queue sqlite:queue.db",
	} {
		if line == "" {
			fmt.Fprintln(out)
			continue
		}
		fmt.Fprintln(out, wrapCommand("  ", line, demoWidth))
	}
}

// wrapCommand returns the shell command line, indented by indent, broken
// with backslash-newlines before its words (a flag together with its value)
// so that each line fits width where it can; continued lines are indented
// four more columns. A comment is not broken.
func wrapCommand(indent, line string, width int) string {
	if strings.HasPrefix(line, "#") || utf8.RuneCountInString(indent+line) <= width {
		return indent + line
	}
	var units []string // words, a flag with its value
	words := shellFields(line)
	for i := 0; i < len(words); i++ {
		if strings.HasPrefix(words[i], "-") && i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") {
			units = append(units, words[i]+" "+words[i+1])
			i++
			continue
		}
		units = append(units, words[i])
	}
	var b strings.Builder
	cur := indent
	for i, word := range units {
		switch {
		case i == 0:
			cur += word
		case utf8.RuneCountInString(cur+" "+word+" \\") <= width:
			cur += " " + word
		default:
			b.WriteString(cur + " \\\n")
			cur = indent + "    " + word
		}
	}
	b.WriteString(cur)
	return b.String()
}

// shellFields splits a command line at the spaces that separate its words:
// those neither in single quotes nor escaped by a backslash, as shellQuote
// quotes.
func shellFields(line string) []string {
	var words []string
	quoted, escaped, start := false, false, -1
	for i, r := range line {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && !quoted:
			escaped = true
		case r == '\'':
			quoted = !quoted
		case r == ' ' && !quoted:
			if start >= 0 {
				words = append(words, line[start:i])
			}
			start = -1
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		words = append(words, line[start:])
	}
	return words
}

// demoCases returns the deliveries of the demo, in order: a sample of each
// event type, and the others.
func demoCases(secret string) (samples, others []demoCase) {
	var copied demoCase
	for _, t := range webhooks.EventTypes() {
		body := webhookstest.Sample(t)
		event, _ := webhooks.ParseEvent(body)
		c := demoCase{
			name: "sample", body: body, headers: webhookstest.Headers(secret, body),
			wantStatus: http.StatusOK, wantType: t, wantStruct: reflect.TypeOf(event).Name(),
		}
		if t == webhooks.EventTypeResponseCompleted {
			copied = c
		}
		samples = append(samples, c)
	}

	body := webhookstest.Sample(webhooks.EventTypeResponseCompleted)
	headers := webhookstest.Headers(secret, body)
	tampered := bytes.Replace(body, []byte(`"resp_`), []byte(`"resp-`), 1)
	unknown := []byte(`{"id":"evt_6a3f0c2e9b1d8190a7c6b5d4e3f2a1b0","object":"event","created_at":1779999999,` +
		`"type":"video.generation.completed","data":{"id":"video_6a3f0b7c2d1e8190"}}`)
	stale := webhookstest.Sample(webhooks.EventTypeBatchFailed)
	return samples, []demoCase{
		{name: "tampered body", body: tampered, headers: headers,
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrInvalidSignature},
		{name: "signed with another secret", body: body, headers: webhookstest.Headers(webhookstest.NewSecret(), body),
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrInvalidSignature},
		{name: "signed 10 minutes ago", body: stale, headers: webhookstest.Headers(secret, stale, webhookstest.WithTimestamp(time.Now().Add(-10*time.Minute))),
			wantStatus: http.StatusBadRequest, wantErr: webhooks.ErrTimestampTooOld},
		{name: "a copy of " + string(webhooks.EventTypeResponseCompleted), body: copied.body, headers: copied.headers,
			wantStatus: http.StatusOK},
		{name: "type video.generation.completed", body: unknown, headers: webhookstest.Headers(secret, unknown),
			wantStatus: http.StatusOK, wantType: "video.generation.completed", wantStruct: "UnknownEvent"},
	}
}

// check compares what the receiver did with delivery c, answered status,
// with what it should have done, and returns the table row: for a sample,
// its type, the struct it decoded to and the answer; for the others, the
// delivery, what the receiver made of it, and the answer. failure says what
// went wrong, "" if nothing did.
func (r *demoReceiver) check(c demoCase, status int) (row []string, failure string) {
	id := c.headers.Get(webhooks.HeaderID)
	r.mu.Lock()
	event, calls, o := r.decoded[id], r.calls[id], r.outcomes[id]
	r.mu.Unlock()

	decoded, ok := "-", false
	if event != nil {
		decoded = reflect.TypeOf(event).Name()
	}
	var did, want string
	switch {
	case c.wantErr != nil:
		ok = errors.Is(o.Err, c.wantErr) && calls == 0 && o.Result == webhooks.ResultRejected
		did = "refused: " + strings.TrimPrefix(c.wantErr.Error(), "webhooks: ")
		want = fmt.Sprintf("refused, %v", c.wantErr)
	case c.wantType == "": // a copy of a delivery already processed
		ok = calls == 1 && o.Result == webhooks.ResultDuplicate
		did, want = "not processed again", "a duplicate, not processed again"
	default:
		ok = calls == 1 && o.Result == webhooks.ResultProcessed && event.EventType() == c.wantType && decoded == c.wantStruct
		did, want = "decoded as "+decoded, "processed once, as "+c.wantStruct
	}
	answer := fmt.Sprintf("%d ok", status)
	if !ok || status != c.wantStatus {
		answer = fmt.Sprintf("%d FAIL", status)
		failure = fmt.Sprintf("FAIL %s %s: want %d, %s; got %d, %v (%v), %d callbacks",
			c.name, typeOf(c.body), c.wantStatus, want, status, o.Result, o.Err, calls)
	}
	if c.name == "sample" {
		return []string{typeOf(c.body), decoded, answer}, failure
	}
	return []string{c.name, did, answer}, failure
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
