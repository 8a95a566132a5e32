package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// MaxSeries is how many groups (series or table rows) a metrics query returns at most. Grouping by
// a dimension with thousands of values (products, tags, topics) would otherwise send Grafana a frame
// no panel can show and a browser struggles to draw.
const MaxSeries = 100

// TopGroups keeps the max groups with the largest total of the first metric (its values summed over
// the buckets; a group without any value ranks last), in their original order. Ties keep the
// groups that come first, so the same data always gives the same answer. It returns groups itself
// when nothing is cut.
func TopGroups(groups []Group, max int) []Group {
	if len(groups) <= max {
		return groups
	}
	type ranked struct {
		index int
		total float64
		any   bool
	}
	ranks := make([]ranked, len(groups))
	for i, g := range groups {
		ranks[i].index = i
		if len(g.Values) == 0 {
			continue
		}
		for _, v := range g.Values[0] {
			if v != nil {
				ranks[i].total += *v
				ranks[i].any = true
			}
		}
	}
	sort.SliceStable(ranks, func(a, b int) bool {
		if ranks[a].any != ranks[b].any {
			return ranks[a].any
		}
		return ranks[a].total > ranks[b].total
	})
	keep := make([]int, 0, max)
	for _, r := range ranks[:max] {
		keep = append(keep, r.index)
	}
	slices.Sort(keep)
	out := make([]Group, len(keep))
	for i, k := range keep {
		out[i] = groups[k]
	}
	return out
}

// capSeries cuts the result to MaxSeries groups and says so in a notice, never silently.
func (r *Result) capSeries() {
	n := len(r.Groups)
	if n <= MaxSeries || len(r.Metrics) == 0 {
		return
	}
	r.Groups = TopGroups(r.Groups, MaxSeries)
	what := strings.Join(r.Dims, " × ") + " values"
	if len(r.Dims) > 1 {
		what = strings.Join(r.Dims, " × ") + " combinations"
	}
	r.Notices = append(r.Notices, fmt.Sprintf(
		"showing the top %d of %d %s by %s (total over the range): filter on %s to see the others",
		MaxSeries, n, what, r.Metrics[0].DisplayName, strings.Join(r.Dims, " or ")))
}
