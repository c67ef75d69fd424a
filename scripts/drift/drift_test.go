package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	repoCatalogue = "../../catalogue.json"
	benchmarksMod = "../../benchmarks/go.mod"
)

// openAICopy returns a directory with a copy of the webhooks package of the
// openai-go that the benchmarks module requires (the cross-check's), read
// from the module cache as the command reads it.
func openAICopy(t *testing.T) string {
	t.Helper()
	version, err := requiredVersion(benchmarksMod)
	require.NoError(t, err)
	root, err := download(version)
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(root, "webhooks", "*.go"))
	require.NoError(t, err)
	dir := t.TempDir()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), src, 0o644))
	}
	return dir
}

// drift runs the command with args and returns its exit status and output.
func drift(args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	code = run(args, &out, &errs)
	return code, out.String(), errs.String()
}

func TestNoDriftAtTheVersionTheCrossCheckPins(t *testing.T) {
	code, stdout, stderr := drift("-catalogue", repoCatalogue, "-gomod", benchmarksMod)
	assert.Equal(t, 0, code, "got exit status %d, want 0:\n%s%s", code, stdout, stderr)
	assert.Empty(t, stdout)
}

// replaceOnce returns src with old, which it must hold once, replaced by new.
func replaceOnce(t *testing.T, src, old, new string) string {
	t.Helper()
	require.Equal(t, 1, strings.Count(src, old), "got %q %d times in the source, want once", old, strings.Count(src, old))
	return strings.Replace(src, old, new, 1)
}

// newType is a struct of an event type that openai-go might add.
const newType = `
type VideoCompletedWebhookEvent struct {
	ID        string                         ` + "`json:\"id\" api:\"required\"`" + `
	CreatedAt int64                          ` + "`json:\"created_at\" api:\"required\"`" + `
	Data      VideoCompletedWebhookEventData ` + "`json:\"data\" api:\"required\"`" + `
	Object    constant.Event                 ` + "`json:\"object\" default:\"event\"`" + `
	Type      constant.VideoCompleted        ` + "`json:\"type\" default:\"video.completed\"`" + `
	JSON      struct{ raw string }           ` + "`json:\"-\"`" + `
}

type VideoCompletedWebhookEventData struct {
	// The model.
	//
	// Any of "sora-2", "sora-2-pro".
	Model   string ` + "`json:\"model\" api:\"required\"`" + `
	Seconds int64  ` + "`json:\"seconds\"`" + `
}

func (VideoCompletedWebhookEvent) implUnwrapWebhookEventUnion() {}
`

func TestDriftReportsEveryDifference(t *testing.T) {
	tests := []struct {
		name      string
		openai    func(t *testing.T, src string) string // edits webhook.go
		catalogue func(t *testing.T, src string) string // edits catalogue.json
		want      []string
	}{
		{
			name:   "openai-go adds an event type",
			openai: func(t *testing.T, src string) string { return src + newType },
			want: []string{
				`video.completed: openai-go VideoCompletedWebhookEvent, catalogue.json none`,
				`video.completed created_at: openai-go CreatedAt integer required, catalogue.json none`,
				`video.completed data: openai-go Data object VideoCompletedWebhookEventData required, catalogue.json none`,
				`video.completed data.model: openai-go Model string required, values "sora-2" "sora-2-pro", catalogue.json none`,
				`video.completed data.seconds: openai-go Seconds integer, catalogue.json none`,
				`video.completed id: openai-go ID string required, catalogue.json none`,
				`video.completed object: openai-go Object string required, values "event", catalogue.json none`,
				`video.completed type: openai-go Type string required, values "video.completed", catalogue.json none`,
			},
		},
		{
			name: "openai-go drops an event type",
			openai: func(t *testing.T, src string) string {
				return regexp.MustCompile(`(?m)^func \(BatchExpiredWebhookEvent\) implUnwrapWebhookEventUnion\(\) +\{\}\n`).ReplaceAllString(src, "")
			},
			want: []string{`batch.expired: openai-go none, catalogue.json BatchExpiredWebhookEvent`},
		},
		{
			name: "a required field becomes optional",
			openai: func(t *testing.T, src string) string {
				return replaceOnce(t, src, "CallID string `json:\"call_id\" api:\"required\"`", "CallID string `json:\"call_id\"`")
			},
			want: []string{`realtime.call.incoming data.call_id: required: openai-go no, catalogue.json yes`},
		},
		{
			name: "a field changes its JSON type",
			openai: func(t *testing.T, src string) string {
				return replaceOnce(t, src, "CallID string `json:\"call_id\" api:\"required\"`", "CallID int64 `json:\"call_id\" api:\"required\"`")
			},
			want: []string{`realtime.call.incoming data.call_id: JSON type: openai-go integer, catalogue.json string`},
		},
		{
			name: "a field changes its name on the wire",
			openai: func(t *testing.T, src string) string {
				return replaceOnce(t, src, "`json:\"remote_url\" api:\"required\"`", "`json:\"remote_uri\" api:\"required\"`")
			},
			want: []string{
				`agent.session.created data.connect.remote_uri: openai-go RemoteURL string required, catalogue.json none`,
				`agent.session.created data.connect.remote_url: openai-go none, catalogue.json RemoteURL string required`,
			},
		},
		{
			name: "a field changes its Go name",
			openai: func(t *testing.T, src string) string {
				return replaceOnce(t, src, "RemoteURL string `json:\"remote_url\"", "RemoteUrl string `json:\"remote_url\"")
			},
			want: []string{`agent.session.created data.connect.remote_url: Go name: openai-go RemoteUrl, catalogue.json RemoteURL`},
		},
		{
			name: "a nested struct changes its name",
			openai: func(t *testing.T, src string) string {
				return strings.ReplaceAll(src, "AgentSessionActionRequiredWebhookEventDataRequiredAction", "AgentSessionActionRequiredWebhookEventDataAction")
			},
			want: []string{`agent.session.action_required data.required_action: struct: openai-go AgentSessionActionRequiredWebhookEventDataAction, catalogue.json AgentSessionActionRequiredWebhookEventDataRequiredAction`},
		},
		{
			name: "an open enumeration gains a value",
			openai: func(t *testing.T, src string) string {
				return replaceOnce(t, src, `Any of "computer_use_approval_request", `, `Any of "computer_use_approval_request", "shell_call", `)
			},
			want: []string{`agent.session.action_required data.required_action.type: value "shell_call": openai-go yes, catalogue.json no`},
		},
		{
			name: "a constant changes",
			openai: func(t *testing.T, src string) string {
				return replaceOnce(t, src, `default:"sip"`, `default:"sips"`)
			},
			want: []string{
				`live.transport.incoming data.type: value "sip": openai-go no, catalogue.json yes`,
				`live.transport.incoming data.type: value "sips": openai-go yes, catalogue.json no`,
			},
		},
		{
			name: "object becomes required",
			openai: func(t *testing.T, src string) string {
				return replaceOnce(t, src, "Object BatchCompletedWebhookEventObject `json:\"object\"`", "Object constant.Event `json:\"object\" default:\"event\"`")
			},
			want: []string{`batch.completed object: required: openai-go yes, catalogue.json no`},
		},
		{
			name: "the catalogue makes a required field optional",
			catalogue: func(t *testing.T, src string) string {
				return replaceOnce(t, src, `"call_id": {"name": "call_id", "go_name": "CallID", "type": "string", "required": true,`, `"call_id": {"name": "call_id", "go_name": "CallID", "type": "string", "required": false,`)
			},
			want: []string{`realtime.call.incoming data.call_id: required: openai-go yes, catalogue.json no`},
		},
	}
	pristine := openAICopy(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, cat := t.TempDir(), filepath.Join(t.TempDir(), "catalogue.json")
			files, err := filepath.Glob(filepath.Join(pristine, "*.go"))
			require.NoError(t, err)
			for _, f := range files {
				src, err := os.ReadFile(f)
				require.NoError(t, err)
				if filepath.Base(f) == "webhook.go" && tt.openai != nil {
					src = []byte(tt.openai(t, string(src)))
				}
				require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), src, 0o644))
			}
			src, err := os.ReadFile(repoCatalogue)
			require.NoError(t, err)
			if tt.catalogue != nil {
				src = []byte(tt.catalogue(t, string(src)))
			}
			require.NoError(t, os.WriteFile(cat, src, 0o644))

			code, stdout, stderr := drift("-catalogue", cat, "-dir", dir)
			assert.Equal(t, 1, code, "got exit status %d, want 1: %s", code, stderr)
			assert.Equal(t, tt.want, strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"))
		})
	}

	t.Run("no change", func(t *testing.T) {
		code, stdout, stderr := drift("-catalogue", repoCatalogue, "-dir", pristine)
		assert.Equal(t, 0, code, "got exit status %d, want 0:\n%s%s", code, stdout, stderr)
		assert.Empty(t, stdout)
	})
}

func TestDriftCannotTell(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no webhooks package in the directory", []string{"-catalogue", repoCatalogue, "-dir", t.TempDir()}},
		{"no catalogue", []string{"-catalogue", filepath.Join(t.TempDir(), "catalogue.json"), "-dir", t.TempDir()}},
		{"a version and a directory", []string{"-dir", t.TempDir(), "v3.102.0"}},
		{"two versions", []string{"v3.101.0", "v3.102.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := drift(tt.args...)
			assert.Equal(t, 2, code, "got exit status %d, want 2", code)
			assert.Empty(t, stdout)
			assert.NotEmpty(t, stderr)
		})
	}
}
