// Command openai-webhooks signs, sends, receives and verifies OpenAI webhook
// deliveries, for developing and testing a receiver, and shows the whole
// library at work with its demo:
//
//	openai-webhooks demo                         # a receiver, every event type, and what it answered
//	openai-webhooks secret                       # a fresh signing secret for local work
//	openai-webhooks listen --addr 127.0.0.1:8080 # print every delivery sent to it
//	openai-webhooks listen --forward-to http://127.0.0.1:3000/webhooks
//	openai-webhooks listen --queue sqlite:queue.db  # answer once enqueued, process afterwards
//	openai-webhooks discarded --queue postgres://... # webhook jobs River gave up on
//	openai-webhooks retry --queue postgres://... 42  # try one again
//	openai-webhooks trigger batch.completed --url http://127.0.0.1:8080/
//	openai-webhooks sign < body.json             # the three headers of a signed delivery
//	openai-webhooks verify --header 'webhook-id: ...' ... < body.json
//	openai-webhooks --version
//
// The secret comes from --secret or, by default, OPENAI_WEBHOOK_SECRET.
// Exit status: 0 on success, 1 when the work failed (a rejected delivery, a
// failed demo row), 2 on a usage or configuration error (a malformed secret
// or URL included).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/go-openai-webhooks/webhooks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdinIsTerminal: func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		self:            self(),
	}))
}

// self returns how to run this tool again from the working directory: see
// selfCommand.
func self() string {
	executable, _ := os.Executable()
	cwd, _ := os.Getwd()
	info, _ := debug.ReadBuildInfo()
	return selfCommand(os.Args[0], executable, cwd, info)
}

// env is what a command reads and writes, so that tests can run commands
// in-process.
type env struct {
	stdin           io.Reader
	stdout, stderr  io.Writer
	getenv          func(string) string
	stdinIsTerminal func() bool
	// self is how the commands the tool prints run it, such as
	// "openai-webhooks" or "go run ./cmd/openai-webhooks"; "" means
	// defaultSelf.
	self string
}

// A command is one subcommand of the tool.
type command struct {
	name    string
	args    string // synopsis of the arguments, after the flags
	summary string
	// flags defines the command's flags on fs and returns the function that
	// runs the command with the positional arguments.
	flags func(fs *flag.FlagSet, e *env) func(ctx context.Context, args []string) error
}

var commands = []command{
	{"demo", "", "run a receiver, send it every event type and bad deliveries, and show what it answered", demoFlags},
	{"secret", "", "print a fresh signing secret (whsec_...) for local work", secretFlags},
	{"listen", "", "receive deliveries and print each one, duplicates included, or why it was rejected", listenFlags},
	{"trigger", "<event-type>", "send a signed sample delivery of <event-type> to a URL", triggerFlags},
	{"sign", "< body", "print the headers of a delivery of the body on stdin", signFlags},
	{"verify", "< body", "verify and decode the delivery of the body on stdin and the given headers", verifyFlags},
	{"discarded", "", "list the webhook jobs of a queue that River gave up on: discarded, or cancelled as undecodable", discardedFlags},
	{"retry", "<job>", "try a discarded or cancelled webhook job of a queue again", retryFlags},
}

// usageError is an error in the command line: exit status 2. Its message
// is one line; more, if not "", is printed after it, in lines of its own,
// instead of the pointer to the command's --help.
type usageError struct{ msg, more string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{msg: fmt.Sprintf(format, args...)} }

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "openai-webhooks: no command; run 'openai-webhooks --help'")
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(e.stdout)
		return 0
	case "-version", "--version", "version":
		fmt.Fprintln(e.stdout, version())
		return 0
	case "help":
		if len(args) == 1 {
			printUsage(e.stdout)
			return 0
		}
		if c, ok := lookup(args[1]); ok {
			return c.run(ctx, []string{"--help"}, e)
		}
		fmt.Fprintf(e.stderr, "openai-webhooks help: unknown command %q; run 'openai-webhooks --help'\n", args[1])
		return 2
	}
	if c, ok := lookup(args[0]); ok {
		return c.run(ctx, args[1:], e)
	}
	fmt.Fprintf(e.stderr, "openai-webhooks: unknown command %q; run 'openai-webhooks --help'\n", args[0])
	return 2
}

// lookup returns the command named name.
func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// version returns the tool's version, from the build information: the
// module's version when installed with go install ...@version, "(devel)"
// when built from a checkout, with its commit when the build recorded one.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "openai-webhooks (unknown version)"
	}
	v := "openai-webhooks " + info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v + " " + info.GoVersion
}

func (c command) run(ctx context.Context, args []string, e *env) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported below, in one line
	runCmd := c.flags(fs, e)
	positional, err := parseInterspersed(fs, args)
	if err == nil {
		err = runCmd(ctx, positional)
	}
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		c.printUsage(e.stdout, fs)
		return 0
	case errors.As(err, &usage) && usage.more != "":
		fmt.Fprintf(e.stderr, "openai-webhooks %s: %v\n%s", c.name, err, usage.more)
		return 2
	case errors.As(err, &usage) || isFlagError(err) || errors.Is(err, webhooks.ErrInvalidSecret):
		fmt.Fprintf(e.stderr, "openai-webhooks %s: %v; run 'openai-webhooks %s --help'\n", c.name, err, c.name)
		return 2
	default:
		fmt.Fprintf(e.stderr, "openai-webhooks %s: %v\n", c.name, err)
		return 1
	}
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("trigger batch.completed --url ..."), and returns the
// positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// flagError marks an error from the flag package: a usage error.
type flagError struct{ err error }

func (e flagError) Error() string { return e.err.Error() }
func (e flagError) Unwrap() error { return e.err }

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `openai-webhooks signs, sends, receives and verifies OpenAI webhook deliveries.

Usage:
  openai-webhooks <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
The secret comes from --secret or, by default, the `+webhooks.SecretEnv+` environment
variable. Run 'openai-webhooks help <command>' (or <command> --help) for a command's flags;
'openai-webhooks --version' prints the version.
Exit status: 0 success, 1 failure (a rejected delivery, a failed demo), 2 usage or
configuration error (a malformed secret or URL included).
`)
}

func (c command) printUsage(w io.Writer, fs *flag.FlagSet) {
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	synopsis := []string{"openai-webhooks", c.name}
	if hasFlags {
		synopsis = append(synopsis, "[flags]")
	}
	if c.args != "" {
		synopsis = append(synopsis, c.args)
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n", strings.Join(synopsis, " "), strings.ToUpper(c.summary[:1])+c.summary[1:])
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	if c.args == "<event-type>" {
		fmt.Fprintln(w, "\nEvent types:")
		for _, t := range webhooks.EventTypes() {
			fmt.Fprintf(w, "  %s\n", t)
		}
	}
}

// secretFlag defines --secret, whose default is read from the environment
// when the command runs, and --raw-secret.
type secretFlag struct {
	value string
	raw   bool
	e     *env
}

func addSecretFlag(fs *flag.FlagSet, e *env) *secretFlag {
	s := &secretFlag{e: e}
	fs.StringVar(&s.value, "secret", "", "signing secret (default $"+webhooks.SecretEnv+"); prefer the environment, flags show in process lists")
	fs.BoolVar(&s.raw, "raw-secret", false, "take a secret without the whsec_ prefix as raw key bytes, as openai-go does")
	return s
}

// get returns the secret, or a usage error if there is none.
func (s *secretFlag) get() (string, error) {
	if s.value != "" {
		return s.value, nil
	}
	if v := s.e.getenv(webhooks.SecretEnv); v != "" {
		return v, nil
	}
	return "", usagef("no secret: pass --secret or set %s", webhooks.SecretEnv)
}

// verifier returns a Verifier for the secret, read as the flags say.
func (s *secretFlag) verifier(opts ...webhooks.Option) (*webhooks.Verifier, error) {
	secret, err := s.get()
	if err != nil {
		return nil, err
	}
	if s.raw {
		opts = append(opts, webhooks.WithRawSecret())
	}
	v, err := webhooks.NewVerifier(secret, opts...)
	if err != nil {
		return nil, s.explain(secret, err)
	}
	return v, nil
}

// headers returns the signed headers of a delivery of body, with the
// secret read as the flags say.
func (s *secretFlag) headers(body []byte, opts ...webhookstest.Option) (http.Header, error) {
	if _, err := s.verifier(); err != nil { // so that a malformed secret is an error, not webhookstest's panic
		return nil, err
	}
	secret, _ := s.get()
	if s.raw {
		opts = append(opts, webhookstest.WithRawSecret())
	}
	return webhookstest.Headers(secret, body, opts...), nil
}

// explain adds the tool's way to say "raw key bytes" to the error of a
// secret without the whsec_ prefix.
func (s *secretFlag) explain(secret string, err error) error {
	if errors.Is(err, webhooks.ErrInvalidSecret) && !s.raw && !strings.HasPrefix(secret, "whsec_") {
		return fmt.Errorf("%w (with this tool: --raw-secret)", err)
	}
	return err
}

// receiverURL checks a --url or --forward-to value: an http or https URL
// with a host.
func receiverURL(flagName, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usagef("%s %q: want an http:// or https:// URL with a host, such as http://127.0.0.1:8080/", flagName, raw)
	}
	return u.String(), nil
}

// noArgs is a usage error for commands that take no positional arguments.
func noArgs(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}
