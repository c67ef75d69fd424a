package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

func secretFlags(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, webhookstest.NewSecret())
		return nil
	}
}
