package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

func signFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	id := fs.String("id", "", "webhook-id (default: a fresh one)")
	timestamp := fs.Int64("timestamp", 0, "webhook-timestamp, Unix seconds (default: now)")
	curl := fs.Bool("curl", false, "print a curl command that sends the delivery instead of the headers")
	target := fs.String("url", "", "URL the curl command sends to (implies --curl; default http://127.0.0.1:8080/)")
	secret := addSecretFlag(fs, e)
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		u := "http://127.0.0.1:8080/"
		if *target != "" {
			var err error
			if u, err = receiverURL("--url", *target); err != nil {
				return err
			}
			*curl = true
		}
		if _, err := secret.verifier(); err != nil { // before waiting for stdin
			return err
		}
		body, err := readStdin(e, "sign")
		if err != nil {
			return err
		}
		var opts []webhookstest.Option
		if *id != "" {
			opts = append(opts, webhookstest.WithID(*id))
		}
		if *timestamp != 0 {
			opts = append(opts, webhookstest.WithTimestamp(time.Unix(*timestamp, 0)))
		}
		headers, err := secret.headers(body, opts...)
		if err != nil {
			return err
		}
		names := []string{webhooks.HeaderID, webhooks.HeaderTimestamp, webhooks.HeaderSignature}
		if !*curl {
			for _, name := range names {
				fmt.Fprintf(e.stdout, "%s: %s\n", name, headers.Get(name))
			}
			return nil
		}
		var cmd strings.Builder
		cmd.WriteString("curl -sS -X POST " + shellQuote(u) + " -H 'Content-Type: application/json'")
		for _, name := range names {
			cmd.WriteString(" -H " + shellQuote(name+": "+headers.Get(name)))
		}
		cmd.WriteString(" --data-binary " + shellQuote(string(body)))
		fmt.Fprintln(e.stdout, cmd.String())
		return nil
	}
}

// readStdin reads the body on stdin, and refuses to wait for one typed on
// a terminal, where a command that reads stdin seems to hang, and an empty
// one (< /dev/null, an empty file), which no delivery has.
func readStdin(e *env, name string) ([]byte, error) {
	if e.stdinIsTerminal != nil && e.stdinIsTerminal() {
		return nil, usagef("%s reads the body on stdin; pipe or redirect it: openai-webhooks %s ... < body.json", name, name)
	}
	body, err := io.ReadAll(e.stdin)
	if err != nil {
		return nil, fmt.Errorf("reading the body from stdin: %w", err)
	}
	if len(body) == 0 {
		return nil, usagef("stdin was empty: %s reads the body of a delivery there, as in openai-webhooks %s ... < body.json", name, name)
	}
	return body, nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
