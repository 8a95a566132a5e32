package engine_test

// Hand-computed tests of the orders family (SPEC 5.5), top_products and retention.

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// ordersFixture: March 2026 (UTC) orders of seven customers, with their lines.
//
//	c1: 02-10 50.00 (before the range), O11 03-05 100.00 (returning)   lines A x2 80.00, B x1 20.00
//	c2: O21 03-06 60.00 (new), O22 03-20 40.00 (returning)              lines A x3 60.00 / C x1 40.00
//	c3: 02-15 999.00 cancelled (not eligible), O31 03-10 25.50 (new)    line B x1 25.50
//	c4: O41 03-12 10.00 EUR (no rate: left out)                         line A x7 10.00
//	c5: O51 04-02 70.00 (after the range)                               line C x9 70.00
//	c6: O61 03-15 30.00 project outlet (new)                            line C x5 30.00
//	c7: O71 03-18 600.00 (new, and VIP by spend as of this order)       line D x1 600.00
func ordersFixture(h *hand) {
	h.orders(
		hOrder{ID: "O10", Customer: "c1", Created: "2026-02-10T10:00:00Z", Total: "50.00"},
		hOrder{ID: "O11", Customer: "c1", Created: "2026-03-05T10:00:00Z", Total: "100.00"},
		hOrder{ID: "O21", Customer: "c2", Created: "2026-03-06T10:00:00Z", Total: "60.00"},
		hOrder{ID: "O22", Customer: "c2", Created: "2026-03-20T10:00:00Z", Total: "40.00"},
		hOrder{ID: "O30", Customer: "c3", Created: "2026-02-15T10:00:00Z", Total: "999.00", Status: "cancelled"},
		hOrder{ID: "O31", Customer: "c3", Created: "2026-03-10T10:00:00Z", Total: "25.50"},
		hOrder{ID: "O41", Customer: "c4", Created: "2026-03-12T10:00:00Z", Total: "10.00", Currency: "EUR"},
		hOrder{ID: "O51", Customer: "c5", Created: "2026-04-02T10:00:00Z", Total: "70.00"},
		hOrder{ID: "O61", Customer: "c6", Created: "2026-03-15T10:00:00Z", Total: "30.00", Project: "outlet"},
		hOrder{ID: "O71", Customer: "c7", Created: "2026-03-18T10:00:00Z", Total: "600.00"},
	)
	h.lines(
		hLine{"O10", "A", "Alpha Mug", 1, "50.00"},
		hLine{"O11", "A", "Alpha Mug", 2, "80.00"},
		hLine{"O11", "B", "Beta Tea", 1, "20.00"},
		hLine{"O21", "A", "Alpha Mug", 3, "60.00"},
		hLine{"O22", "C", "Gamma Pot", 1, "40.00"},
		hLine{"O30", "A", "Alpha Mug", 50, "999.00"},
		hLine{"O31", "B", "Beta Tea", 1, "25.50"},
		hLine{"O41", "A", "Alpha Mug", 7, "10.00"},
		hLine{"O51", "C", "Gamma Pot", 9, "70.00"},
		hLine{"O61", "C", "Gamma Pot", 5, "30.00"},
		hLine{"O71", "D", "Delta Lamp", 1, "600.00"},
	)
}

func TestSpecOrdersFamily(t *testing.T) {
	h := newHand(t, nil)
	ordersFixture(h)
	const all = `"metrics": ["revenue", "orders", "average_order_value", "items_sold", "ordering_customers", "new_customers",
		"new_customer_revenue", "returning_customer_revenue", "new_customer_revenue_share"]`
	res := h.metrics(`{`+all+`}`, mar1, apr1)
	// Eligible in range: O11 100, O21 60, O22 40, O31 25.50, O61 30, O71 600 = 855.50 over 6 orders.
	// New (first eligible order ever): O21, O31, O61, O71 = 715.50; returning O11, O22 = 140.00.
	// Items: 2 + 1 + 3 + 1 + 1 + 5 + 1 = 14. Customers: c1, c2, c3, c6, c7.
	h.expectAll(res, map[string]float64{
		"orders": 6, "average_order_value": 855.50 / 6, "items_sold": 14, "ordering_customers": 5, "new_customers": 4,
		"new_customer_revenue_share": 715.50 / 855.50 * 100,
	})
	h.exact(855.50, h.value(res, "revenue"), "revenue")
	h.exact(715.50, h.value(res, "new_customer_revenue"), "new_customer_revenue")
	h.exact(140.00, h.value(res, "returning_customer_revenue"), "returning_customer_revenue")
	require.Len(t, res.Notices, 1)
	require.Contains(t, res.Notices[0], "1 order in a currency")
	require.Contains(t, res.Notices[0], "EUR (1)")

	res = h.metrics(`{"metrics": ["revenue", "orders"], "groupBy": ["customer_type"]}`, mar1, apr1)
	require.Equal(t, [][]string{{"new"}, {"returning"}}, hGroupLabels(res))
	h.expectAll(res, map[string]float64{"revenue": 715.50, "orders": 4}, "new")
	h.expectAll(res, map[string]float64{"revenue": 140, "orders": 2}, "returning")

	res = h.metrics(`{"metrics": ["revenue"], "groupBy": ["project"]}`, mar1, apr1)
	require.Equal(t, [][]string{{"outlet"}, {"shop"}}, hGroupLabels(res))
	h.exact(30, h.value(res, "revenue", "outlet"), "outlet")
	h.exact(825.50, h.value(res, "revenue", "shop"), "shop: 100 + 60 + 40 + 25.50 + 600")

	res = h.metrics(`{"metrics": ["items_sold"], "groupBy": ["product"]}`, mar1, apr1)
	require.Equal(t, [][]string{{"Alpha Mug"}, {"Beta Tea"}, {"Delta Lamp"}, {"Gamma Pot"}}, hGroupLabels(res))
	h.approx(5, h.value(res, "items_sold", "Alpha Mug"), "A: 2 + 3 (the EUR order's 7 left out)")
	h.approx(2, h.value(res, "items_sold", "Beta Tea"), "B: 1 + 1")
	h.approx(6, h.value(res, "items_sold", "Gamma Pot"), "C: 1 + 5")
	h.approx(1, h.value(res, "items_sold", "Delta Lamp"), "D")

	// Segments of orders, as of each order with itself counted: O21, O31, O61 new buyers; O11 (2nd of
	// c1), O22 returning; O71 vip (600.00 >= vipMinSpent 500).
	res = h.metrics(`{"metrics": ["revenue", "orders"], "groupBy": ["segment"]}`, mar1, apr1)
	require.Equal(t, [][]string{{"new_buyer"}, {"returning"}, {"vip"}}, hGroupLabels(res))
	h.expectAll(res, map[string]float64{"revenue": 115.50, "orders": 3}, "new_buyer")
	h.expectAll(res, map[string]float64{"revenue": 140, "orders": 2}, "returning")
	h.expectAll(res, map[string]float64{"revenue": 600, "orders": 1}, "vip")

	// new_customers of a range that starts after c1's first order: c1 is not new on 03-05.
	res = h.metrics(`{"metrics": ["new_customers", "ordering_customers"]}`, "2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z")
	h.expectAll(res, map[string]float64{"new_customers": 0, "ordering_customers": 1})

	res = h.metrics(`{"metrics": ["revenue"], "filters": {"customer_types": ["returning"], "projects": ["shop"]}}`, mar1, apr1)
	h.exact(140, h.value(res, "revenue"), "returning in shop")
}

func TestSpecOrdersByCurrency(t *testing.T) {
	h := newHand(t, nil)
	ordersFixture(h)
	h.rate("EUR", "2026-03-12", "1.1")
	// O41: 10.00 EUR x 1.1 = 11.00 USD; its currency dimension is still EUR. No notice.
	res := h.metrics(`{"metrics": ["revenue", "orders"], "groupBy": ["currency"]}`, mar1, apr1)
	require.Equal(t, [][]string{{"EUR"}, {"USD"}}, hGroupLabels(res))
	h.exact(11, h.value(res, "revenue", "EUR"), "EUR")
	h.exact(855.50, h.value(res, "revenue", "USD"), "USD")
	require.Empty(t, res.Notices)
	res = h.metrics(`{"metrics": ["items_sold", "new_customers"]}`, mar1, apr1)
	// c4 is new now; its 7 items count.
	h.expectAll(res, map[string]float64{"items_sold": 21, "new_customers": 5})
}

func TestSpecTopProducts(t *testing.T) {
	h := newHand(t, nil)
	ordersFixture(h)
	run := func(q string) (ids []string, revenue []float64, qty []int64, revShare, qtyShare []float64) {
		tab, err := h.engine(h.now).TopProducts(ctx, h.request(q, mar1, apr1))
		require.NoError(t, err)
		return h.column(tab, "product_id").([]string), h.column(tab, "revenue").([]float64), h.column(tab, "quantity").([]int64),
			h.column(tab, "revenue_share").([]float64), h.column(tab, "quantity_share").([]float64)
	}
	// Lines of eligible orders in range: A 80 + 60 = 140.00 (qty 5), B 20 + 25.50 = 45.50 (2),
	// C 40 + 30 = 70.00 (6), D 600.00 (1). Totals 855.50 and 14.
	ids, rev, qty, rs, qs := run(`{"queryType": "top_products"}`)
	require.Equal(t, []string{"D", "A", "C", "B"}, ids)
	require.Equal(t, []float64{600, 140, 70, 45.50}, rev)
	require.Equal(t, []int64{1, 5, 6, 2}, qty)
	for i, want := range []float64{600, 140, 70, 45.50} {
		require.InDelta(t, want/855.50*100, rs[i], 1e-9)
	}
	for i, want := range []float64{1, 5, 6, 2} {
		require.InDelta(t, want/14*100, qs[i], 1e-9)
	}
	ids, _, qty, _, qs = run(`{"queryType": "top_products", "sortBy": "quantity", "limit": 2}`)
	require.Equal(t, []string{"C", "A"}, ids)
	require.Equal(t, []int64{6, 5}, qty)
	require.InDelta(t, 6.0/14*100, qs[0], 1e-9, "share of the total, not of the rows shown")
	// Returning orders only (O11, O22): A 80 (2), C 40 (1), B 20 (1).
	ids, rev, _, rs, _ = run(`{"queryType": "top_products", "filters": {"customer_types": ["returning"]}}`)
	require.Equal(t, []string{"A", "C", "B"}, ids)
	require.Equal(t, []float64{80, 40, 20}, rev)
	require.InDelta(t, 80.0/140*100, rs[0], 1e-9)
}

func TestSpecRetention(t *testing.T) {
	h := newHand(t, nil)
	h.orders(
		hOrder{ID: "r1a", Customer: "r1", Created: "2026-01-05T10:00:00Z", Total: "10"},
		hOrder{ID: "r1b", Customer: "r1", Created: "2026-02-10T10:00:00Z", Total: "10"},
		hOrder{ID: "r1c", Customer: "r1", Created: "2026-04-03T10:00:00Z", Total: "10"},
		hOrder{ID: "r2a", Customer: "r2", Created: "2026-01-20T10:00:00Z", Total: "10"},
		hOrder{ID: "r2b", Customer: "r2", Created: "2026-01-25T10:00:00Z", Total: "10"}, // same month: not a return
		hOrder{ID: "r2c", Customer: "r2", Created: "2026-03-01T10:00:00Z", Total: "10"},
		hOrder{ID: "r3a", Customer: "r3", Created: "2026-02-14T10:00:00Z", Total: "10"},
		hOrder{ID: "r3b", Customer: "r3", Created: "2026-03-14T10:00:00Z", Total: "10"},
		hOrder{ID: "r4a", Customer: "r4", Created: "2025-12-20T10:00:00Z", Total: "10"}, // first order before the range
		hOrder{ID: "r4b", Customer: "r4", Created: "2026-02-01T10:00:00Z", Total: "10"},
		hOrder{ID: "r5a", Customer: "r5", Created: "2026-02-28T10:00:00Z", Total: "10"},
		hOrder{ID: "r5b", Customer: "r5", Created: "2026-03-02T10:00:00Z", Total: "10", Status: "refunded"}, // not eligible
		hOrder{ID: "r6a", Customer: "r6", Created: "2026-04-10T10:00:00Z", Total: "10"},
	)
	tab, err := h.engine(h.now).Retention(ctx, h.request(`{"queryType": "retention", "months": 3}`, "2026-01-01T00:00:00Z", "2026-05-01T00:00:00Z"))
	require.NoError(t, err)
	// Cohorts: Jan {r1, r2}, Feb {r3, r5}, Apr {r6}; r4's first order is before the range; March none.
	// Jan: month 1 (Feb) r1 = 50%, month 2 (Mar) r2 = 50%, month 3 (Apr) r1 = 50%.
	// Feb: month 1 (Mar) r3 = 50% (r5's March order is refunded), month 2 (Apr) 0%, month 3 (May) after the range.
	// Apr: every following month is after the range.
	require.Equal(t, []string{"2026-01", "2026-02", "2026-04"}, h.column(tab, "cohort"))
	require.Equal(t, []int64{2, 2, 1}, h.column(tab, "customers"))
	require.Equal(t, []float64{50, 50, -1}, hFloats(h.column(tab, "month_1").([]*float64)))
	require.Equal(t, []float64{50, 0, -1}, hFloats(h.column(tab, "month_2").([]*float64)))
	require.Equal(t, []float64{50, -1, -1}, hFloats(h.column(tab, "month_3").([]*float64)))
	require.Len(t, tab.Columns, 3+3)
}

// Retention months are months of the report time zone.
func TestSpecRetentionTimeZone(t *testing.T) {
	h := newHand(t, map[string]any{"timezone": "Europe/Paris"})
	h.orders(
		hOrder{ID: "a1", Customer: "a", Created: "2026-01-31T23:30:00Z", Total: "10"}, // 02-01 00:30 in Paris
		hOrder{ID: "a2", Customer: "a", Created: "2026-03-10T10:00:00Z", Total: "10"},
		hOrder{ID: "b1", Customer: "b", Created: "2026-01-15T10:00:00Z", Total: "10"},
		hOrder{ID: "b2", Customer: "b", Created: "2026-02-28T23:30:00Z", Total: "10"}, // 03-01 00:30 in Paris
	)
	tab, err := h.engine(h.now).Retention(ctx, h.request(`{"queryType": "retention", "months": 2}`,
		"2026-01-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"))
	require.NoError(t, err)
	// Jan {b}: month 1 (Feb) none = 0%, month 2 (Mar) b = 100%. Feb {a}: month 1 (Mar) a = 100%, month 2 (Apr) after the range.
	require.Equal(t, []string{"2026-01", "2026-02"}, h.column(tab, "cohort"))
	require.Equal(t, []int64{1, 1}, h.column(tab, "customers"))
	require.Equal(t, []float64{0, 100}, hFloats(h.column(tab, "month_1").([]*float64)))
	require.Equal(t, []float64{100, -1}, hFloats(h.column(tab, "month_2").([]*float64)))
}
