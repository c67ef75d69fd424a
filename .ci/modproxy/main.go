// Command modproxy writes a file-based Go module proxy (GOPROXY=file://DIR)
// that serves the modules in the given directories, each at one version, as
// they are in the working tree: what a user would download once the release
// is tagged. CI then installs the modules through it, in an empty module,
// to prove that what the README says installs.
//
//	go run . -version v0.1.0 -out /tmp/proxy ../.. ../../redisstore
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

func main() {
	version := flag.String("version", "", "the version to serve every module at, such as v0.1.0")
	out := flag.String("out", "", "the proxy's directory")
	flag.Parse()
	if *version == "" || *out == "" || flag.NArg() == 0 {
		log.Fatal("usage: modproxy -version vX.Y.Z -out DIR MODULE_DIR...")
	}
	for _, dir := range flag.Args() {
		path, err := write(*out, dir, *version)
		if err != nil {
			log.Fatalf("%s: %v", dir, err)
		}
		fmt.Printf("%s@%s\n", path, *version)
	}
}

// write adds the module in dir to the proxy at out, at version, and returns
// its path.
func write(out, dir, version string) (string, error) {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	path := modfile.ModulePath(gomod)
	if path == "" {
		return "", fmt.Errorf("no module path in go.mod")
	}
	escaped, err := module.EscapePath(path)
	if err != nil {
		return "", err
	}
	v := filepath.Join(out, escaped, "@v")
	if err := os.MkdirAll(v, 0o755); err != nil {
		return "", err
	}
	f, err := os.Create(filepath.Join(v, version+".zip"))
	if err != nil {
		return "", err
	}
	// CreateFromDir leaves out nested modules, vendor directories and what
	// a module zip may not hold, as the module proxy does.
	if err := zip.CreateFromDir(f, module.Version{Path: path, Version: version}, dir); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return "", err
	}
	for name, content := range map[string][]byte{version + ".mod": gomod, version + ".info": info, "list": []byte(version + "\n")} {
		if err := os.WriteFile(filepath.Join(v, name), content, 0o644); err != nil {
			return "", err
		}
	}
	return path, nil
}
