package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	out := `goos: linux
BenchmarkCompare/small/openai-go_Unwrap+AsAny-2   	  100	      7000 ns/op	  24.00 MB/s	    8752 B/op	      84 allocs/op
BenchmarkCompare/small/this_Unwrap-2              	  100	      1400 ns/op	 120.00 MB/s	    1328 B/op	      19 allocs/op
BenchmarkCompare/small/this_Unwrap-2              	  100	      1600 ns/op	 105.00 MB/s	    1328 B/op	      19 allocs/op
BenchmarkCompare/small/this_Unwrap-2              	  100	      9000 ns/op	  19.00 MB/s	    1328 B/op	      19 allocs/op
BenchmarkHTTP/Handler-2                           	 1000	     30000 ns/op	     33333 deliveries/s
BenchmarkClaimAfterBurst-2                        	   10	  37244014 ns/op	         8.000 max-dropped	    488939 max-ns
PASS
`
	r, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if r.runs != 3 {
		t.Errorf("got %d runs, want 3", r.runs)
	}
	want := []key{{"Compare", "small/openai-go Unwrap+AsAny"}, {"Compare", "small/this Unwrap"}, {"HTTP", "Handler"}, {"ClaimAfterBurst", ""}}
	if !slices.Equal(r.order, want) {
		t.Errorf("got order %v, want %v", r.order, want)
	}
	if got := r.median(key{"Compare", "small/this Unwrap"}, "ns/op"); got != 1600 {
		t.Errorf("got median %v ns/op, want 1600 (the middle of 1400, 1600, 9000)", got)
	}
	if got := r.median(key{"Compare", "small/openai-go Unwrap+AsAny"}, "allocs/op"); got != 84 {
		t.Errorf("got %v allocs/op, want 84", got)
	}
	if got := r.median(key{"HTTP", "Handler"}, "deliveries/s"); got != 33333 {
		t.Errorf("got %v deliveries/s, want 33333", got)
	}
	if got := r.median(key{"ClaimAfterBurst", ""}, "max-ns"); got != 488939 {
		t.Errorf("got %v max-ns, want 488939", got)
	}
}

func TestMedianAndRatio(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := med(tt.xs); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got := ratio(7000, 1400); got != "5.00×" {
		t.Errorf("got %q, want 5.00×", got)
	}
	if got := ratio(1, 0); got != "-" {
		t.Errorf("got %q, want -", got)
	}
}
