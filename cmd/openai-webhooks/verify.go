package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/go-openai-webhooks/webhooks"
)

// headerFlags collects repeated --header 'Name: value' flags.
type headerFlags http.Header

func (h headerFlags) String() string { return "" }

func (h headerFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want 'Name: value', got %q", s)
	}
	http.Header(h).Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

func verifyFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	headers := headerFlags{}
	fs.Var(headers, "header", "a header of the delivery, 'Name: value'; repeat for each of webhook-id, webhook-timestamp, webhook-signature")
	tolerance := fs.Duration("tolerance", webhooks.DefaultTolerance, "how far the timestamp may lie from now")
	secret := addSecretFlag(fs, e)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if *tolerance <= 0 {
			return usagef("--tolerance must be positive")
		}
		verifier, err := secret.verifier(webhooks.WithTolerance(*tolerance))
		if err != nil {
			return err
		}
		body, err := readStdin(e, "verify")
		if err != nil {
			return err
		}
		event, err := verifier.Unwrap(body, http.Header(headers))
		if err != nil {
			return fmt.Errorf("invalid delivery: %w", err)
		}
		pretty, err := json.MarshalIndent(event, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "valid: %s %s (%s), created %s\n%s\n", event.EventType(), event.EventID(),
			reflect.TypeOf(event).Name(), event.EventTime().Format(time.RFC3339), pretty)
		return nil
	}
}
