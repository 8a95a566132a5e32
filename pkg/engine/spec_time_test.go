package engine_test

// Hand-computed tests of calendar buckets (SPEC 4 interval, 5.8) and compare (SPEC 4).

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSpecBucketsDST(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	fixture := func(h *hand) {
		h.tickets(
			hTicket{ID: "X1", Customer: "c", Created: "2026-03-29T23:30:00+02:00"}, // 21:30Z on the 29th: bucket 29
			hTicket{ID: "X2", Customer: "c", Created: "2026-03-28T23:30:00+01:00"}, // bucket 28
			hTicket{ID: "X3", Customer: "c", Created: "2026-03-29T00:30:00+01:00"}, // 23:30Z on the 28th: bucket 29
			hTicket{ID: "X4", Customer: "c", Created: "2026-03-30T23:59:00+02:00"}, // bucket 30
			hTicket{ID: "X5", Customer: "c", Created: "2026-03-27T23:30:00+01:00"}, // before the range
		)
	}
	// 2026-03-28 .. 2026-03-31 local: [2026-03-27T23:00Z, 2026-03-30T22:00Z).
	from, to := "2026-03-28T00:00:00+01:00", "2026-03-31T00:00:00+02:00"
	for _, c := range []struct {
		name     string
		settings map[string]any
		query    string
	}{
		{"timezone setting", map[string]any{"timezone": "Europe/Paris"}, `{"metrics": ["tickets"], "groupBy": ["time"], "interval": "day"}`},
		{"query timezone", nil, `{"metrics": ["tickets"], "groupBy": ["time"], "interval": "day", "timezone": "Europe/Paris"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHand(t, c.settings)
			fixture(h)
			res := h.metrics(c.query, from, to)
			require.Equal(t, "day", res.Interval)
			require.Len(t, res.Times, 3)
			// Bucket starts: local midnights 28, 29 (CET, +01:00) and 30 (CEST, +02:00).
			for i, want := range []string{"2026-03-27T23:00:00Z", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"} {
				require.True(t, res.Times[i].Equal(ts(want)), "bucket %d starts %s, want %s", i, res.Times[i], want)
			}
			require.Equal(t, 23*time.Hour, res.Times[2].Sub(res.Times[1]), "the day clocks go forward has 23 hours")
			_, off := res.Times[2].In(paris).Zone()
			require.Equal(t, 2*3600, off)
			// 28: X2; 29: X1, X3; 30: X4.
			require.Equal(t, []float64{1, 2, 1}, hFloats(h.series(res, "tickets")))
		})
	}
	t.Run("hour buckets across the gap", func(t *testing.T) {
		h := newHand(t, map[string]any{"timezone": "Europe/Paris"})
		h.tickets(hTicket{ID: "H1", Customer: "c", Created: "2026-03-29T03:10:00+02:00"})
		// [00:00+01, 05:00+02) = [23:00Z, 03:00Z) = 4 hours: 00:00, 01:00 (+01:00), 03:00, 04:00 (+02:00).
		res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "hour"}`, "2026-03-29T00:00:00+01:00", "2026-03-29T05:00:00+02:00")
		require.Len(t, res.Times, 4)
		require.True(t, res.Times[2].Equal(ts("2026-03-29T01:00:00Z")), "third bucket is 03:00 local, %s", res.Times[2])
		require.Equal(t, 3, res.Times[2].In(paris).Hour())
		require.Equal(t, []float64{0, 0, 1, 0}, hFloats(h.series(res, "tickets")))
	})
}

func TestSpecBucketsMonth(t *testing.T) {
	h := newHand(t, map[string]any{"timezone": "Europe/Paris"})
	h.tickets(
		hTicket{ID: "M1", Customer: "c", Created: "2026-03-31T23:30:00+02:00"}, // March
		hTicket{ID: "M2", Customer: "c", Created: "2026-04-01T00:30:00+02:00"}, // April (UTC: 03-31T22:30Z, March)
		hTicket{ID: "M3", Customer: "c", Created: "2026-04-15T12:00:00+02:00"}, // April
	)
	res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "month"}`, "2026-03-01T00:00:00+01:00", "2026-05-01T00:00:00+02:00")
	require.Len(t, res.Times, 2)
	require.True(t, res.Times[0].Equal(ts("2026-02-28T23:00:00Z")))
	require.True(t, res.Times[1].Equal(ts("2026-03-31T22:00:00Z")))
	require.Equal(t, []float64{1, 2}, hFloats(h.series(res, "tickets")))
}

func TestSpecBucketsWeekStart(t *testing.T) {
	fixture := func(h *hand) {
		h.tickets(
			hTicket{ID: "W0", Customer: "c", Created: "2026-03-02T12:00:00Z"}, // Monday, before the range
			hTicket{ID: "W1", Customer: "c", Created: "2026-03-07T23:00:00Z"}, // Saturday
			hTicket{ID: "W2", Customer: "c", Created: "2026-03-08T00:00:00Z"}, // Sunday
			hTicket{ID: "W3", Customer: "c", Created: "2026-03-14T12:00:00Z"}, // Saturday
			hTicket{ID: "W4", Customer: "c", Created: "2026-03-15T12:00:00Z"}, // Sunday
		)
	}
	// Range Wednesday 2026-03-04 .. Friday 2026-03-20 (UTC).
	const q = `{"metrics": ["tickets"], "groupBy": ["time"], "interval": "week"}`
	for _, c := range []struct {
		start  string
		times  []string
		counts []float64
	}{
		// Sunday weeks: [03-01: W1], [03-08: W2, W3], [03-15: W4] (W0 is before the range). The range
		// starts inside the first week: it is stamped at the range's start, 03-04.
		{"sunday", []string{"2026-03-04T00:00:00Z", "2026-03-08T00:00:00Z", "2026-03-15T00:00:00Z"}, []float64{1, 2, 1}},
		// Monday weeks: [03-02: W1, W2], [03-09: W3, W4], [03-16: none].
		{"monday", []string{"2026-03-04T00:00:00Z", "2026-03-09T00:00:00Z", "2026-03-16T00:00:00Z"}, []float64{2, 2, 0}},
	} {
		t.Run(c.start, func(t *testing.T) {
			h := newHand(t, map[string]any{"weekStart": c.start})
			fixture(h)
			res := h.metrics(q, "2026-03-04T00:00:00Z", "2026-03-20T00:00:00Z")
			require.Len(t, res.Times, len(c.times))
			for i, want := range c.times {
				require.True(t, res.Times[i].Equal(ts(want)), "bucket %d: %s, want %s", i, res.Times[i], want)
			}
			require.Equal(t, c.counts, hFloats(h.series(res, "tickets")))
			require.Len(t, res.Info, 1, "the first and last weeks are partial: %q", res.Info)
		})
	}
}

// A bucket the range cuts is stamped inside the range (Grafana hides points outside it), holds the
// rows of its part in range, and the result says it is partial (SPEC 4).
func TestSpecPartialBuckets(t *testing.T) {
	t.Run("a 7-day range inside a month: one point at its start", func(t *testing.T) {
		h := newHand(t, map[string]any{"timezone": "Europe/Paris"})
		h.tickets(
			hTicket{ID: "B", Customer: "c", Created: "2026-03-05T12:00:00+01:00"}, // March, before the range
			hTicket{ID: "I1", Customer: "c", Created: "2026-03-10T10:00:00+01:00"},
			hTicket{ID: "I2", Customer: "c", Created: "2026-03-16T23:00:00+01:00"},
			hTicket{ID: "A", Customer: "c", Created: "2026-03-17T10:00:00+01:00"}, // March, after the range
		)
		from, to := "2026-03-10T09:30:00+01:00", "2026-03-17T09:30:00+01:00"
		res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "month"}`, from, to)
		require.Len(t, res.Times, 1)
		require.True(t, res.Times[0].Equal(ts(from)), "the month is drawn at the range's start, not on 1 March: %s", res.Times[0])
		require.Equal(t, []float64{2}, hFloats(h.series(res, "tickets")), "I1 and I2, not B or A")
		require.Equal(t, []string{"The range covers part of one month, March 2026: from 10 Mar 2026 09:30 to 17 Mar 2026 09:30 (Europe/Paris), drawn at the range's start."}, res.Info)
	})

	// Sales per day over a range that starts and ends mid-day sum to the total of the stat.
	t.Run("days cut at both ends sum to the total", func(t *testing.T) {
		h := newHand(t, nil)
		h.tickets(
			hTicket{ID: "T0", Customer: "c0", Created: "2026-03-10T10:00:00Z"}, // the first day, before the range
			hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T16:00:00Z"},
			hTicket{ID: "T2", Customer: "c2", Created: "2026-03-12T09:00:00Z"},
			hTicket{ID: "T3", Customer: "c3", Created: "2026-03-13T14:00:00Z"},
			hTicket{ID: "P1", Customer: "c4", Created: "2026-03-07T16:00:00Z"}, // previous period
		)
		h.orders(
			hOrder{ID: "O0", Customer: "c0", Created: "2026-03-10T16:30:00Z", Total: "500.00"}, // credited to T0: not in range
			hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T18:00:00Z", Total: "100.00"},
			hOrder{ID: "O2", Customer: "c2", Created: "2026-03-12T10:00:00Z", Total: "40.50"},
			hOrder{ID: "O3", Customer: "c3", Created: "2026-03-13T16:00:00Z", Total: "12.25"}, // after the range, ticket in it
		)
		const from, to = "2026-03-10T15:00:00Z", "2026-03-13T15:00:00Z"
		res := h.metrics(`{"metrics": ["attributed_revenue", "tickets"], "groupBy": ["time"], "interval": "day", "compare": "previous_period"}`, from, to)
		require.Len(t, res.Times, 4)
		for i, want := range []string{from, "2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z", "2026-03-13T00:00:00Z"} {
			require.True(t, res.Times[i].Equal(ts(want)), "bucket %d at %s, want %s", i, res.Times[i], want)
		}
		require.Equal(t, []float64{100, 0, 40.5, 12.25}, hFloats(h.series(res, "attributed_revenue")))
		require.Equal(t, []float64{1, 0, 1, 1}, hFloats(h.series(res, "tickets")))
		// The previous period [03-07 15:00, 03-10 15:00) shifted by 3 days: P1 (03-07 16:00) into the
		// first bucket, T0 (03-10 10:00) into the last.
		require.Equal(t, []float64{1, 0, 0, 1}, hFloats(res.Groups[0].Previous[h.metricIndex(res, "tickets")]))
		require.Equal(t, []float64{0, 0, 0, 500}, hFloats(res.Groups[0].Previous[h.metricIndex(res, "attributed_revenue")]))
		total := h.metrics(`{"metrics": ["attributed_revenue"]}`, from, to)
		h.exact(152.75, h.value(total, "attributed_revenue"), "the stat: 100 + 40.50 + 12.25")
		require.Equal(t, []string{"The first and last days are partial: 10 Mar 2026 counts from the range's start, 10 Mar 2026 15:00, where it is drawn, and 13 Mar 2026 until the range's end, 13 Mar 2026 15:00 (UTC)."}, res.Info)
	})

	t.Run("a range starting mid-day across the change to summer time", func(t *testing.T) {
		h := newHand(t, map[string]any{"timezone": "Europe/Paris"})
		h.tickets(
			hTicket{ID: "X0", Customer: "c", Created: "2026-03-28T08:00:00+01:00"}, // the 28th, before the range
			hTicket{ID: "X1", Customer: "c", Created: "2026-03-28T13:00:00+01:00"}, // the 28th
			hTicket{ID: "X2", Customer: "c", Created: "2026-03-29T03:30:00+02:00"}, // the 29th (23 hours)
			hTicket{ID: "X3", Customer: "c", Created: "2026-03-30T11:00:00+02:00"}, // the 30th, in range
			hTicket{ID: "X4", Customer: "c", Created: "2026-03-30T13:00:00+02:00"}, // the 30th, after the range
		)
		from, to := "2026-03-28T12:00:00+01:00", "2026-03-30T12:00:00+02:00"
		res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "day"}`, from, to)
		require.Len(t, res.Times, 3)
		for i, want := range []string{from, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"} {
			require.True(t, res.Times[i].Equal(ts(want)), "bucket %d at %s, want %s", i, res.Times[i], want)
		}
		require.Equal(t, []float64{1, 1, 1}, hFloats(h.series(res, "tickets")))
		require.Len(t, res.Info, 1)
	})

	t.Run("whole buckets say nothing", func(t *testing.T) {
		h := newHand(t, nil)
		res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "day"}`, mar10, "2026-03-13T00:00:00Z")
		require.True(t, res.Times[0].Equal(ts(mar10)))
		require.Empty(t, res.Info)
	})
}

func TestSpecAutoInterval(t *testing.T) {
	h := newHand(t, nil)
	from := ts("2025-01-01T00:00:00Z")
	for _, c := range []struct {
		span time.Duration
		want string
	}{
		{24 * time.Hour, "hour"},
		{48*time.Hour - time.Second, "hour"}, // below 2 days
		{48 * time.Hour, "day"},
		{91 * 24 * time.Hour, "day"},
		{92 * 24 * time.Hour, "week"}, // below 92 days is day
		{729 * 24 * time.Hour, "week"},
		{730 * 24 * time.Hour, "month"}, // 2 years of 365 days
	} {
		res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"]}`, rfc(from), rfc(from.Add(c.span)))
		require.Equal(t, c.want, res.Interval, "range of %s", c.span)
	}
}

func TestSpecZeroFilledBuckets(t *testing.T) {
	h := newHand(t, nil)
	const q = `{"metrics": ["tickets", "ticket_conversion_rate", "attributed_revenue", "csat", "first_response_seconds_p50"], "groupBy": ["time"], "interval": "day"}`
	// Nothing at all: one total series, counts 0, ratios and percentiles nil, on every bucket.
	res := h.metrics(q, mar10, "2026-03-13T00:00:00Z")
	require.Len(t, res.Groups, 1)
	require.Equal(t, []float64{0, 0, 0}, hFloats(h.series(res, "tickets")))
	require.Equal(t, []float64{0, 0, 0}, hFloats(h.series(res, "attributed_revenue")))
	require.Equal(t, []float64{-1, -1, -1}, hFloats(h.series(res, "ticket_conversion_rate")))
	require.Equal(t, []float64{-1, -1, -1}, hFloats(h.series(res, "csat")))
	require.Equal(t, []float64{-1, -1, -1}, hFloats(h.series(res, "first_response_seconds_p50")))

	// One unconverted ticket on the first day: 1, 0, 0 tickets; conversion 0% then nothing.
	h.tickets(hTicket{ID: "T1", Customer: "c", Created: "2026-03-10T12:00:00Z"})
	res = h.metrics(q, mar10, "2026-03-13T00:00:00Z")
	require.Equal(t, []float64{1, 0, 0}, hFloats(h.series(res, "tickets")))
	require.Equal(t, []float64{0, -1, -1}, hFloats(h.series(res, "ticket_conversion_rate")))
}

func TestSpecCompare(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "A", Customer: "c", Created: "2026-03-08T10:00:00Z", Closed: "2026-03-08T11:00:00Z", Agent: "bob"},
		hTicket{ID: "B", Customer: "c", Created: "2026-03-09T10:00:00Z", Closed: "2026-03-09T11:00:00Z", Agent: "bob"},
		hTicket{ID: "C", Customer: "c", Created: "2026-03-09T11:00:00Z", Closed: "2026-03-09T12:00:00Z", Agent: "carol"},
		hTicket{ID: "D", Customer: "c", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-10T11:00:00Z", Agent: "alice"},
		hTicket{ID: "E", Customer: "c", Created: "2026-03-10T11:00:00Z", Closed: "2026-03-10T12:00:00Z", Agent: "bob"},
		hTicket{ID: "F", Customer: "c", Created: "2026-03-10T12:00:00Z", Closed: "2026-03-10T13:00:00Z", Agent: "bob"},
		hTicket{ID: "G", Customer: "c", Created: "2026-03-11T12:00:00Z", Closed: "2026-03-11T13:00:00Z", Agent: "bob"},
		hTicket{ID: "Y", Customer: "c", Created: "2025-03-10T12:00:00Z", Closed: "2025-03-10T13:00:00Z", Agent: "bob"},
	)
	const from, to = mar10, "2026-03-12T00:00:00Z"
	// Current [03-10, 03-12): D, E, F on the 10th, G on the 11th. Previous period [03-08, 03-10): A on
	// the 8th, B, C on the 9th. Previous year [2025-03-10, 2025-03-12): Y on the 10th.
	res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "day", "compare": "previous_period"}`, from, to)
	require.Equal(t, "previous_period", res.Compare)
	require.Equal(t, []float64{3, 1}, hFloats(h.series(res, "tickets")))
	require.Equal(t, []float64{1, 2}, hFloats(res.Groups[0].Previous[0]))

	res = h.metrics(`{"metrics": ["tickets"], "compare": "previous_period"}`, from, to)
	h.approx(4, h.value(res, "tickets"), "current")
	h.approx(3, h.previous(res, "tickets"), "previous period")

	res = h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "day", "compare": "previous_year"}`, from, to)
	require.Equal(t, []float64{1, 0}, hFloats(res.Groups[0].Previous[0]))

	// By agent: bob has 3 now (E, F, G) and 2 before (A, B); alice has 1 now (D) and none before: 0,
	// a count of nothing, not a missing value; carol (C) only before, so no current row.
	res = h.metrics(`{"metrics": ["tickets", "closed_tickets"], "groupBy": ["agent"], "compare": "previous_period"}`, from, to)
	require.Equal(t, [][]string{{"alice"}, {"bob"}}, hGroupLabels(res))
	h.approx(3, h.value(res, "tickets", "bob"), "bob")
	h.approx(2, h.previous(res, "tickets", "bob"), "bob previous")
	h.approx(1, h.value(res, "tickets", "alice"), "alice")
	h.approx(0, h.previous(res, "tickets", "alice"), "alice previous")
	h.approx(0, h.previous(res, "closed_tickets", "alice"), "alice previous closed")
	res = h.metrics(`{"metrics": ["tickets", "ticket_conversion_rate"], "groupBy": ["agent"], "compare": "previous_period"}`, from, to)
	h.approx(0, h.value(res, "ticket_conversion_rate", "alice"), "alice: D not converted")
	h.none(h.previous(res, "ticket_conversion_rate", "alice"), "alice previous: no tickets to divide by")
	h.approx(0, h.previous(res, "ticket_conversion_rate", "bob"), "bob previous: A, B not converted")
}

// Each bucket is compared with the same stretch of time shifted back, not with the calendar bucket of
// the same rank in the compared range.
func TestSpecCompareCalendarBuckets(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "J0", Customer: "c", Created: "2026-01-28T10:00:00Z"}, // before the previous period
		hTicket{ID: "J1", Customer: "c", Created: "2026-01-30T10:00:00Z"},
		hTicket{ID: "F1", Customer: "c", Created: "2026-02-10T10:00:00Z"},
		hTicket{ID: "F2", Customer: "c", Created: "2026-02-11T10:00:00Z"},
		hTicket{ID: "M1", Customer: "c", Created: "2026-03-10T10:00:00Z"},
		hTicket{ID: "L1", Customer: "c", Created: "2024-02-10T10:00:00Z"},
		hTicket{ID: "L2", Customer: "c", Created: "2024-02-29T10:00:00Z"},
		hTicket{ID: "L3", Customer: "c", Created: "2025-02-20T10:00:00Z"},
	)
	// March 2026 by month, previous period = the 31 days before = [01-29, 03-01): J1, F1, F2 = 3, all
	// compared with the March bucket (the January bucket of that range only holds 01-29..01-31).
	res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "month", "compare": "previous_period"}`, mar1, apr1)
	require.Equal(t, []float64{1}, hFloats(h.series(res, "tickets")))
	require.Equal(t, []float64{3}, hFloats(res.Groups[0].Previous[0]))
	res = h.metrics(`{"metrics": ["tickets"], "compare": "previous_period"}`, mar1, apr1)
	h.approx(3, h.previous(res, "tickets"), "same without time")

	// February 2025 against February 2024, a leap month: L1 and L2 (29th) both compare with it.
	res = h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "month", "compare": "previous_year"}`,
		"2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z")
	require.Equal(t, []float64{1}, hFloats(h.series(res, "tickets")))
	require.Equal(t, []float64{2}, hFloats(res.Groups[0].Previous[0]))
}
