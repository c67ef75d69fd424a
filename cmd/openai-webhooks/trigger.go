package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json/jsontext"
	"encoding/json/v2"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

func triggerFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	target := fs.String("url", "", "URL of the receiver (required)")
	id := fs.String("id", "", "webhook-id (default: a fresh one)")
	eventID := fs.String("event-id", "", `the event's "id" (default: a fresh evt_... each time)`)
	timestamp := fs.Int64("timestamp", 0, "webhook-timestamp, Unix seconds: when the delivery was signed (default: now)")
	data := fs.String("data", "", `the event's "data" object instead of the sample's, as JSON or @file`)
	body := fs.String("body", "", "the whole body instead of the sample, as JSON or @file, sent as it is; the event type may be left out")
	secret := addSecretFlag(fs, e)
	return func(ctx context.Context, args []string) error {
		payload, err := triggerBody(args, *body, *data, *eventID)
		if err != nil {
			return err
		}
		if *target == "" {
			return usagef("--url is required")
		}
		u, err := receiverURL("--url", *target)
		if err != nil {
			return err
		}
		s, err := secret.get()
		if err != nil {
			return err
		}
		opts := []webhookstest.Option{}
		if *id != "" {
			opts = append(opts, webhookstest.WithID(*id))
		}
		if *timestamp != 0 {
			opts = append(opts, webhookstest.WithTimestamp(time.Unix(*timestamp, 0)))
		}
		headers, err := signedHeaders(s, payload, opts...)
		if err != nil {
			return err
		}
		resp, err := send(ctx, u, payload, headers)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil {
			return err
		}
		sent := "a delivery"
		if event, err := webhooks.ParseEvent(payload); err == nil {
			sent = fmt.Sprintf("%s %s", event.EventType(), event.EventID())
		}
		fmt.Fprintf(e.stdout, "sent %s, webhook-id %s\n%s\n", sent, headers.Get(webhooks.HeaderID), resp.Status)
		if len(answer) > 0 {
			fmt.Fprintf(e.stdout, "%s\n", strings.TrimRight(string(answer), "\n"))
		}
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("the receiver answered %s", resp.Status)
		}
		return nil
	}
}

// triggerBody returns the body trigger sends: --body as it is, or the sample
// of the event type in args with a fresh event id (or eventID) and --data.
func triggerBody(args []string, body, data, eventID string) ([]byte, error) {
	if body != "" {
		if len(args) > 0 || eventID != "" || data != "" {
			return nil, usagef("--body is the whole body: give it no event type, --event-id or --data")
		}
		return jsonArg("--body", body)
	}
	if len(args) != 1 {
		return nil, usagef("want one event type, one of: %s", typeList())
	}
	t := webhooks.EventType(args[0])
	if !t.Known() {
		return nil, usagef("unknown event type %q; want one of: %s", t, typeList())
	}
	sample, err := webhooks.ParseEvent(webhookstest.Sample(t))
	if err != nil {
		return nil, err
	}
	event := struct {
		ID        string         `json:"id"`
		Object    string         `json:"object"`
		CreatedAt int64          `json:"created_at"`
		Type      string         `json:"type"`
		Data      jsontext.Value `json:"data"`
	}{ID: eventID, Object: "event", CreatedAt: sample.EventTime().Unix(), Type: string(t)}
	if event.ID == "" {
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		event.ID = "evt_" + hex.EncodeToString(b[:])
	}
	if data != "" {
		if event.Data, err = jsonArg("--data", data); err != nil {
			return nil, err
		}
		if kind := event.Data.Kind(); kind != '{' {
			return nil, usagef("--data: want a JSON object, got %s", kind)
		}
	} else {
		var whole struct {
			Data jsontext.Value `json:"data"`
		}
		if err := json.Unmarshal(webhookstest.Sample(t), &whole); err != nil {
			return nil, err
		}
		event.Data = whole.Data
	}
	return json.Marshal(event)
}

// jsonArg returns the JSON of a flag: its value, or the contents of the file
// after an @. It must be valid JSON.
func jsonArg(flagName, value string) ([]byte, error) {
	b := []byte(value)
	if path, ok := strings.CutPrefix(value, "@"); ok {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, usagef("%s: %v", flagName, err)
		}
	}
	if v := jsontext.Value(bytes.TrimSpace(b)); !v.IsValid() {
		return nil, usagef("%s: not valid JSON", flagName)
	}
	return b, nil
}

// typeList lists the known event types for messages.
func typeList() string {
	var names []string
	for _, t := range webhooks.EventTypes() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}
