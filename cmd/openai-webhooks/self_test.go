package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSelfCommand: the commands the tool prints run it the way the user
// did, from the directory they are in.
func TestSelfCommand(t *testing.T) {
	const tool = "github.com/go-openai-webhooks/webhooks/cmd/openai-webhooks"
	root := t.TempDir() // a checkout
	writeFile(t, filepath.Join(root, "go.mod"), "module github.com/go-openai-webhooks/webhooks\n\ngo 1.27\n")
	writeFile(t, filepath.Join(root, "cmd", "openai-webhooks", "go.mod"), "module "+tool+" // the tool\n\ngo 1.27\n")
	writeFile(t, filepath.Join(root, "riverqueue", "go.mod"), "module github.com/go-openai-webhooks/webhooks/riverqueue\n")
	elsewhere := t.TempDir()

	bin := t.TempDir() // on $PATH
	installed := filepath.Join(bin, "openai-webhooks")
	writeFile(t, installed, "#!/bin/sh\n")
	built := filepath.Join(root, "openai-webhooks") // go build, not on $PATH
	writeFile(t, built, "#!/bin/sh\n")
	t.Setenv("PATH", bin)
	cache := t.TempDir()
	t.Setenv("GOCACHE", cache)
	goRunTemp := filepath.Join(t.TempDir(), "go-build2807376674", "b001", "exe", "openai-webhooks")
	goRunCached := filepath.Join(cache, "a2", "a2072081d070f1-d", "openai-webhooks")

	devel := &debug.BuildInfo{Path: tool, Main: debug.Module{Path: tool, Version: "(devel)"}}
	release := &debug.BuildInfo{Path: tool, Main: debug.Module{Path: tool, Version: "v0.1.0"}}
	tests := []struct {
		name       string
		arg0       string
		executable string
		cwd        string
		info       *debug.BuildInfo
		want       string
	}{
		{"installed, run by name", "openai-webhooks", installed, elsewhere, release, "openai-webhooks"},
		{"installed, run by its path", installed, installed, elsewhere, release, "openai-webhooks"},
		{"built, run by a relative path", "./openai-webhooks", built, root, devel, "./openai-webhooks"},
		{"built, run by its path", built, built, elsewhere, devel, built},
		{"go run from the checkout's root", goRunTemp, goRunTemp, root, devel, "go run ./cmd/openai-webhooks"},
		{"go run from the tool's directory", goRunTemp, goRunTemp, filepath.Join(root, "cmd", "openai-webhooks"), devel, "go run ."},
		{"go run from another module", goRunCached, goRunCached, filepath.Join(root, "riverqueue"), devel, "go run ../cmd/openai-webhooks"},
		{"go run, cached, from the root", goRunCached, goRunCached, root, devel, "go run ./cmd/openai-webhooks"},
		{"go run of a version", goRunCached, goRunCached, elsewhere, release, "go run " + tool + "@v0.1.0"},
		{"go run, no checkout in sight", goRunTemp, goRunTemp, elsewhere, devel, "go run " + tool},
		{"go run, no build information", goRunTemp, goRunTemp, root, nil, "openai-webhooks"},
		{"a path to quote", "/opt/my tools/openai-webhooks", "/opt/my tools/openai-webhooks", elsewhere, devel, "'/opt/my tools/openai-webhooks'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := selfCommand(tt.arg0, tt.executable, tt.cwd, tt.info)
			assert.Equal(t, tt.want, got, "got %q, want %q", got, tt.want)
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o755))
}
