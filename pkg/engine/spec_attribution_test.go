package engine_test

// Hand-computed tests of the attribution anchor (issue 12 item 2) and of the linear model (item 3),
// SPEC 5.2 and docs/METRICS.md. Each value is computed by hand in the comments beside it.

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
)

// anchorFixture: a 24 h window (query windowHours 24) and tickets of very different lengths.
func anchorFixture(h *hand) {
	h.tickets(
		// A two-day conversation: created 03-10 10:00, closed 03-12 10:00.
		hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-12T10:00:00Z", Agent: "alice"},
		// Still open.
		hTicket{ID: "T2", Customer: "c2", Created: "2026-03-10T14:00:00Z"},
		// A one-hour conversation: created 03-10 16:00, closed 17:00.
		hTicket{ID: "T3", Customer: "c3", Created: "2026-03-10T16:00:00Z", Closed: "2026-03-10T17:00:00Z", Agent: "carol"},
	)
	h.orders(
		hOrder{ID: "O0", Customer: "c1", Created: "2026-03-10T09:59:59Z", Total: "80.00"}, // before T1: never
		hOrder{ID: "O4", Customer: "c1", Created: "2026-03-10T10:00:00Z", Total: "1.00"},  // at T1's creation: both anchors
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-11T12:00:00Z", Total: "10.00"}, // during T1, past creation + 24 h: closed only
		hOrder{ID: "O2", Customer: "c1", Created: "2026-03-13T09:59:59Z", Total: "20.00"}, // 1 s before closing + 24 h: closed only
		hOrder{ID: "O3", Customer: "c1", Created: "2026-03-13T10:00:00Z", Total: "40.00"}, // at closing + 24 h: never
		hOrder{ID: "O5", Customer: "c2", Created: "2026-03-20T00:00:00Z", Total: "5.00"},  // 10 days into open T2: closed only
		hOrder{ID: "O7", Customer: "c3", Created: "2026-03-11T15:00:00Z", Total: "3.00"},  // in both windows of T3
		hOrder{ID: "O6", Customer: "c3", Created: "2026-03-11T16:30:00Z", Total: "7.00"},  // past creation + 24 h, before closing + 24 h
	)
}

func TestSpecAttributionAnchor(t *testing.T) {
	const q = `{"metrics": ["attributed_orders", "attributed_revenue", "converted_tickets"], "attribution": {"windowHours": 24%s}}`
	const qAgent = `{"metrics": ["attributed_revenue"], "groupBy": ["agent"], "attribution": {"windowHours": 24%s}}`
	t.Run("created (default)", func(t *testing.T) {
		h := newHand(t, nil)
		anchorFixture(h)
		for _, anchor := range []string{"", `, "anchor": "created"`} {
			res := h.metrics(fmt.Sprintf(q, anchor), mar10, mar11)
			// T1 <- O4 (1.00), T3 <- O7 (3.00): 2 orders, 4.00, 2 tickets converted.
			h.expectAll(res, map[string]float64{"attributed_orders": 2, "converted_tickets": 2})
			h.exact(4, h.value(res, "attributed_revenue"), "attributed_revenue")
		}
	})
	t.Run("closed", func(t *testing.T) {
		h := newHand(t, nil)
		anchorFixture(h)
		res := h.metrics(fmt.Sprintf(q, `, "anchor": "closed"`), mar10, mar11)
		// T1 <- O4, O1, O2 (1.00 + 10.00 + 20.00 = 31.00); open T2 <- O5 (5.00), an order 9 days after
		// the range's end + window; T3 <- O7, O6 (3.00 + 7.00 = 10.00). 6 orders, 46.00, 3 converted.
		h.expectAll(res, map[string]float64{"attributed_orders": 6, "converted_tickets": 3})
		h.exact(46, h.value(res, "attributed_revenue"), "attributed_revenue")
		res = h.metrics(fmt.Sprintf(qAgent, `, "anchor": "closed"`), mar10, mar11)
		require.Equal(t, [][]string{{"(open)"}, {"alice"}, {"carol"}}, hGroupLabels(res))
		h.exact(31, h.value(res, "attributed_revenue", "alice"), "alice: T1")
		h.exact(5, h.value(res, "attributed_revenue", "(open)"), "(open): T2")
		h.exact(10, h.value(res, "attributed_revenue", "carol"), "carol: T3")
		require.Contains(t, res.Executed, "anchor closed")

		// By order date, tickets created long before the range still credit its orders: over
		// [03-13, 03-14), O2 -> T1 (created 03-10, closed 03-12 10:00); over [03-20, 03-21), O5 -> open T2.
		const qo = `{"metrics": ["attributed_revenue"], "attribution": {"windowHours": 24, "dateBasis": "order"%s}}`
		h.exact(20, h.value(h.metrics(fmt.Sprintf(qo, `, "anchor": "closed"`), "2026-03-13T00:00:00Z", "2026-03-14T00:00:00Z"), "attributed_revenue"), "O2 by order date")
		h.exact(0, h.value(h.metrics(fmt.Sprintf(qo, ""), "2026-03-13T00:00:00Z", "2026-03-14T00:00:00Z"), "attributed_revenue"), "O2, created anchor")
		h.exact(5, h.value(h.metrics(fmt.Sprintf(qo, `, "anchor": "closed"`), "2026-03-20T00:00:00Z", "2026-03-21T00:00:00Z"), "attributed_revenue"), "O5 by order date")

		// The drill-down lists the same credits.
		tab, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "attribution": {"windowHours": 24, "anchor": "closed"}}`, mar10, mar11))
		require.NoError(t, err)
		require.Equal(t, []string{"T3", "T2", "T1"}, h.column(tab, "id"))
		require.Equal(t, []float64{10, 5, 31}, h.column(tab, "attributed_revenue"))
		require.Equal(t, []float64{2, 1, 3}, h.column(tab, "credited_orders"))

		// Through the read cache the dashboards use: the same numbers.
		cached := h.engine(h.now).Cached(engine.NewCache(time.Minute, 64))
		for range 2 {
			res, err := cached.Metrics(ctx, h.request(fmt.Sprintf(q, `, "anchor": "closed"`), mar10, mar11))
			require.NoError(t, err)
			h.exact(46, h.value(res, "attributed_revenue"), "attributed_revenue, cached")
		}
	})
	t.Run("setting attributionAnchor, and the query overriding it", func(t *testing.T) {
		h := newHand(t, map[string]any{"attributionAnchor": "closed"})
		anchorFixture(h)
		h.exact(46, h.value(h.metrics(fmt.Sprintf(q, ""), mar10, mar11), "attributed_revenue"), "setting closed")
		h.exact(4, h.value(h.metrics(fmt.Sprintf(q, `, "anchor": "created"`), mar10, mar11), "attributed_revenue"), "query created")
		// A template variable that reached the backend uninterpolated keeps the setting, with one info
		// notice per query, which names the unset filters too.
		res := h.metrics(fmt.Sprintf(q, `, "anchor": "$anchor"`), mar10, mar11)
		h.exact(46, h.value(res, "attributed_revenue"), "uninterpolated $anchor: the setting")
		require.Empty(t, res.Notices, "not a warning")
		require.Equal(t, []string{"Attribution anchor ($anchor) is a dashboard variable that was not set " +
			"(public or embedded dashboard, or alert rule): using the data source's attribution anchor."}, res.Info)
		q2 := `{"metrics": ["attributed_revenue"], "filters": {"agents": ["$agent"]}, "attribution": {"windowHours": 24, "model": "${model}", "anchor": "$anchor"}}`
		res = h.metrics(q2, mar10, mar11)
		h.exact(46, h.value(res, "attributed_revenue"), "uninterpolated $agent, ${model}, $anchor: all agents, the settings")
		require.Empty(t, res.Notices, "not a warning")
		require.Equal(t, []string{"Filter agents ($agent) and attribution model (${model}) and anchor ($anchor) are dashboard variables " +
			"that were not set (public or embedded dashboard, or alert rule): showing all agents, using the data source's attribution " +
			"model and the data source's attribution anchor."}, res.Info)
	})
}

// The closed anchor credits an order of the range to a ticket still open that was created long before
// the window (read as an open ticket): grouped by handled_by, that ticket is where its messages put it,
// and the tickets of the range that converted nothing are groups with 0 (issue 12 item 6).
func TestSpecAttributionAnchorHandledBy(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		// Open since February, answered by an agent: human.
		hTicket{ID: "K1", Customer: "c1", Created: "2026-02-01T10:00:00Z"},
		// Created in range, answered by a bot only: automated; no order.
		hTicket{ID: "K2", Customer: "c2", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-10T11:00:00Z"},
	)
	h.messages(
		hMessage{"K1", "2026-02-01T10:00:00Z", "customer", ""},
		hMessage{"K1", "2026-02-01T11:00:00Z", "agent", "a"},
		hMessage{"K2", "2026-03-10T10:00:00Z", "customer", ""},
		hMessage{"K2", "2026-03-10T10:00:05Z", "bot", ""},
	)
	h.orders(hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T12:00:00Z", Total: "40.00"})
	const q = `{"metrics": ["attributed_revenue"], "groupBy": ["handled_by"], "attribution": {"windowHours": 24, "dateBasis": "order", "anchor": %q}}`
	// closed: K1 is open, its window has not ended: O1 (40.00) is K1's, a human ticket; K2 is a ticket
	// of the range with nothing credited.
	res := h.metrics(fmt.Sprintf(q, "closed"), mar10, mar11)
	require.Equal(t, [][]string{{"automated"}, {"human"}}, hGroupLabels(res))
	h.exact(40, h.value(res, "attributed_revenue", "human"), "K1 <- O1")
	h.exact(0, h.value(res, "attributed_revenue", "automated"), "K2: nothing credited")
	// created: O1 is 37 days past K1's creation: no pair; only K2's group.
	res = h.metrics(fmt.Sprintf(q, "created"), mar10, mar11)
	require.Equal(t, [][]string{{"automated"}}, hGroupLabels(res))
	h.exact(0, h.value(res, "attributed_revenue", "automated"), "K2: nothing credited")
}

// With the closed anchor the matches of an order are no longer the latest tickets before it: a long
// conversation can match an order that a later, shorter one does not.
func TestSpecAttributionAnchorOneTicketPerOrder(t *testing.T) {
	fixture := func(h *hand) {
		h.tickets(
			hTicket{ID: "T4", Customer: "c4", Created: "2026-03-10T08:00:00Z", Closed: "2026-03-14T08:00:00Z", Agent: "alice"},
			hTicket{ID: "T5", Customer: "c4", Created: "2026-03-10T12:00:00Z", Closed: "2026-03-10T13:00:00Z", Agent: "bob"},
		)
		h.orders(
			hOrder{ID: "O9", Customer: "c4", Created: "2026-03-10T12:30:00Z", Total: "50.00"}, // matches T4 and T5
			hOrder{ID: "O8", Customer: "c4", Created: "2026-03-12T12:00:00Z", Total: "30.00"}, // closed: T4 only (T5 ended 03-11 13:00)
		)
	}
	const q = `{"metrics": ["attributed_revenue"], "groupBy": ["agent"], "attribution": {"windowHours": 24, "anchor": "%s", "model": "%s"}}`
	for _, c := range []struct {
		anchor, model string
		alice, bob    float64
	}{
		// created: O9 matches T4 (until 03-11 08:00) and T5 (until 03-11 12:00), O8 neither.
		{"created", "last_touch", 0, 50},
		{"created", "first_touch", 50, 0},
		// closed: O9 matches T4 (until 03-15 08:00) and T5 (until 03-11 13:00); O8 matches T4 only, although
		// T5 is the latest ticket created before it.
		{"closed", "last_touch", 30, 50},
		{"closed", "first_touch", 80, 0},
		// linear: O9 split 25.00 / 25.00, O8 all to T4.
		{"closed", "linear", 55, 25},
	} {
		t.Run(c.anchor+" "+c.model, func(t *testing.T) {
			h := newHand(t, nil)
			fixture(h)
			res := h.metrics(fmt.Sprintf(q, c.anchor, c.model), mar10, mar11)
			h.exact(c.alice, h.value(res, "attributed_revenue", "alice"), "alice")
			h.exact(c.bob, h.value(res, "attributed_revenue", "bob"), "bob")
		})
	}
}

// linearFixture: orders matched by several tickets of one customer, amounts that do not divide.
func linearFixture(h *hand) {
	h.tickets(
		hTicket{ID: "T1", Customer: "c1", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T09:30:00Z", Agent: "alice"},
		hTicket{ID: "T2", Customer: "c1", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-10T10:30:00Z", Agent: "bob"},
		hTicket{ID: "T3", Customer: "c1", Created: "2026-03-10T11:00:00Z", Closed: "2026-03-10T11:30:00Z", Agent: "carol"},
		// Created at the same instant: the tie order is the id.
		hTicket{ID: "T5", Customer: "c2", Created: "2026-03-10T15:00:00Z", Closed: "2026-03-10T15:30:00Z", Agent: "erin"},
		hTicket{ID: "T4", Customer: "c2", Created: "2026-03-10T15:00:00Z", Closed: "2026-03-10T15:30:00Z", Agent: "dave"},
		hTicket{ID: "T6", Customer: "c3", Created: "2026-03-10T18:00:00Z", Closed: "2026-03-10T18:30:00Z", Agent: "frank"},
		hTicket{ID: "T7", Customer: "c3", Created: "2026-03-10T19:00:00Z", Closed: "2026-03-10T19:30:00Z", Agent: "gina"},
	)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T12:00:00Z", Total: "100.00"}, // T1, T2, T3
		hOrder{ID: "O2", Customer: "c1", Created: "2026-03-10T10:30:00Z", Total: "0.05"},   // T1, T2
		hOrder{ID: "O3", Customer: "c1", Created: "2026-03-10T11:00:00Z", Total: "0.01"},   // T1, T2, T3 (T3 at its creation)
		hOrder{ID: "O4", Customer: "c2", Created: "2026-03-10T16:00:00Z", Total: "0.01"},   // T4, T5
		hOrder{ID: "O5", Customer: "c2", Created: "2026-03-10T17:00:00Z", Total: "10.03", Currency: "EUR"},
		hOrder{ID: "O6", Customer: "c3", Created: "2026-03-10T20:00:00Z", Total: "0.01"}, // T6, T7
	)
	// O5: 10.03 EUR x 1.0837 = 10.869511 -> 10.8695 USD (1/10000): not whole cents.
	h.rate("EUR", "2026-03-10", "1.0837")
}

func TestSpecAttributionLinear(t *testing.T) {
	h := newHand(t, map[string]any{"attributionModel": "linear"})
	linearFixture(h)
	// Largest remainder, leftover units to the earliest tickets (created_at, then id):
	//   O1 100.00 / 3 = 33.33 r 0.01: T1 33.34, T2 33.33, T3 33.33 (1/3 order each)
	//   O2   0.05 / 2 =  0.02 r 0.01: T1 0.03, T2 0.02              (1/2 each)
	//   O3   0.01 / 3 =  0.00 r 0.01: T1 0.01, T2 0.00, T3 0.00     (1/3 each)
	//   O4   0.01 / 2: T4 0.01 (smaller id at the same instant), T5 0.00
	//   O5  10.8695 / 2 in 1/10000: 5.4348 r: T4 5.4348, T5 5.4347
	//   O6   0.01 / 2: T6 0.01, T7 0.00 (converted all the same: half an order)
	want := map[string]struct {
		revenue, orders float64
	}{
		"alice": {33.38, 1.0/3 + 1.0/2 + 1.0/3},
		"bob":   {33.35, 1.0/3 + 1.0/2 + 1.0/3},
		"carol": {33.33, 1.0/3 + 1.0/3},
		"dave":  {5.4448, 1}, // O4 0.01 + O5 5.4348
		"erin":  {5.4347, 1},
		"frank": {0.01, 0.5},
		"gina":  {0, 0.5},
	}
	const q = `{"metrics": ["attributed_orders", "attributed_revenue", "converted_tickets", "attributed_average_basket", "ticket_conversion_rate"]%s}`
	total := h.metrics(fmt.Sprintf(q, ""), mar10, mar11)
	// 6 orders, 100.00 + 0.05 + 0.01 + 0.01 + 10.8695 + 0.01 = 110.9495, all 7 tickets converted.
	h.expectAll(total, map[string]float64{"attributed_orders": 6, "converted_tickets": 7, "ticket_conversion_rate": 100,
		"attributed_average_basket": 110.9495 / 6})
	h.exact(110.9495, h.value(total, "attributed_revenue"), "attributed_revenue")

	byAgent := h.metrics(fmt.Sprintf(q, `, "groupBy": ["agent"]`), mar10, mar11)
	require.Len(t, byAgent.Groups, len(want))
	var cents int64
	var orders float64
	for agent, w := range want {
		h.exact(w.revenue, h.value(byAgent, "attributed_revenue", agent), agent+" revenue")
		h.approx(w.orders, h.value(byAgent, "attributed_orders", agent), agent+" orders")
		h.approx(1, h.value(byAgent, "converted_tickets", agent), agent+" converted")
		cents += int64(math.Round(*h.value(byAgent, "attributed_revenue", agent) * 10000))
		orders += *h.value(byAgent, "attributed_orders", agent)
	}
	// In this model the total is the sum of the per-agent rows, to the 1/10000.
	require.Equal(t, int64(math.Round(*h.value(total, "attributed_revenue")*10000)), cents, "revenue: total = sum of agents")
	h.approx(*h.value(total, "attributed_orders"), &orders, "orders: total = sum of agents")

	// The query's model overrides the setting; the drill-down shows each ticket's shares and parts.
	h2 := newHand(t, nil)
	linearFixture(h2)
	res := h2.metrics(fmt.Sprintf(q, `, "groupBy": ["agent"], "attribution": {"model": "linear"}`), mar10, mar11)
	h2.exact(33.38, h2.value(res, "attributed_revenue", "alice"), "alice, query model")
	tab, err := h2.engine(h2.now).Tickets(ctx, h2.request(`{"queryType": "tickets", "attribution": {"model": "linear"}}`, mar10, mar11))
	require.NoError(t, err)
	require.Equal(t, []string{"T7", "T6", "T5", "T4", "T3", "T2", "T1"}, h2.column(tab, "id"))
	require.Equal(t, []float64{0, 0.01, 5.4347, 5.4448, 33.33, 33.35, 33.38}, h2.column(tab, "attributed_revenue"))
	require.Equal(t, []bool{true, true, true, true, true, true, true}, h2.column(tab, "converted"))
	credited := h2.column(tab, "credited_orders").([]float64)
	for i, w := range []float64{0.5, 0.5, 1, 1, 2.0 / 3, 7.0 / 6, 7.0 / 6} {
		h2.approx(w, &credited[i], "credited_orders of "+h2.column(tab, "id").([]string)[i])
	}
}
