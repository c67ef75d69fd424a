package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

func triggerFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	url := fs.String("url", "", "URL of the receiver (required)")
	id := fs.String("id", "", "webhook-id (default: a fresh one)")
	secret := addSecretFlag(fs, e)
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("want one event type, one of: %s", typeList())
		}
		t := webhooks.EventType(args[0])
		if !t.Known() {
			return usagef("unknown event type %q; want one of: %s", t, typeList())
		}
		if *url == "" {
			return usagef("--url is required")
		}
		s, err := secret.get()
		if err != nil {
			return err
		}
		opts := []webhookstest.Option{}
		if *id != "" {
			opts = append(opts, webhookstest.WithID(*id))
		}
		body := webhookstest.Sample(t)
		headers, err := signedHeaders(s, body, opts...)
		if err != nil {
			return err
		}
		resp, err := send(ctx, *url, body, headers)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "sent %s, webhook-id %s\n%s\n", t, headers.Get(webhooks.HeaderID), resp.Status)
		if len(answer) > 0 {
			fmt.Fprintf(e.stdout, "%s\n", strings.TrimRight(string(answer), "\n"))
		}
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("the receiver answered %s", resp.Status)
		}
		return nil
	}
}

// typeList lists the known event types for messages.
func typeList() string {
	var names []string
	for _, t := range webhooks.EventTypes() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}
