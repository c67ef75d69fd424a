package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
)

// defaultSelf is how the commands the tool prints run it when it cannot
// tell better: the name go install gives it.
const defaultSelf = "openai-webhooks"

// selfCommand returns how to run this tool again from the working
// directory cwd, for the commands it suggests: the name it was run by, if
// that name on $PATH is this executable (go install); the path it was run
// by, else (./openai-webhooks); and when go run built it, the go run command
// that builds it again: "go run ./cmd/openai-webhooks" from a checkout's
// root, "go run ." from the tool's directory, "go run MODULE@VERSION" for a
// released version. arg0 is os.Args[0], executable what os.Executable
// returns, info the build information, nil if there is none. The tool's
// package is the root of its module.
func selfCommand(arg0, executable, cwd string, info *debug.BuildInfo) string {
	if builtByGoRun(executable) {
		if info == nil || info.Path == "" {
			return defaultSelf
		}
		if v := info.Main.Version; semverTag.MatchString(v) {
			return "go run " + info.Path + "@" + v
		}
		if dir, ok := moduleDir(cwd, info.Main.Path); ok {
			rel, err := filepath.Rel(cwd, dir)
			if err == nil {
				if rel != "." && !strings.HasPrefix(rel, "..") {
					rel = "." + string(filepath.Separator) + rel
				}
				return "go run " + shellWord(filepath.ToSlash(rel))
			}
		}
		return "go run " + info.Path // within the workspace, from anywhere in it
	}
	name := filepath.Base(arg0)
	switch {
	case arg0 != "" && sameFile(lookPath(name), executable):
		return shellWord(name)
	case strings.ContainsRune(arg0, filepath.Separator):
		return shellWord(arg0) // ./openai-webhooks, from where it was run
	case executable != "":
		return shellWord(executable)
	}
	return defaultSelf
}

// semverTag matches the versions go run PATH@VERSION records, not the
// pseudo-versions and "(devel)" of a build from a checkout.
var semverTag = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$`)

// builtByGoRun reports whether executable is where go run puts what it
// builds: a go-build directory under the temporary directory, or the build
// cache, where go1.24 and later keep the executables of go run.
func builtByGoRun(executable string) bool {
	dir := filepath.Dir(executable)
	if filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build") {
		return true
	}
	cache := os.Getenv("GOCACHE")
	if cache == "" {
		user, err := os.UserCacheDir()
		if err != nil {
			return false
		}
		cache = filepath.Join(user, "go-build")
	}
	rel, err := filepath.Rel(cache, executable)
	return err == nil && !strings.HasPrefix(rel, "..")
}

// moduleDir returns the directory of the module named path: cwd or one of
// its parents, or the directory below one of them that path's last elements
// name (cmd/openai-webhooks below a checkout's root).
func moduleDir(cwd, path string) (string, bool) {
	elems := strings.Split(path, "/")
	for dir := cwd; ; dir = filepath.Dir(dir) {
		for i := len(elems); i >= 1; i-- {
			candidate := filepath.Join(append([]string{dir}, elems[i:]...)...)
			if modulePath(candidate) == path {
				return candidate, true
			}
		}
		if filepath.Dir(dir) == dir {
			return "", false
		}
	}
}

// modulePath returns the module path of the go.mod in dir, or "".
func modulePath(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`)
		}
	}
	return ""
}

// lookPath returns the file that $PATH gives for name, or "".
func lookPath(name string) string {
	path, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return path
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// shellWord returns s as one word of a POSIX shell command, quoted only if
// it has to be.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return shellQuote(s)
}
