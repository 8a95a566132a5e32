package plugin_test

import (
	"context"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// The main engine cases through the built executable, as Grafana runs it, on a fixture whose
// numbers are worked out by hand below.
//
//	t1 c1 created 03-10 10:00Z closed by alice; t2 c1 created 03-10 20:00Z closed by bob.
//	o1 c1 03-10 10:00Z 30.00   (exactly at t1's creation: matches t1 only)
//	o2 c1 03-11 09:00Z 45.50   (matches t1 and t2: last touch t2, first touch t1)
//	o3 c1 03-13 10:00Z 100.00  (exactly t1 + 72h: not t1's; matches t2 only)
//	o4 c1 03-13 20:00Z 7.00    (exactly t2 + 72h: nobody's)
//	last touch:  alice 30.00, bob 145.50; first touch: alice 75.50, bob 100.00; 3 orders, 175.50.
//	linear: o2 split in halves: alice 52.75, bob 122.75.
//	closed anchor, last touch: o4 falls before t2's close + 72h: alice 30.00, bob 152.50.
//	CSAT: t1 and t2 answered 5: csat 100%, lower bound n/(n+z^2) = 2/5.841459 = 34.238%.
//	t3 (no customer) created 03-29 21:30Z = 23:30 in Paris on the 23-hour DST day.
func TestEngineOverGRPC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := startPlugin(t)
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "public")
	db.Exec(t, `INSERT INTO tickets (id, customer_key, channel, project, priority, tags, created_at, closed_at, closing_agent) VALUES
		('t1', 'c1', 'chat', 'shop', 'normal', '{}', '2026-03-10T10:00Z', '2026-03-10T12:00Z', 'alice'),
		('t2', 'c1', 'email', 'shop', 'normal', '{}', '2026-03-10T20:00Z', '2026-03-10T21:00Z', 'bob'),
		('t3', NULL, 'chat', 'shop', 'normal', '{}', '2026-03-29T21:30Z', NULL, NULL)`)
	db.Exec(t, `INSERT INTO orders (id, customer_key, created_at, status, total, currency) VALUES
		('o1', 'c1', '2026-03-10T10:00Z', 'paid', 30.00, 'USD'),
		('o2', 'c1', '2026-03-11T09:00Z', 'paid', 45.50, 'USD'),
		('o3', 'c1', '2026-03-13T10:00Z', 'paid', 100.00, 'USD'),
		('o4', 'c1', '2026-03-13T20:00Z', 'paid', 7.00, 'USD')`)
	db.Exec(t, `INSERT INTO csat_responses (ticket_id, sent_at, responded_at, score) VALUES
		('t1', '2026-03-10T12:00Z', '2026-03-10T13:00Z', 5), ('t2', '2026-03-10T21:00Z', '2026-03-10T22:00Z', 5)`)
	jsonData, secure := dbSettings(db, "public", "public", map[string]any{"timezone": "Europe/Paris"})
	march, april := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

	byAgent := func(model string, anchor ...string) map[string]float64 {
		attribution := map[string]any{"model": model}
		if len(anchor) > 0 {
			attribution["anchor"] = anchor[0]
		}
		res, err := p.QueryData(ctx, jsonData, secure, dataQuery(t, "A", map[string]any{
			"queryType": "metrics", "metrics": []string{"attributed_revenue"}, "groupBy": []string{"agent"},
			"attribution": attribution,
		}, march, april))
		require.NoError(t, err)
		require.Empty(t, res.Responses["A"].Error)
		f := responseFrames(t, res.Responses["A"])[0]
		out := map[string]float64{}
		for i := 0; i < f.Rows(); i++ {
			v, _ := f.Fields[1].ConcreteAt(i)
			out[f.Fields[0].At(i).(string)] = v.(float64)
		}
		return out
	}
	// t3 (open, no customer) is a ticket of the range: its (open) row is there with 0 (issue 12 item 6).
	assert.Equal(t, map[string]float64{"(open)": 0, "alice": 30, "bob": 145.5}, byAgent("last_touch"))
	assert.Equal(t, map[string]float64{"(open)": 0, "alice": 75.5, "bob": 100}, byAgent("first_touch"))
	// linear: o2 split 22.75 / 22.75 between t1 and t2: alice 30.00 + 22.75, bob 22.75 + 100.00.
	assert.Equal(t, map[string]float64{"(open)": 0, "alice": 52.75, "bob": 122.75}, byAgent("linear"))
	// closed anchor: t2's window runs to its close 03-10 21:00 + 72h, so o4 (03-13 20:00) is t2's too.
	assert.Equal(t, map[string]float64{"(open)": 0, "alice": 30, "bob": 152.5}, byAgent("last_touch", "closed"))

	res, err := p.QueryData(ctx, jsonData, secure,
		dataQuery(t, "totals", map[string]any{"metrics": []string{"tickets", "converted_tickets", "attributed_orders",
			"attributed_revenue", "csat", "csat_lower_bound"}}, march, april),
		dataQuery(t, "dst", map[string]any{"metrics": []string{"tickets"}, "groupBy": []string{"time"}, "interval": "day"},
			time.Date(2026, 3, 27, 23, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 22, 0, 0, 0, time.UTC)),
		dataQuery(t, "bad", map[string]any{"metrics": []string{"revenue"}, "groupBy": []string{"agent"}}, march, april),
	)
	require.NoError(t, err)

	require.Empty(t, res.Responses["totals"].Error)
	totals := responseFrames(t, res.Responses["totals"])[0]
	assert.Equal(t, data.FrameTypeNumericWide, totals.Meta.Type)
	want := map[string]float64{"tickets": 3, "converted_tickets": 2, "attributed_orders": 3, "attributed_revenue": 175.5, "csat": 100}
	for name, v := range want {
		f, _ := totals.FieldByName(name)
		require.NotNil(t, f, name)
		got, _ := f.ConcreteAt(0)
		assert.Equal(t, v, got, name)
	}
	lb, _ := totals.FieldByName("csat_lower_bound")
	got, _ := lb.ConcreteAt(0)
	assert.InDelta(t, 34.238, got.(float64), 0.001)
	assert.Equal(t, "currencyUSD", func() string { f, _ := totals.FieldByName("attributed_revenue"); return f.Config.Unit }())

	require.Empty(t, res.Responses["dst"].Error)
	series := responseFrames(t, res.Responses["dst"])[0]
	assert.Equal(t, data.FrameTypeTimeSeriesWide, series.Meta.Type)
	var starts []string
	var counts []float64
	for i := 0; i < series.Rows(); i++ {
		starts = append(starts, series.Fields[0].At(i).(time.Time).UTC().Format(time.RFC3339))
		v, _ := series.Fields[1].ConcreteAt(i)
		counts = append(counts, v.(float64))
	}
	// Paris days: 03-28 starts 23:00Z, 03-29 (23 hours: clocks go forward) 23:00Z, 03-30 22:00Z.
	assert.Equal(t, []string{"2026-03-27T23:00:00Z", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"}, starts)
	assert.Equal(t, []float64{0, 1, 0}, counts, "23:30 local on the DST day is that day's ticket")

	assert.Contains(t, res.Responses["bad"].Error, "metric revenue cannot be grouped by agent")
}
