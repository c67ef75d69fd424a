package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

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
		assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(string(typ))+`\s+\S+WebhookEvent\s+200 ok$`, r.stdout)
	}
	for _, row := range []string{
		`(?m)^tampered body\s+refused: no matching signature\s+400 ok$`,
		`(?m)^signed with another secret\s+refused: no matching signature\s+400 ok$`,
		`(?m)^signed 10 minutes ago\s+refused: timestamp too old\s+400 ok$`,
		`(?m)^a copy of response\.completed\s+not processed again\s+200 ok$`,
		`(?m)^type video\.generation\.completed\s+decoded as UnknownEvent\s+200 ok$`,
	} {
		assert.Regexp(t, row, r.stdout)
	}
	assert.Contains(t, r.stdout, fmt.Sprintf("All %d deliveries answered as they should be.", len(webhooks.EventTypes())+5))
	for _, typ := range queueDemoTypes {
		assert.Regexp(t, `(?m)^sample\s+`+regexp.QuoteMeta(string(typ))+`\s+200\s+\S+s$`, r.stdout)
		assert.Regexp(t, `(?m)^  processed `+regexp.QuoteMeta(string(typ))+`\s+\S+s after it was answered$`, r.stdout)
	}
	assert.Regexp(t, `(?m)^a copy of the first\s+batch\.completed\s+200\s+\S+s$`, r.stdout)
	assert.Contains(t, r.stdout, "All 3 answered before their work was done; each processed once.")
	assert.Contains(t, r.stdout, "Next, with a receiver of your own:")
	assert.Contains(t, r.stdout, "\n  openai-webhooks listen --forward-to")
	assert.NotContains(t, r.stdout, "FAIL")
	assert.NotContains(t, r.stdout, "whsec_", "the demo must not print its secret")
	for i, line := range strings.Split(r.stdout, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), demoWidth, "line %d is wider than %d columns: %q", i, demoWidth, line)
	}
}

// TestDemoNext: the commands the demo suggests run the tool as the user
// did, and fit 80 columns, wrapped at a flag if need be.
func TestDemoNext(t *testing.T) {
	tests := []struct {
		name string
		self string
	}{
		{"installed", "openai-webhooks"},
		{"go run from the checkout", "go run ./cmd/openai-webhooks"},
		{"go run from the tool's directory", "go run ."},
		{"go run of a version", "go run github.com/go-openai-webhooks/webhooks/cmd/openai-webhooks@v0.1.0"},
		{"a path with a space", shellQuote("/home/me/my tools/openai-webhooks")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printNext(&out, tt.self)
			for i, line := range strings.Split(out.String(), "\n") {
				assert.LessOrEqual(t, utf8.RuneCountInString(line), demoWidth, "line %d is wider than %d columns: %q", i, demoWidth, line)
			}
			commands := nextCommands(out.String())
			require.Len(t, commands, 5, "%s", out.String())
			assert.Equal(t, "export "+webhooks.SecretEnv+"=$("+tt.self+" secret)", commands[0])
			for _, c := range commands[1:] {
				assert.True(t, strings.HasPrefix(c, tt.self+" "), "got %q, want it to start with %q", c, tt.self)
			}
			assert.Equal(t, tt.self+" listen --forward-to http://127.0.0.1:3000/webhooks", commands[1])
			assert.Equal(t, tt.self+" trigger response.completed --url http://127.0.0.1:8080/", commands[2])
		})
	}
}

// nextCommands returns the commands of the demo's "Next" steps, with their
// backslash-newlines joined.
func nextCommands(out string) []string {
	_, next, _ := strings.Cut(out, "Next, with a receiver of your own:")
	var commands []string
	continued := false
	for _, line := range strings.Split(next, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		more := strings.HasSuffix(line, " \\")
		line = strings.TrimSuffix(line, " \\")
		if continued {
			commands[len(commands)-1] += " " + line
		} else {
			commands = append(commands, line)
		}
		continued = more
	}
	return commands
}

// TestPrintTableNarrows: a table that would be wider than the demo's 80
// columns, as the catalogue's types grow, drops WebhookEvent from the names
// of the structs.
func TestPrintTableNarrows(t *testing.T) {
	tests := []struct {
		name      string
		rows      [][]string
		wantShort bool
	}{
		{"narrow enough", [][]string{{"TYPE", "DECODED AS", "ANSWER"}, {"batch.completed", "BatchCompletedWebhookEvent", "200 ok"}}, false},
		{"too wide", [][]string{{"TYPE", "DECODED AS", "ANSWER"},
			{"agent.session.action_required_again", "AgentSessionActionRequiredAgainWebhookEvent", "200 ok"},
			{"batch.completed", "BatchCompletedWebhookEvent", "200 ok"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, printTable(&out, tt.rows))
			assert.LessOrEqual(t, widest(out.String()), demoWidth, "%s", out.String())
			assert.Equal(t, tt.wantShort, strings.Contains(out.String(), "BatchCompleted…"), "%s", out.String())
			assert.Equal(t, !tt.wantShort, strings.Contains(out.String(), "BatchCompletedWebhookEvent"), "%s", out.String())
		})
	}
}

// startListen runs listen with args in the background and returns its URL
// and output; the returned function stops it and returns its exit status.
func startListen(t *testing.T, secret string, args ...string) (url string, stdout, stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"listen", "--addr", "127.0.0.1:0"}, args...),
			&env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: secretEnv(secret)})
	}()
	addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	require.Eventually(t, func() bool {
		m := addr.FindStringSubmatch(stderr.String())
		if m != nil {
			url = m[1] + "/webhooks/openai"
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "listen never said where: %s", stderr.String())
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return url, stdout, stderr, stop
}

func TestListenAndTrigger(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		t.Run(map[bool]string{false: "text", true: "json"}[asJSON], func(t *testing.T) {
			secret := webhookstest.NewSecret()
			var args []string
			if asJSON {
				args = append(args, "--json")
			}
			url, stdout, stderr, stop := startListen(t, secret, args...)

			r := runTool(t, secret, "", "trigger", "realtime.call.incoming", "--url", url, "--id", "wh_trigger_1", "--event-id", "evt_fixed_1")
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "200 OK")
			again := runTool(t, secret, "", "trigger", "realtime.call.incoming", "--url", url, "--id", "wh_trigger_1", "--event-id", "evt_fixed_1")
			require.Equal(t, 0, again.code, "a copy is answered 200: %s", again.stderr)
			bad := runTool(t, webhookstest.NewSecret(), "", "trigger", "batch.failed", "--url", url, "--id", "wh_trigger_2")
			assert.Equal(t, 1, bad.code, "a rejected delivery fails trigger")
			assert.Contains(t, bad.stdout, "400 Bad Request")

			get, err := http.Get(url + "?x=1")
			require.NoError(t, err)
			get.Body.Close()
			assert.Equal(t, http.StatusMethodNotAllowed, get.StatusCode)

			require.Eventually(t, func() bool { return strings.Count(stdout.String(), "\n") >= 4 }, 10*time.Second, 10*time.Millisecond)
			require.Equal(t, 0, stop(), stderr.String())

			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			require.Len(t, lines, 4, "every delivery is printed, the copy too")
			if !asJSON {
				assert.Regexp(t, `200 processed\s+realtime\.call\.incoming evt_fixed_1 webhook-id wh_trigger_1 \(RealtimeCallIncomingWebhookEvent\) data \{"call_id":"rtc_479a275623b54bdb9b6fbae2f7cbd408"`, lines[0])
				assert.Regexp(t, `200 duplicate\s+realtime\.call\.incoming evt_fixed_1 webhook-id wh_trigger_1$`, lines[1])
				assert.Regexp(t, `400 rejected\s+webhook-id wh_trigger_2: webhooks: no matching signature`, lines[2])
				assert.Regexp(t, `405 rejected\s+GET /webhooks/openai\?x=1, no webhook-id: webhooks: method not allowed`, lines[3], "a request without a webhook-id says which it was")
				return
			}
			var recs [4]struct {
				Result    string          `json:"result"`
				Status    int             `json:"status"`
				WebhookID string          `json:"webhook_id"`
				Type      string          `json:"type"`
				Struct    string          `json:"struct"`
				Data      json.RawMessage `json:"data"`
				Error     string          `json:"error"`
			}
			for i := range recs {
				require.NoError(t, json.Unmarshal([]byte(lines[i]), &recs[i]))
			}
			assert.Equal(t, "processed", recs[0].Result)
			assert.Equal(t, 200, recs[0].Status)
			assert.Equal(t, "realtime.call.incoming", recs[0].Type)
			assert.Equal(t, "RealtimeCallIncomingWebhookEvent", recs[0].Struct)
			assert.Contains(t, string(recs[0].Data), `"call_id":"rtc_479a275623b54bdb9b6fbae2f7cbd408"`)
			assert.Equal(t, "duplicate", recs[1].Result)
			assert.Equal(t, "wh_trigger_1", recs[1].WebhookID)
			assert.Equal(t, "rejected", recs[2].Result)
			assert.Equal(t, 400, recs[2].Status)
			assert.Contains(t, recs[2].Error, webhooks.ErrInvalidSignature.Error())
			assert.Equal(t, 405, recs[3].Status)
			assert.Empty(t, recs[3].WebhookID)
		})
	}
}

// TestListenForwardTo relays deliveries to a test app: each arrives with its
// original headers and body byte for byte, copies included; listen answers
// with the app's status and prints it beside its own.
func TestListenForwardTo(t *testing.T) {
	secret := webhookstest.NewSecret()
	type got struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var received []got
	appStatus := http.StatusOK
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		received = append(received, got{r.Header.Clone(), body})
		w.WriteHeader(appStatus)
	}))
	defer app.Close()
	url, stdout, _, stop := startListen(t, secret, "--forward-to", app.URL+"/hooks")

	body := []byte("{\n  \"id\": \"evt_fwd_1\", \"object\": \"event\", \"created_at\": 1, \"type\": \"batch.completed\",\n  \"data\": {\"id\": \"batch_1\", \"new_field\": [1, 2.50]}\n}")
	headers := webhookstest.Headers(secret, body, webhookstest.WithID("wh_fwd_1"))
	headers.Set("User-Agent", "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)")
	deliver := func(h http.Header) int { // as OpenAI does, with its headers as they are
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header = h.Clone()
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 2 {
		assert.Equal(t, http.StatusOK, deliver(headers))
	}
	mu.Lock()
	appStatus = http.StatusInternalServerError
	mu.Unlock()
	assert.Equal(t, http.StatusInternalServerError, deliver(headers), "listen answers with the app's status")
	assert.Equal(t, http.StatusBadRequest, deliver(webhookstest.Headers(webhookstest.NewSecret(), body)), "a forged delivery is not forwarded")
	require.Equal(t, 0, stop())

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, received, 3, "every verified copy reaches the app, the forged one does not")
	for _, g := range received {
		assert.Equal(t, body, g.body, "the body, byte for byte")
		for _, name := range []string{webhooks.HeaderID, webhooks.HeaderTimestamp, webhooks.HeaderSignature, "User-Agent"} {
			assert.Equal(t, headers.Get(name), g.header.Get(name), "header %s", name)
		}
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 4, "%s", stdout.String())
	assert.Regexp(t, `200 processed\s+batch\.completed evt_fwd_1 webhook-id wh_fwd_1 \(BatchCompletedWebhookEvent\) data \{"id":"batch_1"\} → app 200$`, lines[0])
	assert.Regexp(t, `200 copy 2\s+batch\.completed evt_fwd_1 webhook-id wh_fwd_1 .* → app 200$`, lines[1], "a copy the app answered 2xx again is not processed")
	assert.Regexp(t, `500 failed .* \[copy 3\] → app 500: webhooks: callback failed`, lines[2])
	assert.Regexp(t, `400 rejected\s+webhook-id wh_`, lines[3])
}

// TestListenForwardToAppDown: while the app cannot be reached, listen
// answers 502 and prints the 502 it answered; once the app is back, the
// retry is processed, the second delivery of its webhook-id but the first
// the app answered 2xx, and a copy after it is a copy.
func TestListenForwardToAppDown(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		t.Run(map[bool]string{false: "text", true: "json"}[asJSON], func(t *testing.T) {
			secret := webhookstest.NewSecret()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := ln.Addr().String()
			require.NoError(t, ln.Close()) // the app is down: nothing listens on its port
			args := []string{"--forward-to", "http://" + addr + "/hooks"}
			if asJSON {
				args = append(args, "--json")
			}
			url, stdout, _, stop := startListen(t, secret, args...)

			body := webhookstest.Sample(webhooks.EventTypeBatchCompleted)
			headers := webhookstest.Headers(secret, body, webhookstest.WithID("wh_down_1"))
			assert.Equal(t, http.StatusBadGateway, postStatus(t, url, body, headers), "the app is down")
			ln, err = net.Listen("tcp", addr) // the app is up again
			require.NoError(t, err)
			app := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), ReadHeaderTimeout: 5 * time.Second}
			go func() { _ = app.Serve(ln) }()
			defer app.Close()
			assert.Equal(t, http.StatusOK, postStatus(t, url, body, headers), "the retry, once the app is up")
			assert.Equal(t, http.StatusOK, postStatus(t, url, body, headers), "a copy")
			require.Equal(t, 0, stop())

			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			require.Len(t, lines, 3, "%s", stdout.String())
			if !asJSON {
				assert.Regexp(t, `^\S+ 502 failed\s+batch\.completed \S+ webhook-id wh_down_1 .*: webhooks: callback failed: .*forwarding to`, lines[0])
				assert.Regexp(t, `^\S+ 200 processed\s+batch\.completed .* \[copy 2\] → app 200$`, lines[1])
				assert.Regexp(t, `^\S+ 200 copy 3\s+batch\.completed .* → app 200$`, lines[2])
				return
			}
			want := []struct {
				result       string
				status, copy int
				appStatus    int
			}{{"failed", 502, 0, 0}, {"processed", 200, 2, 200}, {"copy", 200, 3, 200}}
			for i, w := range want {
				var got record
				require.NoError(t, json.Unmarshal([]byte(lines[i]), &got), lines[i])
				assert.Equal(t, w.result, got.Result, lines[i])
				assert.Equal(t, w.status, got.Status, "what listen answered: %s", lines[i])
				assert.Equal(t, w.copy, got.Copy, lines[i])
				assert.Equal(t, w.appStatus, got.AppStatus, lines[i])
			}
		})
	}
}

// postStatus sends a delivery and returns the status of the answer.
func postStatus(t *testing.T, url string, body []byte, headers http.Header) int {
	t.Helper()
	status, err := post(context.Background(), url, body, headers)
	require.NoError(t, err)
	return status
}

func TestTriggerBodies(t *testing.T) {
	secret := webhookstest.NewSecret()
	var mu sync.Mutex
	var bodies [][]byte
	var headers []http.Header
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies, headers = append(bodies, body), append(headers, r.Header.Clone())
	}))
	defer app.Close()
	last := func(t *testing.T) (webhooks.Event, http.Header) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		event, err := webhooks.ParseEvent(bodies[len(bodies)-1])
		require.NoError(t, err, "%s", bodies[len(bodies)-1])
		return event, headers[len(headers)-1]
	}
	trigger := func(t *testing.T, args ...string) {
		t.Helper()
		r := runTool(t, secret, "", append([]string{"trigger", "--url", app.URL}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
	}

	t.Run("a fresh event id each time", func(t *testing.T) {
		trigger(t, "batch.completed")
		first, _ := last(t)
		trigger(t, "batch.completed")
		second, _ := last(t)
		assert.Regexp(t, `^evt_[0-9a-f]{32}$`, first.EventID())
		assert.NotEqual(t, first.EventID(), second.EventID())
		assert.NotEqual(t, sampleID(t, webhooks.EventTypeBatchCompleted), first.EventID())
		assert.Equal(t, webhooks.EventTypeBatchCompleted, first.EventType())
	})
	t.Run("--event-id", func(t *testing.T) {
		trigger(t, "batch.completed", "--event-id", "evt_mine")
		e, _ := last(t)
		assert.Equal(t, "evt_mine", e.EventID())
	})
	t.Run("--timestamp", func(t *testing.T) {
		trigger(t, "batch.completed", "--timestamp", "1750000000")
		_, h := last(t)
		assert.Equal(t, "1750000000", h.Get(webhooks.HeaderTimestamp))
	})
	t.Run("--data", func(t *testing.T) {
		trigger(t, "agent.session.created", "--data", `{"id":"sess_mine","environment_type":"none"}`)
		e, _ := last(t)
		got := e.(webhooks.AgentSessionCreatedWebhookEvent)
		assert.Equal(t, "sess_mine", got.Data.ID)
		assert.Nil(t, got.Data.Connect)
	})
	t.Run("--data from a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "data.json")
		require.NoError(t, os.WriteFile(path, []byte(`{"id":"resp_from_file"}`), 0o600))
		trigger(t, "response.completed", "--data", "@"+path)
		e, _ := last(t)
		assert.Equal(t, "resp_from_file", e.(webhooks.ResponseCompletedWebhookEvent).Data.ID)
	})
	t.Run("--body, sent as it is", func(t *testing.T) {
		body := `{"id":"evt_b","created_at":7,"type":"x.new","data":{}}`
		trigger(t, "--body", body)
		mu.Lock()
		assert.Equal(t, body, string(bodies[len(bodies)-1]))
		mu.Unlock()
	})
}

func TestSecret(t *testing.T) {
	r := runTool(t, "", "", "secret")
	require.Equal(t, 0, r.code, r.stderr)
	secret := strings.TrimSpace(r.stdout)
	assert.Regexp(t, `^whsec_[A-Za-z0-9+/]{43}=$`, secret)
	_, err := webhooks.NewVerifier(secret)
	require.NoError(t, err, "a secret the tool makes is one the library takes")
	assert.NotEqual(t, secret, strings.TrimSpace(runTool(t, "", "", "secret").stdout), "fresh each time")
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		r := runTool(t, "", "", arg)
		require.Equal(t, 0, r.code)
		assert.Regexp(t, `^openai-webhooks \S+.* go1\.\d+`, r.stdout)
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
		{"a body that is not JSON", secret, "no", signedArgs(t, secret, "no"), 1, "invalid delivery: webhooks: invalid payload: the body is not JSON: invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTool(t, tt.secret, tt.body, tt.args...)
			assert.Equal(t, tt.wantCode, r.code, "stdout %s stderr %s", r.stdout, r.stderr)
			assert.Contains(t, r.stdout+r.stderr, tt.want)
		})
	}

	for _, args := range [][]string{{"--curl", "--url", "http://127.0.0.1:9/hook"}, {"--url", "http://127.0.0.1:9/hook"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runTool(t, secret, body, append([]string{"sign"}, args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Regexp(t, `^curl -sS -X POST 'http://127\.0\.0\.1:9/hook' -H 'Content-Type: application/json' -H 'webhook-id: wh_[0-9a-f]{32}' -H 'webhook-timestamp: \d+' -H 'webhook-signature: v1,[A-Za-z0-9+/=]+' --data-binary '\{`, r.stdout)
		})
	}
}

// TestSecrets: the tool reads --secret as the library does: whsec_ and
// base64, and a secret without the prefix only with --raw-secret, as raw key
// bytes; an unprefixed secret, an API key or a prefix typo is a
// configuration error (exit 2) whose message says what to write, and never
// holds the secret.
func TestSecrets(t *testing.T) {
	body := string(webhookstest.Sample(webhooks.EventTypeBatchCompleted))
	key := "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name     string
		secret   string
		raw      bool
		wantCode int // of sign, and of verify of what it signed
	}{
		{"whsec_", webhookstest.NewSecret(), false, 0},
		{"whsec_, --raw-secret: still base64", webhookstest.NewSecret(), true, 0},
		{"unprefixed", key, false, 2},
		{"unprefixed, --raw-secret: raw key bytes", key, true, 0},
		{"an API key", "sk-proj-" + key, false, 2},
		{"a whsec- typo", "whsec-" + key, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flags := []string{"--secret", tt.secret}
			if tt.raw {
				flags = append(flags, "--raw-secret")
			}
			signed := runTool(t, "", body, append([]string{"sign"}, flags...)...)
			assert.Equal(t, tt.wantCode, signed.code, "sign: %s", signed.stderr)
			if tt.wantCode != 0 {
				assert.Contains(t, signed.stderr, "invalid secret")
				assert.NotContains(t, signed.stderr, key, "the message never holds the secret")
				for _, cmd := range [][]string{{"listen", "--addr", "127.0.0.1:0"}, {"verify", "--header", "webhook-id: x"}} {
					r := runTool(t, "", body, append(cmd, flags...)...)
					assert.Equal(t, 2, r.code, "%s: %s", cmd[0], r.stderr)
				}
				return
			}
			args := append([]string{"verify"}, flags...)
			for _, l := range strings.Split(strings.TrimSpace(signed.stdout), "\n") {
				args = append(args, "--header", l)
			}
			verified := runTool(t, "", body, args...)
			assert.Equal(t, 0, verified.code, "verify: %s %s", verified.stdout, verified.stderr)
		})
	}
	r := runTool(t, "", body, "sign", "--secret", key)
	assert.Contains(t, r.stderr, "--raw-secret", "an unprefixed secret's message names the tool's flag")
}

// signedArgs returns the arguments of verify that check a delivery of body
// signed by sign.
func signedArgs(t *testing.T, secret, body string) []string {
	t.Helper()
	signed := runTool(t, secret, body, "sign")
	require.Equal(t, 0, signed.code, signed.stderr)
	args := []string{"verify"}
	for _, l := range strings.Split(strings.TrimSpace(signed.stdout), "\n") {
		args = append(args, "--header", l)
	}
	return args
}

// TestTriggerSuggestsTypes: a misspelled event type is answered with the
// nearest known ones, one a line, and where to find them all.
func TestTriggerSuggestsTypes(t *testing.T) {
	tests := []struct {
		name  string
		typ   string
		want  []webhooks.EventType // the suggestions, nearest first
		first webhooks.EventType   // or, when there are more, the first
	}{
		{name: "a letter missing", typ: "batch.complete", first: webhooks.EventTypeBatchCompleted},
		{name: "another case", typ: "Response.Completed", first: webhooks.EventTypeResponseCompleted},
		{name: "a dash for an underscore", typ: "fine-tuning.job.failed", first: webhooks.EventTypeFineTuningJobFailed},
		{name: "the end of two", typ: "call.incoming", want: []webhooks.EventType{"live.call.incoming", webhooks.EventTypeRealtimeCallIncoming}},
		{name: "a word of several", typ: "completed", want: []webhooks.EventType{webhooks.EventTypeBatchCompleted, webhooks.EventTypeResponseCompleted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTool(t, webhookstest.NewSecret(), "", "trigger", tt.typ, "--url", "http://127.0.0.1:9/")
			assert.Equal(t, 2, r.code)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			require.GreaterOrEqual(t, len(lines), 3, "%s", r.stderr)
			assert.Equal(t, fmt.Sprintf("openai-webhooks trigger: unknown event type %q; did you mean:", tt.typ), lines[0])
			assert.Equal(t, fmt.Sprintf("run 'openai-webhooks trigger --help' for all %d event types", len(webhooks.EventTypes())), lines[len(lines)-1])
			var got []webhooks.EventType
			for _, l := range lines[1 : len(lines)-1] {
				typ, ok := strings.CutPrefix(l, "  ")
				require.True(t, ok, "got %q, want one type a line", l)
				assert.True(t, webhooks.EventType(typ).Known(), "%q is not a type", typ)
				got = append(got, webhooks.EventType(typ))
			}
			assert.LessOrEqual(t, len(got), 5)
			if tt.want != nil {
				assert.ElementsMatch(t, tt.want, got)
			} else {
				assert.Equal(t, tt.first, got[0], "got %v, want %s first", got, tt.first)
			}
		})
	}
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
		{"listen: bad secret", "whsec_short", []string{"listen", "--addr", "127.0.0.1:0"}, "webhooks: invalid secret"},
		{"listen: secret with a space before it", " " + secret, []string{"listen", "--addr", "127.0.0.1:0"}, "secret has leading or trailing whitespace"},
		{"listen: forward-to without a scheme", secret, []string{"listen", "--forward-to", "127.0.0.1:3000"}, "want an http:// or https:// URL"},
		{"trigger: url without a scheme", secret, []string{"trigger", "batch.failed", "--url", "localhost:8080/hook"}, "want an http:// or https:// URL"},
		{"trigger: bad secret", "whsec_short", []string{"trigger", "batch.failed", "--url", "http://127.0.0.1:9/"}, "webhooks: invalid secret"},
		{"trigger: --data not JSON", secret, []string{"trigger", "batch.failed", "--url", "http://127.0.0.1:9/", "--data", "{id:1}"}, "--data: not valid JSON"},
		{"trigger: --data not an object", secret, []string{"trigger", "batch.failed", "--url", "http://127.0.0.1:9/", "--data", "[1]"}, "--data: want a JSON object"},
		{"trigger: --body with a type", secret, []string{"trigger", "batch.failed", "--url", "http://127.0.0.1:9/", "--body", "{}"}, "--body is the whole body"},
		{"sign: url without a scheme", secret, []string{"sign", "--url", "example.com"}, "want an http:// or https:// URL"},
		{"help: unknown command", secret, []string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{"trigger: no type", secret, []string{"trigger", "--url", "http://127.0.0.1:9/"}, "want one event type"},
		{"trigger: unknown type, none near", secret, []string{"trigger", "video.completed", "--url", "http://127.0.0.1:9/"}, `unknown event type "video.completed"; run 'openai-webhooks trigger --help'`},
		{"sign: empty stdin", secret, []string{"sign"}, "stdin was empty"},
		{"verify: empty stdin", secret, []string{"verify", "--header", "webhook-id: wh_1"}, "stdin was empty"},
		{"trigger: no url", secret, []string{"trigger", "batch.failed"}, "--url is required"},
		{"sign: bad timestamp", secret, []string{"sign", "--timestamp", "yesterday"}, `invalid value "yesterday" for flag -timestamp`},
		{"verify: bad header flag", secret, []string{"verify", "--header", "no colon"}, "want 'Name: value'"},
		{"verify: bad tolerance", secret, []string{"verify", "--tolerance", "-1s"}, "--tolerance must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTool(t, tt.secret, "", tt.args...)
			assert.Equal(t, 2, r.code, "stderr: %s", r.stderr)
			if tt.secret != "" && tt.secret != secret {
				assert.NotContains(t, r.stderr, strings.TrimSpace(tt.secret), "the secret must not be echoed")
			}
			assert.Contains(t, r.stderr, tt.want)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "got %q, want one line", r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestHelp(t *testing.T) {
	r := runTool(t, "", "", "--help")
	require.Equal(t, 0, r.code)
	assert.Equal(t, r.stdout, runTool(t, "", "", "help").stdout)
	for _, c := range commands {
		assert.Contains(t, r.stdout, "  "+c.name+" ")
		sub := runTool(t, "", "", c.name, "--help")
		assert.Equal(t, 0, sub.code, c.name)
		usage, _, _ := strings.Cut(sub.stdout, "\n")
		assert.Regexp(t, `^Usage: openai-webhooks `+c.name+`( \[flags\])?( \S.*)?$`, usage)
		assert.Equal(t, strings.Contains(sub.stdout, "\nFlags:\n"), strings.Contains(usage, "[flags]"), "%s: [flags] only for a command with flags: %q", c.name, usage)
		assert.Empty(t, sub.stderr)
		viaHelp := runTool(t, "", "", "help", c.name)
		assert.Equal(t, 0, viaHelp.code, c.name)
		assert.Equal(t, sub.stdout, viaHelp.stdout, "help %s and %s --help agree", c.name, c.name)
	}
	assert.Equal(t, "Usage: openai-webhooks secret\n", runTool(t, "", "", "secret", "--help").stdout[:len("Usage: openai-webhooks secret\n")])
	trigger := runTool(t, "", "", "help", "trigger").stdout
	for _, typ := range webhooks.EventTypes() {
		assert.Contains(t, trigger, "\n  "+string(typ)+"\n", "help trigger lists every event type")
	}
}

// TestReadsStdinOnlyWhenPiped: sign and verify read the body on stdin, and
// refuse to wait for one typed on a terminal.
func TestReadsStdinOnlyWhenPiped(t *testing.T) {
	for _, cmd := range []string{"sign", "verify"} {
		var stdout, stderr syncBuffer
		code := run(context.Background(), []string{cmd}, &env{
			stdin: strings.NewReader("{}"), stdout: &stdout, stderr: &stderr,
			getenv: secretEnv(webhookstest.NewSecret()), stdinIsTerminal: func() bool { return true },
		})
		assert.Equal(t, 2, code, cmd)
		assert.Contains(t, stderr.String(), cmd+" reads the body on stdin; pipe or redirect it")
	}
}

// TestBinary builds the tool and checks its exit statuses as a process, and
// that the commands its demo suggests run, from where it was run, whether
// it was built or run with go run.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "openai-webhooks"), ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)

	demos := []struct {
		name string
		dir  string
		args []string
		self string // how the suggested commands run the tool
	}{
		{"built, run by its path", dir, []string{"./openai-webhooks"}, "./openai-webhooks"},
		{"go run from the checkout's root", root, []string{"go", "run", "./cmd/openai-webhooks"}, "go run ./cmd/openai-webhooks"},
	}
	for _, tt := range demos {
		t.Run("demo, "+tt.name, func(t *testing.T) {
			demo := exec.Command(tt.args[0], append(tt.args[1:], "demo")...)
			demo.Dir = tt.dir
			out, err := demo.CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), fmt.Sprintf("All %d deliveries answered as they should be.", len(webhooks.EventTypes())+5))
			commands := nextCommands(string(out))
			require.NotEmpty(t, commands, "%s", out)
			for _, c := range commands {
				sh := exec.Command("sh", "-c", c+" --help")
				if setSecret, ok := strings.CutPrefix(c, "export "); ok {
					sh = exec.Command("sh", "-c", c+` && printf %s "$`+strings.Split(setSecret, "=")[0]+`"`)
				} else {
					require.True(t, strings.HasPrefix(c, tt.self+" "), "got %q, want it to start with %q", c, tt.self)
					if sub := strings.Fields(strings.TrimPrefix(c, tt.self+" "))[0]; sub != "help" {
						sh = exec.Command("sh", "-c", tt.self+" "+sub+" --help") // listen and trigger, without waiting
					}
				}
				sh.Dir = tt.dir
				out, err := sh.CombinedOutput()
				require.NoError(t, err, "%s: %s", sh.Args, out)
				assert.Regexp(t, `^(whsec_\S+|Usage: openai-webhooks \S+)`, string(out), "%s", sh.Args)
			}
		})
	}

	tests := []struct {
		name       string
		args       string
		wantCode   int
		wantStderr string
	}{
		{"an unknown flag", "sign --nope", 2, "flag provided but not defined"},
		{"no command", "", 2, "no command"},
		{"help", "help", 0, ""},
		{"the version", "--version", 0, ""},
		{"a URL without a scheme", "trigger batch.failed --url nope", 2, "want an http:// or https:// URL"},
		{"sign < /dev/null", "sign", 2, "stdin was empty"}, // exec.Cmd's stdin is the null device
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(dir, "openai-webhooks"), strings.Fields(tt.args)...)
			cmd.Env = append(os.Environ(), webhooks.SecretEnv+"="+webhookstest.NewSecret())
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantCode, code, "openai-webhooks %s: %s", tt.args, stderr.String())
			assert.Contains(t, stderr.String(), tt.wantStderr)
		})
	}
}
