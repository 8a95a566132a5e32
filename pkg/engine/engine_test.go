package engine_test

// Hand-computed tests of the attribution metrics (SPEC 5.2). Each fixture is small and written for
// its case; the expected values are computed by hand in the comments beside it. Run them with
// go test ./pkg/engine -run TestSpec.

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// One UTC day, the range of most attribution cases: [2026-03-10, 2026-03-11).
const (
	mar10 = "2026-03-10T00:00:00Z"
	mar11 = "2026-03-11T00:00:00Z"
)

const attributionMetrics = `"metrics": ["tickets", "closed_tickets", "attributed_orders", "attributed_revenue", "converted_tickets",
	"ticket_conversion_rate", "attributed_average_basket", "conversation_conversion_rate"]`

func TestSpecAttributionWindowEdges(t *testing.T) {
	// One ticket per customer: both models credit the same pairs.
	for _, model := range []string{"last_touch", "first_touch"} {
		t.Run(model, func(t *testing.T) { testWindowEdges(t, model) })
	}
}

func testWindowEdges(t *testing.T, model string) {
	h := newHand(t, map[string]any{"attributionModel": model}) // 72 h window
	h.tickets(
		hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-10T12:00:00Z", Agent: "alice"},
		hTicket{ID: "T2", Customer: "c2", Created: "2026-03-10T15:00:00Z"}, // open, no order
		hTicket{ID: "T3", Customer: "c3", Created: "2026-03-10T16:00:00Z", Closed: "2026-03-10T20:00:00Z", Agent: "bob"},
		// created before the range, closed in it: a closed conversation of the range, not a ticket of it
		hTicket{ID: "T4", Customer: "c4", Created: "2026-03-09T10:00:00Z", Closed: "2026-03-10T08:00:00Z", Agent: "bob"},
	)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Total: "30.10"},   // exactly at creation: counts
		hOrder{ID: "O2", Customer: "c1", Created: "2026-03-13T10:00:00Z", Total: "45.50"},   // creation + 72h: does not
		hOrder{ID: "O3", Customer: "c1", Created: "2026-03-13T09:59:00Z", Total: "19.20"},   // creation + 71h59m: counts
		hOrder{ID: "O4", Customer: "c1", Created: "2026-03-10T09:59:59Z", Total: "100.00"},  // before the ticket: does not
		hOrder{ID: "O5", Customer: "c3", Created: "2026-03-10T15:59:59Z", Total: "7.00"},    // 1 s before T3: does not
		hOrder{ID: "O6", Customer: "c9", Created: "2026-03-10T11:00:00Z", Total: "1000.00"}, // no ticket of c9
	)
	res := h.metrics(`{`+attributionMetrics+`}`, mar10, mar11)
	// Pairs: (T1,O1) 30.10 and (T1,O3) 19.20. Tickets of the range: T1, T2, T3 (3); closed in range: T1, T3, T4 (3).
	h.expectAll(res, map[string]float64{
		"tickets":                      3,
		"closed_tickets":               3,
		"attributed_orders":            2,
		"converted_tickets":            1,         // T1 only
		"ticket_conversion_rate":       100.0 / 3, // 1 / 3 tickets
		"attributed_average_basket":    24.65,     // 49.30 / 2
		"conversation_conversion_rate": 200.0 / 3, // 2 orders / 3 closed tickets
	})
	// 30.10 + 19.20 = 49.30 exactly (float addition of the amounts would give 49.300000000000004).
	h.exact(49.30, h.value(res, "attributed_revenue"), "attributed_revenue")
}

func TestSpecAttributionWindowSetting(t *testing.T) {
	// attributionWindowHours 24, and a query override of 48.
	h := newHand(t, map[string]any{"attributionWindowHours": 24})
	h.tickets(hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T10:00:00Z"})
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-11T09:59:59Z", Total: "10.00"}, // +23h59m59s: in 24h
		hOrder{ID: "O2", Customer: "c1", Created: "2026-03-11T10:00:00Z", Total: "20.00"}, // +24h: out of 24h, in 48h
		hOrder{ID: "O3", Customer: "c1", Created: "2026-03-12T10:00:00Z", Total: "40.00"}, // +48h: out of both
	)
	res := h.metrics(`{"metrics": ["attributed_revenue"]}`, mar10, mar11)
	h.exact(10.00, h.value(res, "attributed_revenue"), "24h window: O1")
	res = h.metrics(`{"metrics": ["attributed_revenue"], "attribution": {"windowHours": 48}}`, mar10, mar11)
	h.exact(30.00, h.value(res, "attributed_revenue"), "48h window: O1 + O2")
}

// Two tickets of one customer before one order: last_touch credits the later, first_touch the
// earlier, from the settings or from the query's attribution.model.
func TestSpecAttributionModels(t *testing.T) {
	fixture := func(h *hand) {
		h.tickets(
			hTicket{ID: "TA", Customer: "c1", Channel: "email", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "alice"},
			hTicket{ID: "TB", Customer: "c1", Channel: "chat", Created: "2026-03-10T14:00:00Z", Closed: "2026-03-10T15:00:00Z", Agent: "bob"},
		)
		h.orders(hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T16:00:00Z", Total: "80.00"})
	}
	const q = `{"metrics": ["tickets", "attributed_revenue", "attributed_orders", "converted_tickets"], "groupBy": ["agent"]%s}`
	cases := []struct {
		name, settingModel, queryPart string
		winner, loser                 string
	}{
		{"last_touch setting", "last_touch", "", "bob", "alice"},
		{"first_touch setting", "first_touch", "", "alice", "bob"},
		{"first_touch query over last_touch setting", "last_touch", `, "attribution": {"model": "first_touch"}`, "alice", "bob"},
		{"last_touch query over first_touch setting", "first_touch", `, "attribution": {"model": "last_touch"}`, "bob", "alice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHand(t, map[string]any{"attributionModel": c.settingModel})
			fixture(h)
			res := h.metrics(fmt.Sprintf(q, c.queryPart), mar10, mar11)
			require.Equal(t, []string{"agent"}, res.Dims)
			require.Len(t, res.Groups, 2)
			// The winner has the one pair: 80.00, 1 order, 1 converted ticket; the loser none.
			h.expectAll(res, map[string]float64{"tickets": 1, "attributed_revenue": 80, "attributed_orders": 1, "converted_tickets": 1}, c.winner)
			h.expectAll(res, map[string]float64{"tickets": 1, "attributed_revenue": 0, "attributed_orders": 0, "converted_tickets": 0}, c.loser)
		})
	}
	t.Run("ticket filters select credited pairs, they do not re-credit", func(t *testing.T) {
		h := newHand(t, nil)
		fixture(h)
		// last_touch credits O1 to TB (chat). Filtering on email keeps TA, which O1 is not credited
		// to: 0.00 and no converted ticket, not 80.00 re-credited to TA.
		res := h.metrics(`{"metrics": ["tickets", "attributed_revenue", "converted_tickets"], "filters": {"channels": ["email"]}}`, mar10, mar11)
		h.expectAll(res, map[string]float64{"tickets": 1, "attributed_revenue": 0, "converted_tickets": 0})
		res = h.metrics(`{"metrics": ["tickets", "attributed_revenue", "converted_tickets"], "filters": {"channels": ["chat"]}}`, mar10, mar11)
		h.expectAll(res, map[string]float64{"tickets": 1, "attributed_revenue": 80, "converted_tickets": 1})
	})
}

// Tickets of one customer created at the same instant: last_touch -> greatest id, first_touch ->
// smallest id.
func TestSpecAttributionTies(t *testing.T) {
	for _, c := range []struct{ model, winner string }{{"last_touch", "bob"}, {"first_touch", "alice"}} {
		t.Run(c.model, func(t *testing.T) {
			h := newHand(t, map[string]any{"attributionModel": c.model})
			h.tickets(
				hTicket{ID: "B1", Customer: "c1", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "bob"},
				hTicket{ID: "A1", Customer: "c1", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "alice"},
			)
			h.orders(hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T12:00:00Z", Total: "50.00"})
			res := h.metrics(`{"metrics": ["attributed_revenue", "tickets"], "groupBy": ["agent"]}`, mar10, mar11)
			// B1 (bob) has the greatest id, A1 (alice) the smallest.
			h.exact(50, h.value(res, "attributed_revenue", c.winner), "winner")
			other := map[string]string{"bob": "alice", "alice": "bob"}[c.winner]
			h.exact(0, h.value(res, "attributed_revenue", other), "other")
		})
	}
}

// Each eligible order is credited to at most one ticket, even when it matches several.
func TestSpecAttributionOneTicketPerOrder(t *testing.T) {
	fixture := func(h *hand) {
		h.tickets(
			hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T09:30:00Z", Agent: "alice"},
			hTicket{ID: "T2", Customer: "c1", Created: "2026-03-10T11:00:00Z", Closed: "2026-03-10T11:30:00Z", Agent: "bob"},
		)
		h.orders(
			hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Total: "30.00"}, // matches T1 only
			hOrder{ID: "O2", Customer: "c1", Created: "2026-03-10T12:00:00Z", Total: "20.00"}, // matches T1 and T2
		)
	}
	const q = `{"metrics": ["attributed_orders", "attributed_revenue", "converted_tickets"]%s}`
	t.Run("last_touch", func(t *testing.T) {
		h := newHand(t, nil)
		fixture(h)
		// O1 -> T1, O2 -> T2 (the later): 2 orders (not 3 matches), 50.00, 2 converted tickets.
		h.expectAll(h.metrics(fmt.Sprintf(q, ""), mar10, mar11), map[string]float64{"attributed_orders": 2, "attributed_revenue": 50, "converted_tickets": 2})
		res := h.metrics(fmt.Sprintf(q, `, "groupBy": ["agent"]`), mar10, mar11)
		h.expectAll(res, map[string]float64{"attributed_orders": 1, "attributed_revenue": 30, "converted_tickets": 1}, "alice")
		h.expectAll(res, map[string]float64{"attributed_orders": 1, "attributed_revenue": 20, "converted_tickets": 1}, "bob")
	})
	t.Run("first_touch", func(t *testing.T) {
		h := newHand(t, map[string]any{"attributionModel": "first_touch"})
		fixture(h)
		// O1 -> T1, O2 -> T1 (the earlier): 2 orders, 50.00, 1 converted ticket; bob gets nothing.
		h.expectAll(h.metrics(fmt.Sprintf(q, ""), mar10, mar11), map[string]float64{"attributed_orders": 2, "attributed_revenue": 50, "converted_tickets": 1})
		res := h.metrics(fmt.Sprintf(q, `, "groupBy": ["agent"]`), mar10, mar11)
		// bob's T2 is a ticket of the range: his row is there with nothing credited (issue 12 item 6).
		require.Equal(t, [][]string{{"alice"}, {"bob"}}, hGroupLabels(res), "the agents of the range's tickets")
		h.expectAll(res, map[string]float64{"attributed_orders": 2, "attributed_revenue": 50, "converted_tickets": 1}, "alice")
		h.expectAll(res, map[string]float64{"attributed_orders": 0, "attributed_revenue": 0, "converted_tickets": 0}, "bob")
	})
}

// Cancelled, refunded and voided orders are not eligible by default; excludedStatuses [] counts them.
func TestSpecOrderStatuses(t *testing.T) {
	fixture := func(h *hand) {
		h.tickets(hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T09:00:00Z"})
		h.orders(
			hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Total: "10.00", Status: "paid"},
			hOrder{ID: "O2", Customer: "c1", Created: "2026-03-10T11:00:00Z", Total: "20.00", Status: "cancelled"},
			hOrder{ID: "O3", Customer: "c1", Created: "2026-03-10T12:00:00Z", Total: "40.00", Status: "refunded"},
			hOrder{ID: "O4", Customer: "c1", Created: "2026-03-10T13:00:00Z", Total: "80.00", Status: "voided"},
		)
	}
	const q = `{"metrics": ["attributed_orders", "attributed_revenue"]}`
	const qo = `{"metrics": ["orders", "revenue"]}`
	for _, c := range []struct {
		name     string
		settings map[string]any
		orders   float64
		revenue  float64
	}{
		{"default excludes cancelled, refunded, voided", nil, 1, 10},                                 // O1
		{"excludedStatuses [] counts all", map[string]any{"excludedStatuses": []string{}}, 4, 150},   // 10+20+40+80
		{"excludedStatuses [voided]", map[string]any{"excludedStatuses": []string{"voided"}}, 3, 70}, // 10+20+40
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHand(t, c.settings)
			fixture(h)
			res := h.metrics(q, mar10, mar11)
			h.approx(c.orders, h.value(res, "attributed_orders"), "attributed_orders")
			h.exact(c.revenue, h.value(res, "attributed_revenue"), "attributed_revenue")
			res = h.metrics(qo, mar10, mar11)
			h.approx(c.orders, h.value(res, "orders"), "orders")
			h.exact(c.revenue, h.value(res, "revenue"), "revenue")
		})
	}
}

// Orders in another currency than the shop's: left out with a notice without exchange_rates,
// converted with the day's rate with it.
func TestSpecForeignCurrency(t *testing.T) {
	fixture := func(h *hand) {
		h.tickets(hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T09:00:00Z"})
		h.orders(
			hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Total: "10.00"},
			hOrder{ID: "O2", Customer: "c1", Created: "2026-03-10T11:00:00Z", Total: "20.00", Currency: "EUR"},
			hOrder{ID: "O3", Customer: "c1", Created: "2026-03-10T12:00:00Z", Total: "3.33", Currency: "EUR"},
			hOrder{ID: "O4", Customer: "c1", Created: "2026-03-10T13:00:00Z", Total: "1.00", Currency: "GBP"},
		)
	}
	const q = `{"metrics": ["attributed_orders", "attributed_revenue", "orders", "revenue"]}`
	t.Run("no exchange_rates relation", func(t *testing.T) {
		h := newHand(t, nil)
		h.exec(`DROP TABLE exchange_rates`)
		fixture(h)
		res := h.metrics(q, mar10, mar11)
		// Only O1 (USD) counts: 1 order, 10.00; EUR and GBP are never added to USD.
		h.expectAll(res, map[string]float64{"attributed_orders": 1, "orders": 1})
		h.exact(10, h.value(res, "attributed_revenue"), "attributed_revenue")
		h.exact(10, h.value(res, "revenue"), "revenue")
		require.Len(t, res.Notices, 1, "%q", res.Notices)
		n := res.Notices[0]
		// 3 orders left out: EUR (2), GBP (1).
		for _, want := range []string{"3 orders", "USD", "EUR (2)", "GBP (1)", "exchange_rates"} {
			require.Contains(t, n, want)
		}
	})
	t.Run("exchange_rates with the day's rate", func(t *testing.T) {
		h := newHand(t, nil)
		fixture(h)
		h.rate("EUR", "2026-03-10", "1.08345")
		h.rate("EUR", "2026-03-09", "9")  // another day: not used
		h.rate("EUR", "2026-03-11", "99") // another day: not used
		res := h.metrics(q, mar10, mar11)
		// O2: 20.00 x 1.08345 = 21.669; O3: 3.33 x 1.08345 = 3.6078885 -> 3.6079 (rounded to 1/10000);
		// O4 GBP has no rate: left out. 10.00 + 21.669 + 3.6079 = 35.2769, 3 orders.
		h.expectAll(res, map[string]float64{"attributed_orders": 3, "orders": 3})
		h.exact(35.2769, h.value(res, "attributed_revenue"), "attributed_revenue")
		h.exact(35.2769, h.value(res, "revenue"), "revenue")
		require.Len(t, res.Notices, 1, "%q", res.Notices)
		require.Contains(t, res.Notices[0], "1 order in a currency")
		require.Contains(t, res.Notices[0], "GBP (1)")
		require.NotContains(t, res.Notices[0], "EUR")
	})
}

// dateBasis ticket vs order: a ticket late on the last day of the range, its order the next day;
// and a ticket the day before the range, its order in it.
func TestSpecDateBasis(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T23:30:00Z", Closed: "2026-03-10T23:45:00Z", Agent: "alice"},
		hTicket{ID: "T2", Customer: "c2", Created: "2026-03-09T20:00:00Z", Closed: "2026-03-09T21:00:00Z", Agent: "bob"},
	)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-11T00:30:00Z", Total: "40.00"},
		hOrder{ID: "O2", Customer: "c2", Created: "2026-03-10T01:00:00Z", Total: "25.00"},
	)
	const q = `{"metrics": ["attributed_orders", "attributed_revenue", "converted_tickets"]%s}`
	// ticket: the pair is in range when its ticket is: (T1,O1) -> 40.00, T1 converted.
	res := h.metrics(fmt.Sprintf(q, ""), mar10, mar11)
	h.expectAll(res, map[string]float64{"attributed_orders": 1, "attributed_revenue": 40, "converted_tickets": 1})
	// order: the pair is in range when its order is: (T2,O2) -> 25.00, T2 converted.
	res = h.metrics(fmt.Sprintf(q, `, "attribution": {"dateBasis": "order"}`), mar10, mar11)
	h.expectAll(res, map[string]float64{"attributed_orders": 1, "attributed_revenue": 25, "converted_tickets": 1})
	res = h.metrics(fmt.Sprintf(q, `, "groupBy": ["agent"], "attribution": {"dateBasis": "order"}`), mar10, mar11)
	h.expectAll(res, map[string]float64{"attributed_revenue": 25}, "bob")

	// By day over [03-10, 03-12): ticket basis puts (T1,O1) on 03-10 (the ticket's day), order basis
	// puts (T2,O2) on 03-10 and (T1,O1) on 03-11 (the orders' days).
	const qt = `{"metrics": ["attributed_revenue"], "groupBy": ["time"], "interval": "day"%s}`
	res = h.metrics(fmt.Sprintf(qt, ""), mar10, "2026-03-12T00:00:00Z")
	require.Equal(t, []float64{40, 0}, hFloats(h.series(res, "attributed_revenue")))
	res = h.metrics(fmt.Sprintf(qt, `, "attribution": {"dateBasis": "order"}`), mar10, "2026-03-12T00:00:00Z")
	require.Equal(t, []float64{25, 40}, hFloats(h.series(res, "attributed_revenue")))
}

// Tickets outside the range still compete for the orders of the range's tickets.
func TestSpecAttributionAcrossRangeEdges(t *testing.T) {
	fixture := func(h *hand) {
		h.tickets(
			hTicket{ID: "T0", Customer: "c1", Created: "2026-03-09T22:00:00Z"}, // the day before
			hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T23:00:00Z"}, // in range
			hTicket{ID: "T2", Customer: "c1", Created: "2026-03-11T01:00:00Z"}, // the day after
		)
		h.orders(
			hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T23:30:00Z", Total: "11.00"},
			hOrder{ID: "O2", Customer: "c1", Created: "2026-03-11T02:00:00Z", Total: "22.00"},
		)
	}
	const q = `{"metrics": ["attributed_revenue", "converted_tickets", "tickets"]}`
	t.Run("last_touch", func(t *testing.T) {
		h := newHand(t, nil)
		fixture(h)
		// O1 -> T1 (latest before it), O2 -> T2 (after the range): T1 has 11.00.
		h.expectAll(h.metrics(q, mar10, mar11), map[string]float64{"attributed_revenue": 11, "converted_tickets": 1, "tickets": 1})
		// By order date: O1 is in range (credited to T1), O2 is not.
		h.expectAll(h.metrics(`{"metrics": ["attributed_revenue"], "attribution": {"dateBasis": "order"}}`, mar10, mar11),
			map[string]float64{"attributed_revenue": 11})
	})
	t.Run("first_touch", func(t *testing.T) {
		h := newHand(t, map[string]any{"attributionModel": "first_touch"})
		fixture(h)
		// O1 and O2 -> T0 (the earliest, before the range): T1 has nothing.
		h.expectAll(h.metrics(q, mar10, mar11), map[string]float64{"attributed_revenue": 0, "converted_tickets": 0, "tickets": 1})
		// By order date: O1 is in range, credited to T0 (created before the range): 11.00, T0 converted.
		h.expectAll(h.metrics(`{"metrics": ["attributed_revenue", "converted_tickets"], "attribution": {"dateBasis": "order"}}`, mar10, mar11),
			map[string]float64{"attributed_revenue": 11, "converted_tickets": 1})
	})
}

// A time series with a second dimension: one series per agent, pairs on their ticket's day.
func TestSpecTimeAndAgent(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "alice"},
		hTicket{ID: "T2", Customer: "c2", Created: "2026-03-11T09:00:00Z", Closed: "2026-03-11T10:00:00Z", Agent: "alice"},
		hTicket{ID: "T3", Customer: "c3", Created: "2026-03-11T09:00:00Z", Closed: "2026-03-11T10:00:00Z", Agent: "bob"},
	)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-11T09:00:00Z", Total: "10.00"},
		hOrder{ID: "O2", Customer: "c2", Created: "2026-03-11T12:00:00Z", Total: "20.00"},
		hOrder{ID: "O3", Customer: "c3", Created: "2026-03-12T12:00:00Z", Total: "40.00"},
	)
	res := h.metrics(`{"metrics": ["attributed_revenue", "tickets"], "groupBy": ["time", "agent"], "interval": "day"}`, mar10, "2026-03-13T00:00:00Z")
	require.Equal(t, []string{"agent"}, res.Dims)
	require.Len(t, res.Times, 3)
	// alice: T1 (03-10) <- O1 10.00, T2 (03-11) <- O2 20.00; bob: T3 (03-11) <- O3 40.00.
	require.Equal(t, []float64{10, 20, 0}, hFloats(h.series(res, "attributed_revenue", "alice")))
	require.Equal(t, []float64{1, 1, 0}, hFloats(h.series(res, "tickets", "alice")))
	require.Equal(t, []float64{0, 40, 0}, hFloats(h.series(res, "attributed_revenue", "bob")))
}

// Open tickets group under (open), closed ones without agent under (none); unidentified customers
// are never converted and form the segment "unidentified".
func TestSpecAgentLabelsAndUnidentified(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T09:00:00Z"},                                               // open
		hTicket{ID: "T2", Customer: "c2", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T09:30:00Z"},               // closed, no agent
		hTicket{ID: "T3", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "carol"},               // unidentified
		hTicket{ID: "T4", Customer: "c4", Created: "2026-03-10T09:00:00Z", Agent: "dave"},                                // open, assigned
		hTicket{ID: "T5", Customer: "", Created: "2026-03-10T11:00:00Z", Closed: "2026-03-10T12:00:00Z", Agent: "carol"}, // unidentified
	)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Total: "10.00"},
		hOrder{ID: "O2", Customer: "c2", Created: "2026-03-10T11:00:00Z", Total: "20.00"},
		// An order of an empty customer key must not match the unidentified tickets (NULL key).
		hOrder{ID: "O3", Customer: "", Created: "2026-03-10T11:30:00Z", Total: "99.00"},
	)
	const q = `{"metrics": ["tickets", "converted_tickets", "attributed_revenue"], "groupBy": ["agent"]}`
	res := h.metrics(q, mar10, mar11)
	require.Equal(t, [][]string{{"(none)"}, {"(open)"}, {"carol"}}, hGroupLabels(res))
	h.expectAll(res, map[string]float64{"tickets": 1, "converted_tickets": 1, "attributed_revenue": 20}, "(none)") // T2 <- O2
	h.expectAll(res, map[string]float64{"tickets": 2, "converted_tickets": 1, "attributed_revenue": 10}, "(open)") // T1 <- O1, T4
	h.expectAll(res, map[string]float64{"tickets": 2, "converted_tickets": 0, "attributed_revenue": 0}, "carol")   // T3, T5 unidentified

	res = h.metrics(`{"metrics": ["tickets", "attributed_revenue"], "filters": {"agents": ["(open)"]}}`, mar10, mar11)
	h.expectAll(res, map[string]float64{"tickets": 2, "attributed_revenue": 10})

	// Segments as of closing (or creation while open), orders before that instant: T1 (created 09:00,
	// O1 at 10:00 later), T2 (closed 09:30, O2 at 11:00 later) and T4 are prospects; T3, T5 unidentified.
	res = h.metrics(`{"metrics": ["tickets", "converted_tickets"], "groupBy": ["segment"]}`, mar10, mar11)
	require.Equal(t, [][]string{{"prospect"}, {"unidentified"}}, hGroupLabels(res))
	h.expectAll(res, map[string]float64{"tickets": 3, "converted_tickets": 2}, "prospect")
	h.expectAll(res, map[string]float64{"tickets": 2, "converted_tickets": 0}, "unidentified")
}
