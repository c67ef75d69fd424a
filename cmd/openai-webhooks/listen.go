package main

import (
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
)

func listenFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	asJSON := fs.Bool("json", false, "print one JSON object per line instead of text")
	secret := addSecretFlag(fs, e)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		s, err := secret.get()
		if err != nil {
			return err
		}
		verifier, err := webhooks.NewVerifier(s)
		if err != nil {
			return err
		}
		p := &printer{w: e.stdout, json: *asJSON}
		handler := webhooks.NewHandler(verifier, p.accepted, webhooks.WithErrorHandler(p.rejected))

		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "listening on http://%s (any path); Ctrl-C to stop\n", ln.Addr())
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
		go func() {
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdown)
		}()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// printer prints what a listening Handler accepted and rejected.
type printer struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
}

// record is one printed line in --json mode.
type record struct {
	Time      time.Time      `json:"time"`
	Result    string         `json:"result"` // "accepted" or "rejected"
	WebhookID string         `json:"webhook_id,omitempty"`
	Type      string         `json:"type,omitempty"`
	Struct    string         `json:"struct,omitempty"`
	Event     webhooks.Event `json:"event,omitempty"`
	Error     string         `json:"error,omitempty"`
}

func (p *printer) accepted(ctx context.Context, e webhooks.Event) error {
	d, _ := webhooks.DeliveryFromContext(ctx)
	data, err := json.Marshal(reflect.ValueOf(e).FieldByName("Data").Interface())
	if err != nil {
		return err
	}
	p.print(record{
		Time: time.Now().UTC(), Result: "accepted", WebhookID: d.ID,
		Type: string(e.EventType()), Struct: reflect.TypeOf(e).Name(), Event: e,
	}, fmt.Sprintf("accepted %s %s (%s) webhook-id %s data %s", e.EventType(), e.EventID(), reflect.TypeOf(e).Name(), d.ID, data))
	return nil
}

func (p *printer) rejected(r *http.Request, err error) {
	p.print(record{
		Time: time.Now().UTC(), Result: "rejected", WebhookID: r.Header.Get(webhooks.HeaderID), Error: err.Error(),
	}, fmt.Sprintf("rejected webhook-id %q: %v", r.Header.Get(webhooks.HeaderID), err))
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
