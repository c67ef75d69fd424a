package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json/jsontext"
	"encoding/json/v2"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
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
		opts := []webhookstest.Option{}
		if *id != "" {
			opts = append(opts, webhookstest.WithID(*id))
		}
		if *timestamp != 0 {
			opts = append(opts, webhookstest.WithTimestamp(time.Unix(*timestamp, 0)))
		}
		headers, err := secret.headers(payload, opts...)
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
		return nil, usagef("want one event type, such as %s", webhooks.EventTypeBatchCompleted)
	}
	t := webhooks.EventType(args[0])
	if !t.Known() {
		return nil, unknownType(args[0])
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

// unknownType is the usage error for an unknown event type name: it
// suggests the nearest known names, one a line.
func unknownType(name string) error {
	near := nearestTypes(name, 5)
	if len(near) == 0 {
		return usagef("unknown event type %q", name) // and trigger --help lists them
	}
	var more strings.Builder
	for _, t := range near {
		fmt.Fprintf(&more, "  %s\n", t)
	}
	fmt.Fprintf(&more, "run 'openai-webhooks trigger --help' for all %d event types\n", len(webhooks.EventTypes()))
	return usageError{msg: fmt.Sprintf("unknown event type %q; did you mean:", name), more: more.String()}
}

// nearestTypes returns up to n known event types near name, nearest first:
// those few edits away from it (a letter wrong, missing or more, in any
// case), and those that contain it, such as the types of "completed" or
// "response".
func nearestTypes(name string, n int) []webhooks.EventType {
	type candidate struct {
		t        webhooks.EventType
		distance int
	}
	name = strings.ToLower(name)
	var near []candidate
	for _, t := range webhooks.EventTypes() {
		d := editDistance(name, string(t))
		if d <= max(2, len(name)/4) || (len(name) >= 4 && strings.Contains(string(t), name)) {
			near = append(near, candidate{t, d})
		}
	}
	slices.SortStableFunc(near, func(a, b candidate) int { return cmp.Compare(a.distance, b.distance) })
	var types []webhooks.EventType
	for _, c := range near[:min(n, len(near))] {
		types = append(types, c.t)
	}
	return types
}

// editDistance returns the Levenshtein distance between a and b: how many
// bytes to insert, delete or replace to turn a into b.
func editDistance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			replace := prev[j-1]
			if a[i-1] != b[j-1] {
				replace++
			}
			cur[j] = min(replace, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
