// Drift compares catalogue.json with the webhooks package of a version of
// openai-go, and prints every difference: an event type, a field, a Go name,
// a JSON type, a required flag or a known value that one has and the other
// has not. It exits 0 when they agree, 1 when they differ and 2 when it
// cannot tell.
//
// Run it from the repository's root:
//
//	go run ./scripts/drift            # the openai-go that benchmarks/go.mod requires
//	go run ./scripts/drift v3.103.0   # another version
//	go run ./scripts/drift -dir DIR   # a webhooks package already on disk
//
// It reads the version's source from the module cache after go mod
// download, and parses it with go/ast: the event types are the structs that
// implement openai-go's UnwrapWebhookEventUnion, a field is required when
// it is tagged api:"required" or is one of openai-go's constants (the type
// field, or a "sip"), and openai-go states a string's values by a constant,
// a string type with constants (the "object" of some types), or a doc line
// "Any of ...". A string for which openai-go states no values (such as
// environment_type) may have values in the catalogue, from OpenAI's API
// reference, without a difference.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/go-openai-webhooks/webhooks/internal/catalogue"
)

// module is openai-go's module path.
const module = "github.com/openai/openai-go/v3"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command with its arguments: it prints the differences to
// stdout and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("drift", flag.ContinueOnError)
	flags.SetOutput(stderr)
	cataloguePath := flags.String("catalogue", "catalogue.json", "the catalogue to compare")
	gomod := flags.String("gomod", "benchmarks/go.mod", "the go.mod whose openai-go requirement is the default version")
	dir := flags.String("dir", "", "compare with the webhooks package in this directory instead of a version's")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./scripts/drift [flags] [openai-go version]")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil || flags.NArg() > 1 || *dir != "" && flags.NArg() > 0 {
		if err == nil {
			flags.Usage()
		}
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "drift:", err)
		return 2
	}

	c, err := catalogue.Load(*cataloguePath)
	if err != nil {
		return fail(err)
	}
	source := *dir
	if source == "" {
		version := flags.Arg(0)
		if version == "" {
			if version, err = requiredVersion(*gomod); err != nil {
				return fail(err)
			}
		}
		root, err := download(version)
		if err != nil {
			return fail(err)
		}
		source = filepath.Join(root, "webhooks")
	}
	theirs, err := parseOpenAI(source)
	if err != nil {
		return fail(err)
	}
	diffs := compare(fromCatalogue(c), theirs)
	for _, d := range diffs {
		fmt.Fprintln(stdout, d)
	}
	if len(diffs) > 0 {
		fmt.Fprintf(stderr, "drift: %d differences between %s and openai-go's %s\n", len(diffs), *cataloguePath, source)
		return 1
	}
	fmt.Fprintf(stderr, "drift: %s and openai-go's %s agree on %d event types\n", *cataloguePath, source, len(theirs))
	return 0
}

// requiredVersion returns the version of openai-go that gomod requires.
func requiredVersion(gomod string) (string, error) {
	out, err := goCommand("mod", "edit", "-json", gomod)
	if err != nil {
		return "", err
	}
	var mod struct {
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		return "", fmt.Errorf("go mod edit -json %s: %w", gomod, err)
	}
	for _, r := range mod.Require {
		if r.Path == module {
			return r.Version, nil
		}
	}
	return "", fmt.Errorf("%s does not require %s", gomod, module)
}

// download puts version of openai-go into the module cache, if it is not
// there yet, and returns its directory.
func download(version string) (string, error) {
	out, err := goCommand("mod", "download", "-json", module+"@"+version)
	var info struct{ Dir, Error string }
	if jsonErr := json.Unmarshal(out, &info); jsonErr != nil {
		return "", errors.Join(err, jsonErr)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	return info.Dir, nil
}

// goCommand runs the go command and returns its standard output.
func goCommand(args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, err
}

// An event is what one side says of an event type.
type event struct {
	goName string           // its struct
	fields map[string]field // by path: "id", "data.sip_headers[].name"
}

// A field is what one side says of a field.
type field struct {
	goName   string
	kind     string // string, integer, object, array of object, ...
	required bool
	values   []string // sorted; nil from openai-go when it states none
	object   string   // the struct of an object, or of an array's elements
}

func (f field) String() string {
	s := f.goName + " " + f.kind
	if f.object != "" {
		s += " " + f.object
	}
	if f.required {
		s += " required"
	}
	for i, v := range f.values {
		if i == 0 {
			s += ", values"
		}
		s += " " + strconv.Quote(v)
	}
	return s
}

// fromCatalogue returns what the catalogue says of every type, with the
// envelope that mkevents.go writes for each.
func fromCatalogue(c *catalogue.Catalogue) map[string]event {
	events := map[string]event{}
	for _, e := range c.Events {
		fields := map[string]field{
			"id":         {goName: "ID", kind: "string", required: true},
			"created_at": {goName: "CreatedAt", kind: "integer", required: true},
			"data":       {goName: "Data", kind: "object", required: true, object: e.DataStructName()},
			"type":       {goName: "Type", kind: "string", required: true, values: []string{e.Type}},
			"object":     {goName: "Object", kind: "string", required: e.ObjectRequired, values: []string{"event"}},
		}
		var add func(path string, f catalogue.Field)
		add = func(path string, f catalogue.Field) {
			d := field{goName: f.GoName, kind: f.Type, required: f.Required, values: slices.Sorted(slices.Values(c.KnownValues(f)))}
			elem := f
			if f.Type == "array" {
				elem = *f.Items
				d.kind += " of " + elem.Type
				path += "[]"
			}
			if elem.Type == "object" {
				d.object = strings.TrimPrefix(elem.GoType, "*")
				for _, sub := range elem.Fields {
					add(path+"."+sub.Name, sub)
				}
			}
			fields[strings.TrimSuffix(path, "[]")] = d
		}
		for _, f := range e.Data {
			add("data."+f.Name, f)
		}
		events[e.Type] = event{goName: e.StructName(), fields: fields}
	}
	return events
}

// A pkg is the declarations of openai-go's webhooks package.
type pkg struct {
	types  map[string]*ast.TypeSpec
	consts map[string][]string // the values of each string type's constants
}

// parseOpenAI returns what openai-go's webhooks package in dir says of
// every event type.
func parseOpenAI(dir string) (map[string]event, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	p := pkg{types: map[string]*ast.TypeSpec{}, consts: map[string][]string{}}
	var variants []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						p.types[s.Name.Name] = s
					case *ast.ValueSpec:
						typ, ok := s.Type.(*ast.Ident)
						if d.Tok != token.CONST || !ok {
							continue
						}
						for _, v := range s.Values {
							if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
								value, _ := strconv.Unquote(lit.Value)
								p.consts[typ.Name] = append(p.consts[typ.Name], value)
							}
						}
					}
				}
			case *ast.FuncDecl:
				// Each variant of the union has this method.
				if d.Name.Name == "implUnwrapWebhookEventUnion" && d.Recv != nil && len(d.Recv.List) == 1 {
					if recv, ok := d.Recv.List[0].Type.(*ast.Ident); ok {
						variants = append(variants, recv.Name)
					}
				}
			}
		}
	}
	if len(variants) == 0 {
		return nil, fmt.Errorf("%s: no variants of UnwrapWebhookEventUnion (no methods implUnwrapWebhookEventUnion)", dir)
	}
	events := map[string]event{}
	for _, name := range variants {
		fields := map[string]field{}
		if err := p.addFields(fields, "", name); err != nil {
			return nil, err
		}
		typ := fields["type"].values
		if len(typ) != 1 {
			return nil, fmt.Errorf("%s: %s has no constant type field", dir, name)
		}
		events[typ[0]] = event{goName: name, fields: fields}
	}
	return events, nil
}

// addFields adds the fields of struct name, under prefix, to fields.
func (p pkg) addFields(fields map[string]field, prefix, name string) error {
	spec, ok := p.types[name]
	if !ok {
		return fmt.Errorf("no type %s", name)
	}
	st, ok := spec.Type.(*ast.StructType)
	if !ok {
		return fmt.Errorf("%s is not a struct", name)
	}
	for _, sf := range st.Fields.List {
		if sf.Tag == nil || len(sf.Names) != 1 {
			continue // embedded
		}
		raw, _ := strconv.Unquote(sf.Tag.Value)
		tag := reflect.StructTag(raw)
		jsonName, _, _ := strings.Cut(tag.Get("json"), ",")
		if jsonName == "" || jsonName == "-" {
			continue // the metadata field JSON
		}
		path := prefix + jsonName
		f := field{goName: sf.Names[0].Name, required: tag.Get("api") == "required", values: anyOf(sf.Doc)}
		typ := sf.Type
		if arr, ok := typ.(*ast.ArrayType); ok && arr.Len == nil {
			typ = arr.Elt
			f.kind = "array of "
			path += "[]"
		}
		switch t := typ.(type) {
		case *ast.Ident:
			switch t.Name {
			case "string":
				f.kind += "string"
			case "int64", "int":
				f.kind += "integer"
			case "float64":
				f.kind += "number"
			case "bool":
				f.kind += "boolean"
			default:
				spec, ok := p.types[t.Name]
				if !ok {
					f.kind += t.Name
					break
				}
				if _, isStruct := spec.Type.(*ast.StructType); isStruct {
					f.kind += "object"
					f.object = t.Name
					if err := p.addFields(fields, path+".", t.Name); err != nil {
						return err
					}
				} else if base, ok := spec.Type.(*ast.Ident); ok && base.Name == "string" {
					f.kind += "string" // a string type, with its values as constants
					f.values = append(f.values, p.consts[t.Name]...)
				} else {
					f.kind += t.Name
				}
			}
		case *ast.SelectorExpr:
			if pkg, ok := t.X.(*ast.Ident); ok && pkg.Name == "constant" {
				// One of openai-go's constants: its value is its default,
				// and the schema requires it.
				f.kind += "string"
				f.required = true
				f.values = append(f.values, tag.Get("default"))
			} else {
				f.kind += fmt.Sprintf("%s.%s", t.X, t.Sel.Name)
			}
		default:
			f.kind += fmt.Sprintf("%T", t)
		}
		if f.values != nil {
			slices.Sort(f.values)
			f.values = slices.Compact(f.values)
		}
		fields[strings.TrimSuffix(path, "[]")] = f
	}
	return nil
}

// anyOf returns the values that a doc comment lists in openai-go's way:
//
//	// Any of "computer_use_approval_request", "mcp_approval_request",
//	// "function_call", "environment_connection".
func anyOf(doc *ast.CommentGroup) []string {
	if doc == nil {
		return nil
	}
	_, list, ok := strings.Cut(doc.Text(), "Any of ")
	if !ok {
		return nil
	}
	var values []string
	for {
		list = strings.TrimLeft(list, " \t\n,")
		quoted, err := strconv.QuotedPrefix(list)
		if err != nil {
			return values
		}
		value, _ := strconv.Unquote(quoted)
		values = append(values, value)
		list = list[len(quoted):]
	}
}

// compare returns every difference between ours and theirs, one line each,
// sorted.
func compare(ours, theirs map[string]event) []string {
	var diffs []string
	say := func(typ, path, format string, args ...any) {
		where := typ
		if path != "" {
			where += " " + path
		}
		diffs = append(diffs, where+": "+fmt.Sprintf(format, args...))
	}
	for _, typ := range slices.Sorted(mapsKeys(ours, theirs)) {
		o, inOurs := ours[typ]
		t, inTheirs := theirs[typ]
		switch {
		case !inOurs:
			say(typ, "", "openai-go %s, catalogue.json none", t.goName)
			for _, path := range slices.Sorted(mapsKeys(t.fields, nil)) {
				say(typ, path, "openai-go %s, catalogue.json none", t.fields[path])
			}
			continue
		case !inTheirs:
			say(typ, "", "openai-go none, catalogue.json %s", o.goName)
			continue
		case o.goName != t.goName:
			say(typ, "", "struct: openai-go %s, catalogue.json %s", t.goName, o.goName)
		}
		for _, path := range slices.Sorted(mapsKeys(o.fields, t.fields)) {
			of, inOurs := o.fields[path]
			tf, inTheirs := t.fields[path]
			switch {
			case !inOurs:
				say(typ, path, "openai-go %s, catalogue.json none", tf)
				continue
			case !inTheirs:
				say(typ, path, "openai-go none, catalogue.json %s", of)
				continue
			}
			if of.goName != tf.goName {
				say(typ, path, "Go name: openai-go %s, catalogue.json %s", tf.goName, of.goName)
			}
			if of.kind != tf.kind {
				say(typ, path, "JSON type: openai-go %s, catalogue.json %s", tf.kind, of.kind)
			}
			if of.object != tf.object {
				say(typ, path, "struct: openai-go %s, catalogue.json %s", tf.object, of.object)
			}
			if of.required != tf.required {
				say(typ, path, "required: openai-go %s, catalogue.json %s", yes(tf.required), yes(of.required))
			}
			if tf.values == nil {
				continue // openai-go states no values
			}
			for _, v := range slices.Compact(slices.Sorted(slices.Values(slices.Concat(of.values, tf.values)))) {
				if inO, inT := slices.Contains(of.values, v), slices.Contains(tf.values, v); inO != inT {
					say(typ, path, "value %q: openai-go %s, catalogue.json %s", v, yes(inT), yes(inO))
				}
			}
		}
	}
	return diffs
}

// mapsKeys returns an iterator over the keys of a and b, once each.
func mapsKeys[V any](a, b map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
		for k := range b {
			if _, dup := a[k]; !dup && !yield(k) {
				return
			}
		}
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
