package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// syncBuffer is a bytes.Buffer safe for a command writing in another
// goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is what one run of the tool did.
type result struct {
	code           int
	stdout, stderr string
}

// runTool runs the tool in-process with args, stdin and the secret in the
// environment.
func runTool(t *testing.T, secret, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	code := run(context.Background(), args, &env{
		stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, getenv: secretEnv(secret),
	})
	return result{code, stdout.String(), stderr.String()}
}

// secretEnv is an environment that holds only the secret.
func secretEnv(secret string) func(string) string {
	return func(k string) string {
		if k == webhooks.SecretEnv {
			return secret
		}
		return ""
	}
}

func TestDemo(t *testing.T) {
	r := runTool(t, "", "", "demo")
	require.Equal(t, 0, r.code, "stderr: %s\nstdout: %s", r.stderr, r.stdout)
	for _, typ := range webhooks.EventTypes() {
		assert.Regexp(t, `(?m)^sample\s+`+regexp.QuoteMeta(string(typ))+`\s+\S+WebhookEvent\s+evt_\S+\s+data\.\S+=\S+\s+200\s+ok$`, r.stdout)
	}
	for _, row := range []string{
		`(?m)^tampered body\s+response\.completed\s+-\s+-\s+refused: webhooks: no matching signature\s+400\s+ok$`,
		`(?m)^wrong secret\s+.*\s+400\s+ok$`,
		`(?m)^stale \(10 min\)\s+batch\.failed\s+.*timestamp too old.*\s+400\s+ok$`,
		`(?m)^duplicate\s+.*\(processed before\).*\s+200\s+ok$`,
		`(?m)^unknown type\s+video\.generation\.completed\s+UnknownEvent\s+.*\s+200\s+ok$`,
	} {
		assert.Regexp(t, row, r.stdout)
	}
	assert.Contains(t, r.stdout, fmt.Sprintf("All %d deliveries answered as they should be.", len(webhooks.EventTypes())+5))
	assert.NotContains(t, r.stdout, "FAIL")
	assert.NotContains(t, r.stdout, "whsec_", "the demo must not print its secret")
}

func TestListenAndTrigger(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		t.Run(map[bool]string{false: "text", true: "json"}[asJSON], func(t *testing.T) {
			secret := webhookstest.NewSecret()
			ctx, cancel := context.WithCancel(context.Background())
			var stdout, stderr syncBuffer
			args := []string{"listen", "--addr", "127.0.0.1:0"}
			if asJSON {
				args = append(args, "--json")
			}
			done := make(chan int)
			go func() {
				done <- run(ctx, args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: secretEnv(secret)})
			}()

			addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
			var url string
			require.Eventually(t, func() bool {
				m := addr.FindStringSubmatch(stderr.String())
				if m != nil {
					url = m[1] + "/webhooks/openai"
				}
				return m != nil
			}, 10*time.Second, 10*time.Millisecond, "listen never said where: %s", stderr.String())

			r := runTool(t, secret, "", "trigger", "realtime.call.incoming", "--url", url, "--id", "wh_trigger_1")
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "200 OK")
			bad := runTool(t, webhookstest.NewSecret(), "", "trigger", "batch.failed", "--url", url, "--id", "wh_trigger_2")
			assert.Equal(t, 1, bad.code, "a rejected delivery fails trigger")
			assert.Contains(t, bad.stdout, "400 Bad Request")

			require.Eventually(t, func() bool { return strings.Count(stdout.String(), "\n") >= 2 }, 10*time.Second, 10*time.Millisecond)
			cancel()
			require.Equal(t, 0, <-done, stderr.String())

			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			require.Len(t, lines, 2)
			if !asJSON {
				assert.Regexp(t, `accepted realtime\.call\.incoming `+sampleID(t, webhooks.EventTypeRealtimeCallIncoming)+` \(RealtimeCallIncomingWebhookEvent\) webhook-id wh_trigger_1 data \{"call_id":"rtc_479a275623b54bdb9b6fbae2f7cbd408"`, lines[0])
				assert.Regexp(t, `rejected webhook-id "wh_trigger_2": webhooks: no matching signature`, lines[1])
				return
			}
			var accepted, rejected struct {
				Result, WebhookID, Type, Struct, Error string
				Event                                  json.RawMessage
			}
			require.NoError(t, json.Unmarshal([]byte(lines[0]), &accepted))
			require.NoError(t, json.Unmarshal([]byte(lines[1]), &rejected))
			assert.Equal(t, "accepted", accepted.Result)
			assert.Equal(t, "realtime.call.incoming", accepted.Type)
			assert.Equal(t, "RealtimeCallIncomingWebhookEvent", accepted.Struct)
			event, err := webhooks.ParseEvent(accepted.Event)
			require.NoError(t, err, "the printed event is a valid body")
			assert.Equal(t, sampleID(t, webhooks.EventTypeRealtimeCallIncoming), event.EventID())
			assert.Equal(t, "rejected", rejected.Result)
			assert.Contains(t, rejected.Error, webhooks.ErrInvalidSignature.Error())
		})
	}
}

// sampleID returns the event id of the sample of typ.
func sampleID(t *testing.T, typ webhooks.EventType) string {
	t.Helper()
	event, err := webhooks.ParseEvent(webhookstest.Sample(typ))
	require.NoError(t, err)
	return event.EventID()
}

func TestSignThenVerify(t *testing.T) {
	secret := webhookstest.NewSecret()
	body := string(webhookstest.Sample(webhooks.EventTypeFineTuningJobFailed))
	signed := runTool(t, secret, body, "sign", "--id", "wh_sign_1")
	require.Equal(t, 0, signed.code, signed.stderr)
	lines := strings.Split(strings.TrimSpace(signed.stdout), "\n")
	require.Len(t, lines, 3)
	assert.True(t, strings.HasPrefix(lines[0], "webhook-id: wh_sign_1"), lines[0])
	verifyArgs := []string{"verify"}
	for _, l := range lines {
		verifyArgs = append(verifyArgs, "--header", l)
	}

	tests := []struct {
		name     string
		secret   string
		body     string
		args     []string
		wantCode int
		want     string
	}{
		{"what sign produced", secret, body, verifyArgs, 0, "valid: fine_tuning.job.failed " + sampleID(t, webhooks.EventTypeFineTuningJobFailed) + " (FineTuningJobFailedWebhookEvent)"},
		{"a changed body", secret, strings.Replace(body, "ftjob-", "ftjob_", 1), verifyArgs, 1, "invalid delivery: webhooks: no matching signature"},
		{"another secret", webhookstest.NewSecret(), body, verifyArgs, 1, "invalid delivery: webhooks: no matching signature"},
		{"a missing header", secret, body, verifyArgs[:5], 1, "invalid delivery: webhooks: missing header: webhook-signature"},
		{"a secret flag", "", body, append(verifyArgs, "--secret", secret), 0, "valid: fine_tuning.job.failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTool(t, tt.secret, tt.body, tt.args...)
			assert.Equal(t, tt.wantCode, r.code, "stdout %s stderr %s", r.stdout, r.stderr)
			assert.Contains(t, r.stdout+r.stderr, tt.want)
		})
	}

	t.Run("curl", func(t *testing.T) {
		r := runTool(t, secret, body, "sign", "--curl", "--url", "http://127.0.0.1:9/hook")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Regexp(t, `^curl -sS -X POST 'http://127\.0\.0\.1:9/hook' -H 'Content-Type: application/json' -H 'webhook-id: wh_[0-9a-f]{32}' -H 'webhook-timestamp: \d+' -H 'webhook-signature: v1,[A-Za-z0-9+/=]+' --data-binary '\{`, r.stdout)
	})
}

func TestUsageErrors(t *testing.T) {
	secret := webhookstest.NewSecret()
	tests := []struct {
		name   string
		secret string
		args   []string
		want   string
	}{
		{"no command", secret, nil, "no command"},
		{"unknown command", secret, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"demo: unknown flag", secret, []string{"demo", "--fast"}, "flag provided but not defined: -fast"},
		{"demo: argument", secret, []string{"demo", "now"}, `unexpected argument "now"`},
		{"listen: unknown flag", secret, []string{"listen", "--port", "80"}, "flag provided but not defined: -port"},
		{"listen: no secret", "", []string{"listen"}, "no secret: pass --secret or set OPENAI_WEBHOOK_SECRET"},
		{"listen: bad secret", "whsec_short", []string{"listen", "--addr", "127.0.0.1:0"}, ""},
		{"trigger: no type", secret, []string{"trigger", "--url", "http://127.0.0.1:9/"}, "want one event type"},
		{"trigger: unknown type", secret, []string{"trigger", "video.completed", "--url", "http://127.0.0.1:9/"}, `unknown event type "video.completed"`},
		{"trigger: no url", secret, []string{"trigger", "batch.failed"}, "--url is required"},
		{"sign: bad timestamp", secret, []string{"sign", "--timestamp", "yesterday"}, `invalid value "yesterday" for flag -timestamp`},
		{"verify: bad header flag", secret, []string{"verify", "--header", "no colon"}, "want 'Name: value'"},
		{"verify: bad tolerance", secret, []string{"verify", "--tolerance", "-1s"}, "--tolerance must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTool(t, tt.secret, "", tt.args...)
			if tt.want == "" { // a bad secret is a failure, not a usage error
				assert.Equal(t, 1, r.code)
				assert.Contains(t, r.stderr, webhooks.ErrInvalidSecret.Error())
				assert.NotContains(t, r.stderr, "whsec_short", "the secret must not be echoed")
				return
			}
			assert.Equal(t, 2, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "got %q, want one line", r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestHelp(t *testing.T) {
	r := runTool(t, "", "", "--help")
	require.Equal(t, 0, r.code)
	for _, c := range commands {
		assert.Contains(t, r.stdout, "  "+c.name+" ")
		sub := runTool(t, "", "", c.name, "--help")
		assert.Equal(t, 0, sub.code, c.name)
		assert.Contains(t, sub.stdout, "Usage: openai-webhooks "+c.name)
		assert.Empty(t, sub.stderr)
	}
}

// TestBinary builds the tool and checks its exit statuses as a process.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "openai-webhooks")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	demo := exec.Command(bin, "demo")
	out, err = demo.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), fmt.Sprintf("All %d deliveries answered as they should be.", len(webhooks.EventTypes())+5))

	for args, want := range map[string]int{"sign --nope": 2, "": 2, "help": 0} {
		cmd := exec.Command(bin, strings.Fields(args)...)
		cmd.Env = append(os.Environ(), webhooks.SecretEnv+"="+webhookstest.NewSecret())
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else {
			require.NoError(t, err)
		}
		assert.Equal(t, want, code, "openai-webhooks %s", args)
	}
}
