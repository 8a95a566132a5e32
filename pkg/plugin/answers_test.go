package plugin_test

import (
	"context"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// The answer cache: the same query over the same exact range is answered from the kept answer within
// the TTL, stamped with the asking query's refId; alert rules and the live feed always compute.
func TestAnswersAreKeptPerQueryAndExactRange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := pgtest.Start(t).NewDatabase(t)
	smallDemo(t, db)
	jsonData, secure := dbSettings(db, "support", "shop", nil)
	d := newInstance(t, jsonData, secure)

	const (
		revenue = `{"queryType":"metrics","metrics":["revenue"]}`
		feed    = `{"queryType":"live_feed","limit":5}`
	)
	feedFrom := demoTo.Add(-2 * time.Hour)
	first := one(ctx, t, d, false, dq("A", revenue, demoFrom, demoTo))
	before := revenueOf(t, first)
	require.NoError(t, one(ctx, t, d, false, dq("D", feed, feedFrom, demoTo)).Error)

	// An order of 1234.50 in the shop currency, inside the range, after the answer was kept.
	db.Exec(t, `INSERT INTO shop.orders (id, customer_key, created_at, status, total, currency)
		VALUES ('kept-answer', 'kept-answer-buyer', $1, 'paid', 1234.50, 'USD')`, demoTo.Add(-time.Hour))

	again := one(ctx, t, d, false, dq("B", revenue, demoFrom, demoTo))
	require.NoError(t, again.Error)
	assert.InDelta(t, before, revenueOf(t, again), 0, "the same query and range within the TTL: the kept answer")
	require.NotEmpty(t, again.Frames)
	for _, f := range again.Frames {
		assert.Equal(t, "B", f.RefID, "a kept answer carries the asking query's refId")
		assert.Equal(t, "B", f.Name, "and its name")
	}
	assert.Same(t, first.Frames[0].Fields[0], again.Frames[0].Fields[0], "the kept answer is handed out, not computed again")
	moved := one(ctx, t, d, false, dq("F", revenue, demoFrom, demoTo.Add(time.Second)))
	require.NoError(t, moved.Error)
	assert.NotSame(t, first.Frames[0].Fields[0], moved.Frames[0].Fields[0], "another range is computed")
	for _, f := range first.Frames {
		assert.Equal(t, "A", f.RefID, "handing the kept answer out again does not rename the first one")
	}

	alert := one(ctx, t, d, true, dq("C", revenue, demoFrom, demoTo))
	require.NoError(t, alert.Error)
	assert.InDelta(t, before+1234.50, revenueOf(t, alert), 1e-6, "an alert rule reads the stores: it sees the new order")

	// The live feed is never kept: asked again for the same range, the new order tops it.
	again = one(ctx, t, d, false, dq("E", feed, feedFrom, demoTo))
	require.NoError(t, again.Error)
	id, at := again.Frames[0].FieldByName("id")
	require.GreaterOrEqual(t, at, 0, "the live feed has an id column")
	require.Positive(t, id.Len())
	v, _ := id.ConcreteAt(0)
	assert.Equal(t, "kept-answer", v, "the newest event of the live feed is the new order")
}

// revenueOf is the single revenue value of a metrics answer.
func revenueOf(t *testing.T, r backend.DataResponse) float64 {
	t.Helper()
	require.NoError(t, r.Error)
	require.Len(t, r.Frames, 1)
	f, at := r.Frames[0].FieldByName("revenue")
	require.GreaterOrEqual(t, at, 0, "a revenue field")
	require.Equal(t, 1, f.Len())
	v, ok := f.ConcreteAt(0)
	require.True(t, ok)
	return toFloat(t, v)
}

func toFloat(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	t.Fatalf("not a number: %T", v)
	return 0
}
