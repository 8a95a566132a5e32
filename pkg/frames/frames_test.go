package frames_test

import (
	"flag"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/frames"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func f(v float64) *float64 { return &v }

func metric(t *testing.T, key string) *engine.Metric {
	m, ok := engine.Lookup(key)
	require.True(t, ok, key)
	return m
}

func golden(t *testing.T, name string, fr *data.Frame) {
	t.Helper()
	experimental.CheckGoldenJSONResponse(t, "testdata", name, &backend.DataResponse{Frames: data.Frames{fr}}, *update)
}

// A time series grouped by a second dimension: the time field first, one field per metric and label
// set, units from the catalog, the shop currency unit for money, previous period fields with compare.
func TestTimeSeriesWithLabelsAndCompare(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	res := &engine.Result{
		Metrics:  []*engine.Metric{metric(t, "attributed_revenue"), metric(t, "csat")},
		Currency: "EUR",
		Interval: "day",
		Times:    []time.Time{time.Date(2026, 3, 28, 0, 0, 0, 0, paris), time.Date(2026, 3, 29, 0, 0, 0, 0, paris)},
		Dims:     []string{"agent"},
		Compare:  "previous_period",
		Groups: []engine.Group{{
			Labels:   []string{"alice"},
			Values:   [][]*float64{{f(120.5), f(0)}, {f(80), nil}},
			Previous: [][]*float64{{f(100), f(10)}, {f(50), f(75)}},
		}},
		Notices:  []string{"2 orders in a currency other than EUR were left out: GBP (2)"},
		Executed: "metrics attributed_revenue, csat",
	}
	fr := frames.Metrics("A", res)
	assert.Equal(t, data.FrameTypeTimeSeriesWide, fr.Meta.Type)
	assert.Equal(t, "time", fr.Fields[0].Name)
	rev := fr.Fields[1]
	assert.Equal(t, "attributed_revenue", rev.Name)
	assert.Equal(t, data.Labels{"agent": "alice"}, rev.Labels)
	assert.Equal(t, "currencyEUR", rev.Config.Unit)
	change := fr.Fields[3]
	assert.Equal(t, "attributed_revenue_change_pct", change.Name)
	assert.InDelta(t, 20.5, *change.At(0).(*float64), 1e-9) // (120.5-100)/100
	assert.InDelta(t, -100, *change.At(1).(*float64), 1e-9) // (0-10)/10
	csatChange := fr.Fields[6]
	assert.Equal(t, "csat_change_pct", csatChange.Name)
	assert.Nil(t, csatChange.At(1)) // no current value: no change
	// Every percentage has one decimal (76.0% beside 76.9%); money and counts keep Grafana's own.
	for _, k := range []int{3, 4, 5, 6} {
		require.NotNil(t, fr.Fields[k].Config.Decimals, fr.Fields[k].Name)
		assert.Equal(t, uint16(1), *fr.Fields[k].Config.Decimals, fr.Fields[k].Name)
	}
	for _, k := range []int{1, 2} {
		assert.Nil(t, fr.Fields[k].Config.Decimals, fr.Fields[k].Name)
	}
	golden(t, "timeseries_labels_compare", fr)
}

// Without group-by: one numeric row; with a dimension: a long table with the dimension column first.
func TestNumericFrames(t *testing.T) {
	one := frames.Metrics("B", &engine.Result{Metrics: []*engine.Metric{metric(t, "tickets")}, Currency: "USD", Compare: "none",
		Groups: []engine.Group{{Values: [][]*float64{{f(42)}}}}})
	assert.Equal(t, data.FrameTypeNumericWide, one.Meta.Type)
	require.Len(t, one.Fields, 1)
	assert.Equal(t, "short", one.Fields[0].Config.Unit)
	golden(t, "numeric_wide", one)

	long := frames.Metrics("C", &engine.Result{Metrics: []*engine.Metric{metric(t, "first_response_seconds_p50")}, Currency: "USD",
		Compare: "none", Dims: []string{"segment", "priority"},
		Groups: []engine.Group{
			{Labels: []string{"vip", "high"}, Values: [][]*float64{{f(600)}}},
			{Labels: []string{"returning", "low"}, Values: [][]*float64{{nil}}},
		}})
	assert.Equal(t, data.FrameTypeNumericLong, long.Meta.Type)
	assert.Equal(t, []string{"segment", "priority", "first_response_seconds_p50"}, []string{long.Fields[0].Name, long.Fields[1].Name, long.Fields[2].Name})
	assert.Equal(t, "s", long.Fields[2].Config.Unit)
	golden(t, "numeric_long", long)
}

// A time series without any series (grouped by agent, no agent in range) has no fields at all, so that
// Grafana shows "No data" rather than an empty graph over a lone time field; its notices stay.
func TestTimeSeriesWithoutSeries(t *testing.T) {
	res := &engine.Result{
		Metrics:  []*engine.Metric{metric(t, "tickets")},
		Currency: "USD",
		Interval: "day",
		Times:    []time.Time{time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)},
		Dims:     []string{"agent"},
		Compare:  "none",
		Notices:  []string{"a notice"},
		Executed: "metrics tickets",
	}
	fr := frames.Metrics("A", res)
	assert.Empty(t, fr.Fields)
	assert.Equal(t, data.FrameTypeTimeSeriesWide, fr.Meta.Type)
	assert.Equal(t, "metrics tickets", fr.Meta.ExecutedQueryString)
	require.Len(t, fr.Meta.Notices, 1)
	assert.Equal(t, "a notice", fr.Meta.Notices[0].Text)

	// With the one series of a time series without a second dimension, the frame keeps its fields.
	res.Dims = nil
	res.Groups = []engine.Group{{Values: [][]*float64{{f(0), f(0)}}}}
	fr = frames.Metrics("A", res)
	require.Len(t, fr.Fields, 2)
	assert.Equal(t, "time", fr.Fields[0].Name)
}

// Table columns carry their unit, and percentages one decimal, like metric fields.
func TestTablePercentDecimals(t *testing.T) {
	fr := frames.Table("A", &engine.Table{Name: "top_products", Columns: []engine.Column{
		{Key: "revenue", DisplayName: "Revenue", Unit: "currency", Values: []float64{10}},
		{Key: "share", DisplayName: "Share of revenue", Unit: "percent", Values: []float64{8.96}},
		{Key: "product", DisplayName: "Product", Values: []string{"mug"}},
	}}, "USD")
	assert.Equal(t, "currencyUSD", fr.Fields[0].Config.Unit)
	assert.Nil(t, fr.Fields[0].Config.Decimals)
	assert.Equal(t, "percent", fr.Fields[1].Config.Unit)
	require.NotNil(t, fr.Fields[1].Config.Decimals)
	assert.Equal(t, uint16(1), *fr.Fields[1].Config.Decimals)
	assert.Equal(t, "", fr.Fields[2].Config.Unit)
	assert.Nil(t, fr.Fields[2].Config.Decimals)
}
