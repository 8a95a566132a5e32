package engine_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
)

func fp(v float64) *float64 { return &v }

// lgroup is a group labelled label whose first metric has the given bucket values.
func lgroup(label string, values ...*float64) engine.Group {
	return engine.Group{Labels: []string{label}, Values: [][]*float64{values, {fp(1000)}}}
}

func labelsOf(groups []engine.Group) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g.Labels[0])
	}
	return out
}

func TestTopGroups(t *testing.T) {
	tests := []struct {
		name   string
		groups []engine.Group
		max    int
		want   []string
	}{
		{"under the cap: unchanged", []engine.Group{lgroup("a", fp(1)), lgroup("b", fp(2))}, 2, []string{"a", "b"}},
		{"largest totals over the buckets, original order kept",
			[]engine.Group{lgroup("a", fp(1), fp(1)), lgroup("b", fp(5), nil), lgroup("c", fp(0), fp(3)), lgroup("d", fp(2), fp(0))},
			2, []string{"b", "c"}},
		{"only the first metric ranks (the second is 1000 everywhere)",
			[]engine.Group{lgroup("a", fp(3)), lgroup("b", fp(2)), lgroup("c", fp(1))}, 1, []string{"a"}},
		{"a group without values ranks below zero",
			[]engine.Group{lgroup("a", nil, nil), lgroup("b", fp(0)), lgroup("c", fp(-1))}, 2, []string{"b", "c"}},
		{"ties keep the first groups", []engine.Group{lgroup("a", fp(1)), lgroup("b", fp(2)), lgroup("c", fp(1)), lgroup("d", fp(1))},
			3, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, labelsOf(engine.TopGroups(tt.groups, tt.max)))
		})
	}
}

// Grouping by a dimension with more values than MaxSeries keeps the largest and says so; the
// compared period follows the kept groups.
func TestMetricsCapSeries(t *testing.T) {
	h := newHand(t, nil)
	// 400 topics of one ticket, and 120 "big" topics where big-i has i+2 tickets: the top 100 are
	// big-020 .. big-119.
	h.exec(`INSERT INTO tickets (id, channel, project, topic, created_at)
SELECT 's' || i, 'email', 'shop', 'small-' || lpad(i::text, 3, '0'), '2026-03-10T08:00:00Z'::timestamptz
FROM generate_series(0, 399) AS i`)
	h.exec(`INSERT INTO tickets (id, channel, project, topic, created_at)
SELECT 'b' || i || '-' || k, 'chat', 'shop', 'big-' || lpad(i::text, 3, '0'), '2026-03-10T09:00:00Z'::timestamptz
FROM generate_series(0, 119) AS i, generate_series(0, i + 1) AS k`)
	h.exec(`INSERT INTO tickets (id, channel, project, topic, created_at) VALUES ('old', 'email', 'shop', 'big-119', '2026-03-09T09:00:00Z')`)

	for _, groupBy := range []string{`["topic"]`, `["time", "topic"]`} {
		t.Run(groupBy, func(t *testing.T) {
			res := h.metrics(`{"metrics": ["tickets", "closed_tickets"], "groupBy": `+groupBy+`, "interval": "hour", "compare": "previous_period"}`, mar10, mar11)
			require.Len(t, res.Groups, engine.MaxSeries)
			var want []string
			for i := 20; i < 120; i++ {
				want = append(want, fmt.Sprintf("big-%03d", i))
			}
			assert.Equal(t, want, labelsOf(res.Groups))
			assert.Contains(t, res.Notices, "showing the top 100 of 520 topic values by Tickets (total over the range): filter on topic to see the others")
			h.exact(121, sum(h.series(res, "tickets", "big-119")), "tickets of big-119")
			prev := h.group(res, "big-119").Previous[0]
			h.exact(1, sum(prev), "the previous day of big-119")
		})
	}

	res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["channel", "topic"]}`, mar10, mar11)
	assert.Len(t, res.Groups, engine.MaxSeries)
	assert.Contains(t, res.Notices, "showing the top 100 of 520 channel × topic combinations by Tickets (total over the range): filter on channel or topic to see the others")

	res = h.metrics(`{"metrics": ["tickets"], "groupBy": ["channel"]}`, mar10, mar11)
	assert.Len(t, res.Groups, 2, "under the cap")
	assert.Empty(t, res.Notices)
}

func sum(values []*float64) *float64 {
	var s float64
	for _, v := range values {
		if v != nil {
			s += *v
		}
	}
	return &s
}
