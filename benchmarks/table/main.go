// Command table reads the output of the benchmarks that run.sh runs (any
// number of runs) and prints BENCHMARKS.md's tables: the median of every
// measure, the ratios, and the targets with the ratios they ask for.
package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// line matches one benchmark result: name, sub-benchmark, then value-unit
// pairs.
var line = regexp.MustCompile(`^Benchmark(\w+)(?:/(\S+?))?(?:-\d+)?\s+\d+\s+(.*)$`)

// key names one benchmark: its name and its sub-benchmark, such as Compare
// and small/this Unwrap.
type key struct{ bench, sub string }

// samples are the measures of one benchmark over the runs, by unit.
type samples map[string][]float64

// results are the samples of every benchmark, and the benchmarks in the
// order first seen.
type results struct {
	samples map[key]samples
	order   []key
	runs    int
}

func (r results) median(k key, unit string) float64 { return med(r.samples[k][unit]) }

// target is a ratio of two medians and the bound it must keep.
type target struct {
	what     string
	num, den key
	unit     string
	op       string // ">=", "<=" or "<"
	goal     float64
	format   string // of the measured value; "%.2f×" for a ratio
}

func main() {
	r, err := parse(os.Stdin)
	if err != nil {
		log.Fatal(err)
	}
	if len(r.samples) == 0 {
		log.Fatal("no benchmark results on stdin")
	}
	fmt.Printf("Median of %d runs of each benchmark.\n", r.runs)
	var targets []target
	if r.has("Compare") {
		targets = append(targets, compareTable(r)...)
	}
	if r.has("HTTP") || r.has("Receive") {
		targets = append(targets, handlerTables(r)...)
	}
	if r.has("Enqueue") {
		enqueueTable(r)
	}
	printTargets(r, targets)
}

// has reports whether r holds results of the named benchmark.
func (r results) has(bench string) bool {
	return slices.ContainsFunc(r.order, func(k key) bool { return k.bench == bench })
}

// freshness names the two ways BenchmarkCompare measures each delivery:
// one body handled again and again, and fresh bodies each time.
var freshness = []string{"reused", "fresh"}

// compareTable prints the comparison of each delivery's contenders, reused
// and fresh, and the causes of BenchmarkCauses.
func compareTable(r results) []target {
	fmt.Println("\n| Delivery | Bodies | Implementation | ns/op | CPU ns/op | B/op | allocs/op | time ÷ this Unwrap | CPU ÷ this Unwrap | allocs ÷ this Unwrap |")
	fmt.Println("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	compare := func(delivery, fresh, impl string) key { return key{"Compare", delivery + "/" + fresh + "/" + impl} }
	for _, k := range r.order {
		if k.bench != "Compare" {
			continue
		}
		parts := strings.SplitN(k.sub, "/", 3)
		if len(parts) != 3 {
			continue
		}
		base := compare(parts[0], parts[1], "this Unwrap")
		fmt.Printf("| %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %s | %s | %s |\n", parts[0], parts[1], parts[2],
			r.median(k, "ns/op"), r.median(k, "cpu-ns/op"), r.median(k, "B/op"), r.median(k, "allocs/op"),
			ratio(r.median(k, "ns/op"), r.median(base, "ns/op")), ratio(r.median(k, "cpu-ns/op"), r.median(base, "cpu-ns/op")),
			ratio(r.median(k, "allocs/op"), r.median(base, "allocs/op")))
	}
	if r.has("Causes") {
		fmt.Println("\n| small, reused: what changes | Implementation | ns/op | CPU ns/op | allocs/op | time ÷ canonical keys | CPU ÷ canonical keys |")
		fmt.Println("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
		base := key{"Causes", "canonical keys/this Unwrap"}
		for _, k := range r.order {
			if k.bench == "Causes" {
				cause, impl, _ := strings.Cut(k.sub, "/")
				fmt.Printf("| %s | %s | %.0f | %.0f | %.0f | %s | %s |\n", cause, impl, r.median(k, "ns/op"), r.median(k, "cpu-ns/op"),
					r.median(k, "allocs/op"), ratio(r.median(k, "ns/op"), r.median(base, "ns/op")), ratio(r.median(k, "cpu-ns/op"), r.median(base, "cpu-ns/op")))
			}
		}
	}
	var targets []target
	for _, fresh := range freshness {
		openai := func(delivery string) key { return compare(delivery, fresh, "openai-go Unwrap") }
		unwrap := func(delivery string) key { return compare(delivery, fresh, "this Unwrap") }
		targets = append(targets,
			target{"small (" + fresh + "): openai-go Unwrap time ÷ this Unwrap", openai("small"), unwrap("small"), "ns/op", ">=", 8, ""},
			target{"agent (" + fresh + "): openai-go Unwrap time ÷ this Unwrap", openai("agent"), unwrap("agent"), "ns/op", ">=", 8, ""},
			target{"sip8 (" + fresh + "): openai-go Unwrap time ÷ this Unwrap", openai("sip8"), unwrap("sip8"), "ns/op", ">=", 15, ""},
			target{"small (" + fresh + "): this Unwrap time ÷ standard-webhooks Verify", unwrap("small"), compare("small", fresh, "standard-webhooks Verify"), "ns/op", "<", 1, ""},
			target{"64KiB (" + fresh + "): this Unwrap B/op ÷ small's", unwrap("64KiB"), unwrap("small"), "B/op", "<=", 2, ""},
		)
	}
	return targets
}

// handlerTables prints the Handler over HTTP, the MemoryStore from several
// goroutines, and claims after a burst of expiries.
func handlerTables(r results) []target {
	if r.has("Receive") {
		fmt.Println("\n| Handler.Receive, small delivery, in process | ns/op | CPU ns/op | B/op | allocs/op |")
		fmt.Println("| --- | ---: | ---: | ---: | ---: |")
		for _, k := range r.order {
			if k.bench == "Receive" {
				fmt.Printf("| %s | %.0f | %.0f | %.0f | %.0f |\n", k.sub, r.median(k, "ns/op"), r.median(k, "cpu-ns/op"), r.median(k, "B/op"), r.median(k, "allocs/op"))
			}
		}
	}
	fmt.Println("\n| Over loopback HTTP, 64 connections | deliveries/s | ÷ bare | CPU ns per delivery | ÷ bare |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: |")
	bare := key{"HTTP", "bare"}
	for _, k := range r.order {
		if k.bench == "HTTP" {
			fmt.Printf("| %s | %.0f | %s | %.0f | %s |\n", k.sub, r.median(k, "deliveries/s"), ratio(r.median(k, "deliveries/s"), r.median(bare, "deliveries/s")),
				r.median(k, "cpu-ns/op"), ratio(r.median(k, "cpu-ns/op"), r.median(bare, "cpu-ns/op")))
		}
	}
	fmt.Println("\n| MemoryStore, Claim+Done | deliveries/s | ÷ one goroutine | CPU ns per delivery | ÷ one goroutine |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: |")
	for _, k := range r.order {
		if k.bench == "MemoryStoreClaimDone" {
			store, _, _ := strings.Cut(k.sub, "/")
			one := key{k.bench, store + "/goroutines=1"}
			fmt.Printf("| %s | %.0f | %s | %.0f | %s |\n", k.sub, r.median(k, "deliveries/s"), ratio(r.median(k, "deliveries/s"), r.median(one, "deliveries/s")),
				r.median(k, "cpu-ns/op"), ratio(r.median(k, "cpu-ns/op"), r.median(one, "cpu-ns/op")))
		}
	}
	burst := key{"ClaimAfterBurst", ""}
	fmt.Println("\n| Claims after 100 000 ids expire at once | p50 | p99.9 | max | most ids one claim dropped |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: |")
	fmt.Printf("| median of the runs | %.1f µs | %.1f µs | %.1f µs | %.0f |\n", r.median(burst, "p50-ns")/1e3,
		r.median(burst, "p999-ns")/1e3, r.median(burst, "max-ns")/1e3, r.median(burst, "max-dropped"))
	shared := func(g string) key { return key{"MemoryStoreClaimDone", "store=shared/goroutines=" + g} }
	return []target{
		{"HTTP: Handler ÷ bare deliveries/s", key{"HTTP", "Handler"}, bare, "deliveries/s", ">=", 0.85, ""},
		{"MemoryStore: 2 goroutines ÷ 1, deliveries/s", shared("2"), shared("1"), "deliveries/s", ">=", 1.7, ""},
		{"MemoryStore: 2 goroutines ÷ 1, CPU per delivery", shared("2"), shared("1"), "cpu-ns/op", "<=", 1.1, ""},
		{"MemoryStore after a burst: slowest claim (µs)", burst, key{}, "max-ns", "<=", 1000, "%.0f µs"},
	}
}

// enqueueTable prints receiving into a River queue against the inline
// Handler.
func enqueueTable(r results) {
	fmt.Println("\n| Receiving over loopback HTTP, 16 senders | deliveries/s | ÷ inline | p50 | p99 |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: |")
	inline := key{"Enqueue", "inline"}
	for _, k := range r.order {
		if k.bench == "Enqueue" {
			fmt.Printf("| %s | %.0f | %s | %.1f ms | %.1f ms |\n", k.sub, r.median(k, "deliveries/s"),
				ratio(r.median(k, "deliveries/s"), r.median(inline, "deliveries/s")), r.median(k, "p50-ms"), r.median(k, "p99-ms"))
		}
	}
}

// printTargets prints the targets and whether each is met.
func printTargets(r results, targets []target) {
	fmt.Println("\n| Target | Measured | Goal | Met |")
	fmt.Println("| --- | ---: | ---: | --- |")
	for _, t := range targets {
		v := r.median(t.num, t.unit)
		if t.den != (key{}) {
			if den := r.median(t.den, t.unit); den != 0 {
				v /= den
			} else {
				v = 0
			}
		} else {
			v /= 1e3 // ns to µs
		}
		if v == 0 {
			log.Fatalf("missing results for %s", t.what)
		}
		format := t.format
		if format == "" {
			format = "%.2f×"
		}
		met := map[string]bool{">=": v >= t.goal, "<=": v <= t.goal, "<": v < t.goal}[t.op]
		fmt.Printf("| %s | %s | %s %s | %s |\n", t.what, fmt.Sprintf(format, v),
			map[string]string{">=": "≥", "<=": "≤", "<": "<"}[t.op], fmt.Sprintf(format, t.goal), map[bool]string{true: "yes", false: "**no**"}[met])
	}
}

// parse reads benchmark output.
func parse(in io.Reader) (results, error) {
	r := results{samples: map[key]samples{}}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		k := key{m[1], strings.ReplaceAll(m[2], "_", " ")}
		if r.samples[k] == nil {
			r.samples[k] = samples{}
			r.order = append(r.order, k)
		}
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return results{}, fmt.Errorf("%q: %w", sc.Text(), err)
			}
			r.samples[k][fields[i+1]] = append(r.samples[k][fields[i+1]], v)
		}
		r.runs = max(r.runs, len(r.samples[k]["ns/op"]))
	}
	return r, sc.Err()
}

// med returns the median of xs.
func med(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratio formats a/b.
func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
