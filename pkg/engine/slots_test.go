package engine_test

// The order aggregates summed by PostgreSQL per 15-minute slot (slots.go) against the same queries
// computed from the orders in Go (engine.RowsOnly): on the demo store, with and without
// exchange_rates, every result must be identical, notices included. Then a hand-computed fixture.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// slotsRead is what Executed says of a slot read (slots.go), and rowsRead of a read of the orders
// (with the reads listed in order, order history and customers come first).
const (
	slotsRead = "summed by PostgreSQL per 15m0s slot"
	rowsRead  = "orders ["
)

// Which path slotCheck expects the slot engine to take.
const (
	viaSlots = "slots"
	viaRows  = "rows"
)

type slotRange struct{ from, to time.Time }

// slotRanges: aligned and unaligned to 15 minutes and to days, across the DST changes of 2026 (US 8
// March and 1 November, EU 29 March, Lord Howe's half hour on 5 April), short and a year long.
func slotRanges() []slotRange {
	end := demo.DefaultEnd
	at := func(s string) time.Time { return ts(s) }
	return []slotRange{
		{end.AddDate(0, 0, -30), end},
		{end.AddDate(0, 0, -30).Add(-7*time.Minute - 13*time.Second), end.Add(-time.Hour - 2*time.Minute - 500*time.Millisecond)},
		{at("2026-03-01T00:00:00Z"), at("2026-04-10T00:00:00Z")},
		{at("2026-10-25T03:17:00Z"), at("2026-11-03T11:41:00Z")},
		{at("2026-11-01T00:00:00Z"), at("2026-11-02T12:00:00Z")},
		{end.AddDate(0, 0, -365), end},
		{at("2026-06-15T09:07:30Z"), at("2026-06-15T13:52:00Z")},
		{end.AddDate(0, 0, -90).Add(-10 * time.Minute), end},
		{end.AddDate(0, 0, -200), end.Add(-45 * time.Minute)},
	}
}

var (
	slotZones = []string{"UTC", "Asia/Kathmandu", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe",
		"Europe/Paris", "America/St_Johns"}
	slotMetrics = [][]string{{"revenue"}, {"orders"}, {"average_order_value"}, {"revenue", "orders", "average_order_value"},
		{"average_order_value", "revenue"}}
	slotGroupBys = [][]string{{}, {"time"}, {"project"}, {"currency"}, {"time", "project"}, {"currency", "time"},
		{"project", "currency"}, {"project", "time"}}
	slotFilters = []map[string][]string{{}, {"projects": {"aurora-shop"}}, {"projects": {"boreal-outdoor", "cobalt-kids", "nowhere"}},
		{"currencies": {"EUR"}}, {"currencies": {"USD", "GBP"}, "projects": {"cobalt-kids"}}}
	slotAdhoc = [][]map[string]any{{}, {{"key": "project", "operator": "!=", "value": "aurora-shop"}},
		{{"key": "currency", "operator": "=", "value": "EUR"}},
		{{"key": "currencies", "operator": "!=|", "values": []string{"EUR", "GBP"}}, {"key": "projects", "operator": "=|", "values": []string{"aurora-shop", "cobalt-kids"}}},
		{{"key": "agent", "operator": "=", "value": "alice"}},       // not applied to order metrics: an info notice
		{{"key": "project", "operator": "=~", "value": "aurora.*"}}} // an operator the engine does not apply: a notice
	slotCompares = []string{"none", "previous_period", "previous_year"}
)

// slotQuery draws a query the slot path answers.
func slotQuery(rng *rand.Rand, days float64) string {
	intervals := []string{"day", "week", "month", "auto"}
	if days <= 40 {
		intervals = append(intervals, "hour")
	}
	q := map[string]any{
		"metrics":  slotMetrics[rng.IntN(len(slotMetrics))],
		"groupBy":  slotGroupBys[rng.IntN(len(slotGroupBys))],
		"interval": intervals[rng.IntN(len(intervals))],
		"timezone": slotZones[rng.IntN(len(slotZones))],
		"filters":  slotFilters[rng.IntN(len(slotFilters))],
		"compare":  slotCompares[rng.IntN(len(slotCompares))],
	}
	if a := slotAdhoc[rng.IntN(len(slotAdhoc))]; len(a) > 0 {
		q["adhocFilters"] = a
	}
	js, _ := json.Marshal(q)
	return string(js)
}

// slotExtraOrders adds to the demo store what it lacks: orders exactly on 15-minute and range
// boundaries, a currency without any rate (GBP), orders without project, and orders of 1971-1973 for
// the zone that was not a whole number of quarter hours from UTC then (Africa/Monrovia, -0:44:30 until
// 7 January 1972), where the slots cannot always be used.
func slotExtraOrders(t *testing.T, db *pgtest.DB) {
	t.Helper()
	db.Exec(t, `INSERT INTO orders (id, customer_key, created_at, status, total, currency, project)
SELECT 'edge-' || i || '-' || k, 'edge-c' || (i % 7), ts, CASE WHEN i % 11 = 0 THEN 'cancelled' ELSE 'paid' END,
       (i % 97) + 0.0049 * (i % 3), (ARRAY['USD', 'EUR', 'GBP'])[1 + i % 3],
       (ARRAY['aurora-shop', 'cobalt-kids', NULL])[1 + (i / 3) % 3]
FROM (SELECT i, k, ts FROM generate_series(1, 400) i,
      LATERAL (VALUES (1, TIMESTAMPTZ '2026-11-23 00:00:00+00' - (i * 37) * interval '15 minutes'),
                      (2, TIMESTAMPTZ '2026-11-23 00:00:00+00' - (i * 37) * interval '15 minutes' - interval '1 microsecond')) v(k, ts)) x`)
	for _, at := range []string{"2026-10-24T00:00:00Z", "2026-10-23T23:52:47Z", "2026-10-25T03:17:00Z", "2026-11-03T11:41:00Z",
		"2026-06-15T09:07:30Z", "2026-06-15T09:07:29.999999Z", "2026-06-15T13:52:00Z", "2026-06-15T13:51:59.999999Z",
		"2026-11-22T22:58:00Z", "2026-11-22T22:57:59.5Z", "2026-08-25T00:00:00Z", "2026-08-24T23:50:00Z"} {
		db.Exec(t, `INSERT INTO orders (id, customer_key, created_at, status, total, currency, project)
VALUES ('at-' || $1, 'edge-c1', $1::timestamptz, 'paid', 12.34, 'USD', 'aurora-shop')`, at)
	}
	db.Exec(t, `INSERT INTO orders (id, customer_key, created_at, status, total, currency, project)
SELECT 'old-' || i || '-' || k, 'old-c' || (i % 5), ts, 'paid', 1 + (i % 13) * 0.5, (ARRAY['USD', 'EUR'])[1 + i % 2], 'aurora-shop'
FROM generate_series(1, 3000) i, LATERAL (VALUES (1, TIMESTAMPTZ '1971-06-01 00:00:00+00' + i * interval '7 minutes'),
  (2, TIMESTAMPTZ '1972-06-01 00:00:00+00' + i * interval '7 minutes'), (3, TIMESTAMPTZ '1971-12-27 00:00:00+00' + i * interval '7 minutes'),
  (4, TIMESTAMPTZ '1972-12-27 00:00:00+00' + i * interval '7 minutes')) v(k, ts)`)
}

// summedEngines are the engines the summed-read tests compare: with the summed reads and with rows
// only, each through a read cache as the plugin runs them, and direct as alert rules run them.
func summedEngines(env *testEnv, now time.Time) (cachedSums, cachedRows, direct, directRows *engine.Engine) {
	return env.engine(now).Cached(engine.NewCache(time.Minute, 64)), engine.RowsOnly(env.engine(now)).Cached(engine.NewCache(time.Minute, 64)),
		env.engine(now), engine.RowsOnly(env.engine(now))
}

// sweepSlotRanges calls check perRange times over each of slotRanges (days: the range's length), with
// the engines of summedEngines: those through read caches, and every fourth call the direct ones.
func sweepSlotRanges(cachedSums, cachedRows, direct, directRows *engine.Engine, perRange int,
	check func(sums, rows *engine.Engine, r slotRange, days float64)) {
	n := 0
	for _, r := range slotRanges() {
		days := r.to.Sub(r.from).Hours() / 24
		for range perRange {
			sums, rows := cachedSums, cachedRows
			if n%4 == 3 {
				sums, rows = direct, directRows
			}
			check(sums, rows, r, days)
			n++
		}
	}
}

// slotCheck runs q over r on both engines and requires identical results; via is the path the slot
// engine must report (viaSlots, viaRows, or "" for either).
func slotCheck(t *testing.T, slots, rows *engine.Engine, q string, r slotRange, via string) {
	t.Helper()
	req := engine.Request{Query: parse(t, q), From: r.from, To: r.to}
	name := fmt.Sprintf("%s over [%s, %s)", q, rfc(r.from), rfc(r.to))
	got, err := slots.Metrics(ctx, req)
	require.NoError(t, err, name)
	want, err := rows.Metrics(ctx, req)
	require.NoError(t, err, name)
	require.NotContains(t, want.Executed, slotsRead, name)
	switch via {
	case viaSlots:
		require.Contains(t, got.Executed, slotsRead, name)
	case viaRows:
		require.NotContains(t, got.Executed, slotsRead, name)
	}
	g, w := *got, *want
	g.Executed, w.Executed = "", ""
	// Bucket instants compared as instants and zone names (a *time.Location holds a lookup cache).
	require.Equal(t, slotInstants(w.Times), slotInstants(g.Times), name)
	g.Times, w.Times = nil, nil
	require.Equal(t, w, g, name)
}

// productQuery draws a top_products query the product sums answer.
func productQuery(rng *rand.Rand, names []string) string {
	q := map[string]any{"queryType": "top_products", "sortBy": []string{"revenue", "quantity"}[rng.IntN(2)],
		"limit": []int{1, 5, 10, 1000}[rng.IntN(4)], "filters": slotFilters[rng.IntN(len(slotFilters))]}
	products := [][]map[string]any{{}, {{"key": "product", "operator": "!=|", "values": []string{names[0], "nowhere"}}},
		{{"key": "products", "operator": "=|", "values": []string{names[1], names[2]}}}}
	adhoc := append(slotAdhoc[rng.IntN(len(slotAdhoc))], products[rng.IntN(len(products))]...)
	if len(adhoc) > 0 {
		q["adhocFilters"] = adhoc
	}
	js, _ := json.Marshal(q)
	return string(js)
}

// productCheck runs a top_products query over r on both engines and requires identical tables.
func productCheck(t *testing.T, sums, rows *engine.Engine, q string, r slotRange, via string) {
	t.Helper()
	req := engine.Request{Query: parse(t, q), From: r.from, To: r.to}
	name := fmt.Sprintf("%s over [%s, %s)", q, rfc(r.from), rfc(r.to))
	got, err := sums.TopProducts(ctx, req)
	require.NoError(t, err, name)
	want, err := rows.TopProducts(ctx, req)
	require.NoError(t, err, name)
	require.NotContains(t, want.Executed, "summed by PostgreSQL per product", name)
	switch via {
	case viaSlots:
		require.Contains(t, got.Executed, "summed by PostgreSQL per product", name)
	case viaRows:
		require.NotContains(t, got.Executed, "summed by PostgreSQL per product", name)
	}
	g, w := *got, *want
	g.Executed, w.Executed = "", ""
	require.Equal(t, w, g, name)
}

func slotInstants(times []time.Time) []string {
	out := make([]string, len(times))
	for i, t := range times {
		out[i] = t.Format(time.RFC3339Nano) + " " + t.Location().String()
	}
	return out
}

func TestOrderSlotsMatchTheRows(t *testing.T) {
	now := demo.DefaultEnd.Add(time.Hour)
	for _, rates := range []bool{true, false} {
		t.Run(fmt.Sprintf("exchange_rates=%v", rates), func(t *testing.T) {
			db := pgtest.Start(t).NewDatabase(t)
			_, err := demo.Load(ctx, db.AdminPool, db.AdminPool, demo.Options{NoRates: !rates})
			require.NoError(t, err)
			slotExtraOrders(t, db)
			if rates {
				// Days without a rate: their EUR orders are left out with a notice.
				db.Exec(t, `DELETE FROM exchange_rates WHERE extract(day FROM day)::int % 9 = 0`)
			} else {
				db.Exec(t, `DROP TABLE exchange_rates`)
			}
			db.GrantRead(t, "public")
			env := envOn(t, db, nil)
			cachedSlots, cachedRows, direct, directRows := summedEngines(env, now)
			rng := rand.New(rand.NewPCG(11, map[bool]uint64{true: 1, false: 2}[rates]))
			sweepSlotRanges(cachedSlots, cachedRows, direct, directRows, 14, func(slots, rows *engine.Engine, r slotRange, days float64) {
				slotCheck(t, slots, rows, slotQuery(rng, days), r, viaSlots)
			})
			// The same query as the e-commerce dashboard's panels, in a zone at +5:45.
			for _, q := range []string{
				`{"metrics": ["revenue"], "compare": "previous_period", "timezone": "Asia/Kathmandu"}`,
				`{"metrics": ["revenue"], "groupBy": ["time"], "interval": "day", "compare": "previous_period", "timezone": "Asia/Kathmandu"}`,
				`{"metrics": ["revenue"], "groupBy": ["time"], "interval": "month", "timezone": "Asia/Kathmandu"}`,
				`{"metrics": ["orders"], "compare": "previous_year", "groupBy": ["time", "currency"], "interval": "week", "timezone": "America/New_York"}`,
			} {
				for _, r := range slotRanges() {
					slotCheck(t, cachedSlots, cachedRows, q, r, viaSlots)
				}
			}
			// Monrovia, 1971: local midnight is 00:44:30 UTC, off the slots' grid: the orders are read.
			monrovia := slotRange{ts("1971-06-01T00:00:00Z"), ts("1971-06-08T00:00:00Z")}
			slotCheck(t, cachedSlots, cachedRows, `{"metrics": ["revenue", "orders"], "groupBy": ["time"], "interval": "day", "timezone": "Africa/Monrovia"}`,
				monrovia, viaRows)
			// June 1972 is on the grid (GMT). Compared with June 1971 a year before, the previous range's
			// slots start 14:30 past the quarter hours, which the shift puts on the grid.
			q := `{"metrics": ["revenue"], "groupBy": ["time"], "interval": "hour", "compare": "previous_year", "timezone": "Africa/Monrovia"}`
			june := slotRange{ts("1972-06-01T00:00:00Z"), ts("1972-06-03T00:00:00Z")}
			slotCheck(t, cachedSlots, cachedRows, q, june, viaSlots)
			res, err := cachedSlots.Metrics(ctx, engine.Request{Query: parse(t, q), From: june.from, To: june.to})
			require.NoError(t, err)
			// With a read cache the range is read in pieces (the grid cells it covers whole, and its ends).
			require.Contains(t, res.Executed, "orders [1971-06-01T00:44:30Z, 1971-06-01T00:45:00Z) summed by PostgreSQL")
			require.Contains(t, res.Executed, "orders [1971-06-03T00:40:00Z, 1971-06-03T00:44:30Z) summed by PostgreSQL")
			// Compared a year back across 7 January 1972, when Monrovia moved to GMT: one phase cannot fit
			// both sides of the change, a slot straddles two hours, and the previous year is read as orders.
			newYear := slotRange{ts("1972-12-31T00:00:00Z"), ts("1973-01-08T00:00:00Z")}
			slotCheck(t, cachedSlots, cachedRows, q, newYear, viaSlots)
			res, err = cachedSlots.Metrics(ctx, engine.Request{Query: parse(t, q), From: newYear.from, To: newYear.to})
			require.NoError(t, err)
			require.Contains(t, res.Executed, "orders [1972-12-31T00:00:00Z, 1972-12-31T00:16:00Z) summed by PostgreSQL")
			require.Contains(t, res.Executed, "orders [1972-12-31T00:16:00Z, 1973-01-08T00:00:00Z) summed by PostgreSQL")
			require.Contains(t, res.Executed, "orders [1971-12-28T00:", "the previous year read as orders (from a window before it, on the read grid)")
			require.NotContains(t, res.Executed, "1972-01-08T00:00:00Z) summed", "the previous year read as orders")
			// Without a time grouping, any zone sums slots.
			slotCheck(t, cachedSlots, cachedRows, `{"metrics": ["revenue"], "compare": "previous_year", "timezone": "Africa/Monrovia"}`,
				newYear, viaSlots)
			// Top products: the lines summed per product by PostgreSQL against the lines read; filtered
			// on three of the best sellers.
			var names []string
			rows, err := db.AdminPool.Query(ctx, `SELECT product_name FROM order_lines GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3`)
			require.NoError(t, err)
			for rows.Next() {
				var name string
				require.NoError(t, rows.Scan(&name))
				names = append(names, name)
			}
			require.NoError(t, rows.Err())
			require.Len(t, names, 3)
			for _, r := range slotRanges() {
				for range 4 {
					productCheck(t, cachedSlots, cachedRows, productQuery(rng, names), r, viaSlots)
				}
			}
			productCheck(t, cachedSlots, cachedRows, `{"queryType": "top_products", "filters": {"segments": ["vip"]}}`, slotRanges()[0], viaRows)
			productCheck(t, direct, directRows, `{"queryType": "top_products", "limit": 100}`, slotRanges()[1], viaSlots)
		})
	}
}

// TestOrderSlotsNotUsed: what the slot path does not answer still reads the orders.
func TestOrderSlotsNotUsed(t *testing.T) {
	h := newHand(t, nil)
	ordersFixture(h)
	for _, q := range []string{
		`{"metrics": ["revenue", "new_customers"]}`,
		`{"metrics": ["revenue"], "groupBy": ["customer_type"]}`,
		`{"metrics": ["orders"], "filters": {"segments": ["vip"]}}`,
		`{"metrics": ["average_order_value"], "adhocFilters": [{"key": "customer_type", "operator": "=", "value": "new"}]}`,
		`{"metrics": ["items_sold"]}`,
	} {
		res := h.metrics(q, mar1, apr1)
		require.NotContains(t, res.Executed, slotsRead, q)
		require.Contains(t, res.Executed, rowsRead, q)
	}
}

// TestOrderSlotsByHand: Kathmandu is 5:45 ahead of UTC, so its days start at 18:15 UTC. Range
// [2026-03-09T18:10Z, 2026-03-11T18:15Z): 9 March 23:55 to 12 March 00:00 local, which cuts the 9 March
// bucket; exchange_rates has EUR at 1.1 on 10 March only.
//
//	A 03-09T18:14:59.999999Z USD 10.00 shop      local 9 March 23:59:59  -> 9 March
//	B 03-09T18:15:00Z        USD 20.00 shop      local 10 March 00:00    -> 10 March
//	C 03-10T05:00:00Z        EUR 10.00 outlet    x 1.1 = 11.00           -> 10 March
//	D 03-10T05:05:00Z        EUR  1.2345 outlet  x 1.1 = 1.35795, rounded half away from zero to 1.3580 -> 10 March
//	G 03-10T18:14:00Z        USD  7.00 shop      local 10 March 23:59    -> 10 March
//	E 03-11T12:00:00Z        GBP 50.00 shop      no rate: left out, with a notice
//	F 03-11T12:00:00Z        USD  5.00 cancelled not eligible
//	I 03-11T18:14:59Z        USD  2.50 shop      local 11 March 23:59:59 -> 11 March
//	J 03-11T18:15:00Z        USD 1000 shop       at the range's end: out
//
// Revenue: 9 March 10.00 (1 order); 10 March 20 + 11 + 1.358 + 7 = 39.358 (4); 11 March 2.50 (1); in
// all 51.858 over 6 orders, AOV 8.643. By project: outlet 12.358 (2), shop 39.50 (4).
//
// The previous period is the 2 days 5 minutes before: [03-07T18:05Z, 03-09T18:10Z), shifted forward by
// 2 days 5 minutes, so its slots start at 10, 25, 40 and 55 minutes past the hour (phase 10 minutes):
//
//	L 03-07T18:05:00Z USD   0.10 shop   at the previous start; shifted 03-09T18:10Z -> 9 March
//	H 03-09T10:00:00Z USD 100.00 shop   shifted 03-11T10:05Z                       -> 11 March
//	K 03-09T18:09:00Z USD   4.00 shop   shifted 03-11T18:14Z, local 23:59          -> 11 March
//
// Previous: 9 March 0.10 (1), 10 March 0, 11 March 104.00 (2); in all 104.10 over 3 orders.
func TestOrderSlotsByHand(t *testing.T) {
	h := newHand(t, nil)
	h.rate("EUR", "2026-03-10", "1.1")
	h.orders(
		hOrder{ID: "A", Customer: "a", Created: "2026-03-09T18:14:59.999999Z", Total: "10.00"},
		hOrder{ID: "B", Customer: "b", Created: "2026-03-09T18:15:00Z", Total: "20.00"},
		hOrder{ID: "C", Customer: "c", Created: "2026-03-10T05:00:00Z", Total: "10.00", Currency: "EUR", Project: "outlet"},
		hOrder{ID: "D", Customer: "d", Created: "2026-03-10T05:05:00Z", Total: "1.2345", Currency: "EUR", Project: "outlet"},
		hOrder{ID: "G", Customer: "g", Created: "2026-03-10T18:14:00Z", Total: "7.00"},
		hOrder{ID: "E", Customer: "e", Created: "2026-03-11T12:00:00Z", Total: "50.00", Currency: "GBP"},
		hOrder{ID: "F", Customer: "f", Created: "2026-03-11T12:00:00Z", Total: "5.00", Status: "cancelled"},
		hOrder{ID: "I", Customer: "i", Created: "2026-03-11T18:14:59Z", Total: "2.50"},
		hOrder{ID: "J", Customer: "j", Created: "2026-03-11T18:15:00Z", Total: "1000.00"},
		hOrder{ID: "L", Customer: "l", Created: "2026-03-07T18:05:00Z", Total: "0.10"},
		hOrder{ID: "H", Customer: "h", Created: "2026-03-09T10:00:00Z", Total: "100.00"},
		hOrder{ID: "K", Customer: "k", Created: "2026-03-09T18:09:00Z", Total: "4.00"},
	)
	const from, to = "2026-03-09T18:10:00Z", "2026-03-11T18:15:00Z"
	const notice = "1 order in a currency other than USD left out: GBP (1); exchange_rates has no rate for their day"

	res := h.metrics(`{"metrics": ["revenue", "orders", "average_order_value"], "compare": "previous_period", "timezone": "Asia/Kathmandu"}`, from, to)
	require.Contains(t, res.Executed, slotsRead)
	h.exact(51.858, h.value(res, "revenue"), "revenue")
	h.approx(6, h.value(res, "orders"), "orders")
	h.approx(51.858/6, h.value(res, "average_order_value"), "average order value")
	h.exact(104.10, h.previous(res, "revenue"), "previous revenue")
	h.approx(3, h.previous(res, "orders"), "previous orders")
	require.Equal(t, []string{notice}, res.Notices)

	res = h.metrics(`{"metrics": ["revenue", "orders"], "groupBy": ["time"], "interval": "day", "compare": "previous_period", "timezone": "Asia/Kathmandu"}`, from, to)
	require.Contains(t, res.Executed, slotsRead)
	kathmandu, err := time.LoadLocation("Asia/Kathmandu")
	require.NoError(t, err)
	require.Equal(t, slotInstants([]time.Time{ts(from).In(kathmandu), ts("2026-03-09T18:15:00Z").In(kathmandu), ts("2026-03-10T18:15:00Z").In(kathmandu)}),
		slotInstants(res.Times), "the cut first day is drawn at the range's start")
	require.Equal(t, []float64{10, 39.358, 2.50}, hFloats(h.series(res, "revenue")))
	require.Equal(t, []float64{1, 4, 1}, hFloats(h.series(res, "orders")))
	g := h.group(res)
	require.Equal(t, []float64{0.10, 0, 104}, hFloats(g.Previous[h.metricIndex(res, "revenue")]))
	require.Equal(t, []float64{1, 0, 2}, hFloats(g.Previous[h.metricIndex(res, "orders")]))
	require.Equal(t, []string{notice}, res.Notices)
	require.Len(t, res.Info, 1)
	require.Contains(t, res.Info[0], "The first day is partial: 9 Mar 2026 counts from the range's start, 9 Mar 2026 23:55")

	res = h.metrics(`{"metrics": ["revenue", "orders"], "groupBy": ["project"], "timezone": "Asia/Kathmandu"}`, from, to)
	require.Contains(t, res.Executed, "per 15m0s slot and project")
	require.Equal(t, [][]string{{"outlet"}, {"shop"}}, hGroupLabels(res))
	h.exact(12.358, h.value(res, "revenue", "outlet"), "outlet: 11 + 1.358")
	h.exact(39.50, h.value(res, "revenue", "shop"), "shop: 10 + 20 + 7 + 2.50")
	h.approx(2, h.value(res, "orders", "outlet"), "outlet orders")

	// Filtered on a currency: only the EUR orders, and the GBP order still in the notice (as the rows
	// path, which tells of every order of the range left out).
	res = h.metrics(`{"metrics": ["revenue"], "filters": {"currencies": ["EUR"]}, "timezone": "Asia/Kathmandu"}`, from, to)
	require.Contains(t, res.Executed, "per 15m0s slot and currency")
	h.exact(12.358, h.value(res, "revenue"), "EUR: 11 + 1.358")
	require.Equal(t, []string{notice}, res.Notices)

	// A currency whose every order is left out makes no group, as with the rows.
	res = h.metrics(`{"metrics": ["orders"], "groupBy": ["currency"]}`, from, to)
	require.Equal(t, [][]string{{"EUR"}, {"USD"}}, hGroupLabels(res))
	require.True(t, strings.HasPrefix(res.Notices[0], "1 order in a currency"))
}

// TestProductSumsByHand: top products from the lines summed by PostgreSQL, on ordersFixture (March
// 2026). The eligible lines in range: O11 A x2 80.00, B x1 20.00; O21 A x3 60.00; O22 C x1 40.00; O31
// B x1 25.50; O61 (outlet) C x5 30.00; O71 D x1 600.00. O41's line (EUR, no rate) is left out with its
// order, which the notice tells of.
func TestProductSumsByHand(t *testing.T) {
	h := newHand(t, nil)
	ordersFixture(h)
	const summed = "summed by PostgreSQL per product"
	tab, err := h.engine(h.now).TopProducts(ctx, h.request(`{"queryType": "top_products", "filters": {"projects": ["outlet"]}}`, mar1, apr1))
	require.NoError(t, err)
	require.Contains(t, tab.Executed, summed+" and project")
	require.Equal(t, []string{"C"}, h.column(tab, "product_id"))
	require.Equal(t, []string{"Gamma Pot"}, h.column(tab, "product"))
	require.Equal(t, []float64{30}, h.column(tab, "revenue"))
	require.Equal(t, []int64{5}, h.column(tab, "quantity"))
	require.Equal(t, []float64{100}, h.column(tab, "revenue_share"))
	require.Len(t, tab.Notices, 1)
	require.Contains(t, tab.Notices[0], "EUR (1)")

	// Without Alpha Mug (A), by quantity: C 40 + 30 = 70.00 (6), B 20 + 25.50 = 45.50 (2), D 600.00 (1);
	// totals 715.50 and 9.
	tab, err = h.engine(h.now).TopProducts(ctx, h.request(`{"queryType": "top_products", "sortBy": "quantity",
		"adhocFilters": [{"key": "product", "operator": "!=", "value": "Alpha Mug"}]}`, mar1, apr1))
	require.NoError(t, err)
	require.Contains(t, tab.Executed, summed)
	require.Equal(t, []string{"C", "B", "D"}, h.column(tab, "product_id"))
	require.Equal(t, []float64{70, 45.50, 600}, h.column(tab, "revenue"))
	require.Equal(t, []int64{6, 2, 1}, h.column(tab, "quantity"))
	for i, want := range []float64{6.0 / 9 * 100, 2.0 / 9 * 100, 1.0 / 9 * 100} {
		require.InDelta(t, want, h.column(tab, "quantity_share").([]float64)[i], 1e-9)
	}

	// Only EUR orders: the one EUR line has no rate, so no product.
	tab, err = h.engine(h.now).TopProducts(ctx, h.request(`{"queryType": "top_products", "filters": {"currencies": ["EUR"]}}`, mar1, apr1))
	require.NoError(t, err)
	require.Contains(t, tab.Executed, summed+" and currency")
	require.Empty(t, h.column(tab, "product_id"))

	// customer_type needs each customer's history: the lines are read.
	tab, err = h.engine(h.now).TopProducts(ctx, h.request(`{"queryType": "top_products", "filters": {"customer_types": ["new"]}}`, mar1, apr1))
	require.NoError(t, err)
	require.NotContains(t, tab.Executed, summed)
	require.Contains(t, tab.Executed, "order_lines of those orders")
}
