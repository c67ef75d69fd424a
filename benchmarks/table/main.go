// Command table reads the output of the comparison benchmarks (go test
// -bench Compare -benchmem, any number of runs) and prints BENCHMARKS.md's
// tables: the median of every measure, each contender's ratio to this
// library's Unwrap, and the targets with the ratios they ask for.
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

// line matches one benchmark result: name, then value-unit pairs.
var line = regexp.MustCompile(`^BenchmarkCompare/([^/]+)/(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// key names one benchmark: a delivery and an implementation.
type key struct{ delivery, impl string }

// samples are the measures of one benchmark over the runs, by unit.
type samples map[string][]float64

func main() {
	results, order, runs, err := parse(os.Stdin)
	if err != nil {
		log.Fatal(err)
	}
	if len(results) == 0 {
		log.Fatal("no BenchmarkCompare results on stdin")
	}
	median := func(k key, unit string) float64 { return med(results[k][unit]) }

	fmt.Printf("Median of %d runs of each benchmark.\n\n", runs)
	fmt.Println("| Delivery | Implementation | ns/op | B/op | allocs/op | time ÷ this Unwrap | allocs ÷ this Unwrap |")
	fmt.Println("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
	for _, k := range order {
		base := key{k.delivery, "this Unwrap"}
		fmt.Printf("| %s | %s | %.0f | %.0f | %.0f | %s | %s |\n", k.delivery, k.impl,
			median(k, "ns/op"), median(k, "B/op"), median(k, "allocs/op"),
			ratio(median(k, "ns/op"), median(base, "ns/op")), ratio(median(k, "allocs/op"), median(base, "allocs/op")))
	}

	type target struct {
		what     string
		num, den key
		unit     string
		op       string // ">=" or "<="
		goal     float64
	}
	targets := []target{
		{"small: openai-go time ÷ this Unwrap", key{"small", "openai-go Unwrap+AsAny"}, key{"small", "this Unwrap"}, "ns/op", ">=", 8},
		{"agent: openai-go time ÷ this Unwrap", key{"agent", "openai-go Unwrap+AsAny"}, key{"agent", "this Unwrap"}, "ns/op", ">=", 8},
		{"sip8: openai-go time ÷ this Unwrap", key{"sip8", "openai-go Unwrap+AsAny"}, key{"sip8", "this Unwrap"}, "ns/op", ">=", 15},
		{"small: this Unwrap ÷ standard-webhooks Verify", key{"small", "this Unwrap"}, key{"small", "standard-webhooks Verify"}, "ns/op", "<=", 1},
		{"64KiB: this Unwrap B/op ÷ small's", key{"64KiB", "this Unwrap"}, key{"small", "this Unwrap"}, "B/op", "<=", 2},
	}
	fmt.Println("\n| Target | Measured | Goal | Met |")
	fmt.Println("| --- | ---: | ---: | --- |")
	for _, t := range targets {
		num, den := median(t.num, t.unit), median(t.den, t.unit)
		if num == 0 || den == 0 {
			log.Fatalf("missing results for %s", t.what)
		}
		r := num / den
		met := r >= t.goal
		if t.op == "<=" {
			met = r <= t.goal
		}
		fmt.Printf("| %s | %.2f× | %s %.2f× | %s |\n", t.what, r, map[string]string{">=": "≥", "<=": "≤"}[t.op], t.goal, map[bool]string{true: "yes", false: "**no**"}[met])
	}
}

// parse reads benchmark output and returns the samples of every benchmark,
// the benchmarks in the order first seen, and the number of runs.
func parse(r io.Reader) (map[key]samples, []key, int, error) {
	results := map[key]samples{}
	var order []key
	runs := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		k := key{m[1], strings.ReplaceAll(m[2], "_", " ")}
		if results[k] == nil {
			results[k] = samples{}
			order = append(order, k)
		}
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("%q: %w", sc.Text(), err)
			}
			results[k][fields[i+1]] = append(results[k][fields[i+1]], v)
		}
		runs = max(runs, len(results[k]["ns/op"]))
	}
	return results, order, runs, sc.Err()
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
