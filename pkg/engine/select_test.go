package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// nthSmallest gives what sorting gives, at every rank, on the shapes durations take: random, many
// equal values, already sorted, reversed, all equal, and arrays built to defeat a median-of-three
// pivot (organ pipes).
func TestNthSmallestMatchesSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	shapes := map[string]func(n int) []int64{
		"random": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = rng.Int64N(1_000_000)
			}
			return v
		},
		"few values": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = rng.Int64N(3) * 60_000_000
			}
			return v
		},
		"sorted": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(i)
			}
			return v
		},
		"reversed": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(n - i)
			}
			return v
		},
		"equal": func(n int) []int64 { return make([]int64, n) },
		"organ pipes": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(min(i, n-1-i))
			}
			return v
		},
	}
	for name, shape := range shapes {
		for _, n := range []int{1, 2, 3, 16, 17, 100, 1001, 5000} {
			v := shape(n)
			want := slices.Sorted(slices.Values(v))
			for _, k := range []int{0, n / 2, (n * 9) / 10, n - 1, rng.IntN(n)} {
				got := nthSmallest(slices.Clone(v), k)
				if got != want[k] {
					t.Fatalf("%s, n=%d, k=%d: got %d, want %d", name, n, k, got, want[k])
				}
			}
		}
	}
}

// A median and a 90th percentile of one duration collect their samples once: one accumulator per
// bucket, added to once per row; other parts keep their own.
func TestPercentilesShareTheirSamples(t *testing.T) {
	metric := func(key string) *Metric {
		for _, m := range Catalog {
			if m.Key == key {
				return m
			}
		}
		t.Fatalf("no metric %s", key)
		return nil
	}
	ms := []*Metric{metric("resolution_seconds_p50"), metric("first_response_seconds_p50"), metric("resolution_seconds_p90"),
		metric("closed_tickets"), metric("first_response_seconds_p90")}
	ag := newAggregation(&dataset{e: &Engine{}}, ms, nil, false, time.Time{}, time.Time{}, options{}, nil)
	if ag.nparts != 3 || !slices.Equal(ag.slot[0], ag.slot[2]) || !slices.Equal(ag.slot[1], ag.slot[4]) {
		t.Fatalf("accumulators %d, slots %v: want 3, the percentiles of a duration in one", ag.nparts, ag.slot)
	}
	added := 0
	for _, p := range ag.passes() {
		added += len(p.parts)
	}
	if added != 3 {
		t.Fatalf("%d parts added per row, want 3", added)
	}
}
