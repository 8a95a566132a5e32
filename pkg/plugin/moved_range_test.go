package plugin_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// An auto-refreshed dashboard asks for its range a little later: through the reads the cache holds
// (widened to a grid cell beyond the range), every panel of every shipped dashboard gives exactly
// what an alert rule, which reads the stores for that exact range, gets.
func TestMovedRangeThroughCachedReadsIsExact(t *testing.T) {
	ds := demoInstance(t, pgtest.Start(t), demo.Size{})
	ctx := context.Background()
	// Ends mid-data and mid-hour: rows exist on both sides of every bound.
	end := demo.DefaultEnd.Add(-3*24*time.Hour + 10*time.Minute)
	for _, d := range loadDashboards(t) {
		t.Run(d.file, func(t *testing.T) {
			start := rangeOf(t, d.Time.From, end)
			for _, p := range d.allPanels() {
				var stored []string
				for _, raw := range p.Targets {
					q, err := models.ParseQuery(interpolate(t, d, raw, p.Title, nil))
					require.NoError(t, err)
					if q.QueryType != models.QueryLiveFeed {
						stored = append(stored, string(interpolate(t, d, raw, p.Title, nil)))
					}
				}
				if len(stored) == 0 {
					continue
				}
				t.Run(p.Title, func(t *testing.T) {
					from, to := start, end
					if p.TimeFrom != "" {
						from = rangeOf(t, p.TimeFrom, end)
					}
					queries := func(shift time.Duration) []backend.DataQuery {
						var out []backend.DataQuery
						for _, s := range stored {
							out = append(out, storedQuery(t, []byte(s), from.Add(shift), to.Add(shift)))
						}
						return out
					}
					runStored(ctx, t, ds, queries(0)) // the refresh that fills the cache
					for _, shift := range []time.Duration{time.Minute, 45 * time.Minute} {
						cached := runStored(ctx, t, ds, queries(shift))
						req := &backend.QueryDataRequest{Queries: queries(shift), Headers: map[string]string{"FromAlert": "true"}}
						direct, err := ds.QueryData(ctx, req)
						require.NoError(t, err)
						for ref, r := range cached.Responses {
							require.NoError(t, r.Error, "query %s moved by %s", ref, shift)
							require.NoError(t, direct.Responses[ref].Error, "query %s moved by %s, read directly", ref, shift)
							assert.Equal(t, answerValues(direct.Responses[ref].Frames), answerValues(r.Frames),
								"query %s moved by %s: through the cached reads as read directly", ref, shift)
						}
					}
				})
			}
		})
	}
}

// answerValues are the frames' names, fields (with their labels) and values, without their metadata (the executed query
// text names the widened reads).
func answerValues(frames data.Frames) []string {
	var out []string
	for _, f := range frames {
		out = append(out, "frame "+f.Name)
		for _, field := range f.Fields {
			row := fmt.Sprintf("%s %v:", field.Name, field.Labels)
			for i := range field.Len() {
				v, _ := field.ConcreteAt(i)
				row += fmt.Sprintf(" %v", v)
			}
			out = append(out, row)
		}
	}
	return out
}
