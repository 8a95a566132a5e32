package engine_test

// Hand-computed tests of the group rule (issue 12 item 6, docs/METRICS.md "Groups"): the rows (or
// series) of a dimension are its values present in the metric's population, whatever other metrics
// the query asks for; a metric is 0, or null for a ratio without denominator, where nothing counted.

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func groupsFixture(h *hand) {
	h.tickets(
		// alice converts: A1 <- O1 50.00.
		hTicket{ID: "A1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-10T11:00:00Z", Agent: "alice"},
		// bob's ticket converts nothing.
		hTicket{ID: "B1", Customer: "c2", Channel: "chat", Created: "2026-03-10T13:00:00Z", Closed: "2026-03-10T14:00:00Z", Agent: "bob"},
		// an open ticket, nothing credited.
		hTicket{ID: "U1", Customer: "c3", Created: "2026-03-10T15:00:00Z"},
		// carol's ticket is of the day before; its order is in the range: a pair of the range by order date only.
		hTicket{ID: "C0", Customer: "c4", Created: "2026-03-09T10:00:00Z", Closed: "2026-03-09T11:00:00Z", Agent: "carol"},
	)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T12:00:00Z", Total: "50.00"},
		hOrder{ID: "O4", Customer: "c4", Created: "2026-03-10T09:00:00Z", Total: "20.00"},
		// a cancelled order of project p2: not eligible, so p2 is no group of the order metrics.
		hOrder{ID: "O5", Customer: "c5", Created: "2026-03-10T09:00:00Z", Total: "70.00", Status: "cancelled", Project: "p2"},
	)
}

func TestSpecGroupsDoNotDependOnTheMetricMix(t *testing.T) {
	h := newHand(t, nil)
	groupsFixture(h)
	// Ticket basis: the population is the tickets created in range, A1, B1, U1: their agents are the rows,
	// with or without "tickets" in the query. carol's C0 was created the day before: no row.
	for _, q := range []string{
		`{"metrics": ["attributed_revenue"], "groupBy": ["agent"]}`,
		`{"metrics": ["attributed_revenue", "tickets"], "groupBy": ["agent"]}`,
	} {
		res := h.metrics(q, mar10, mar11)
		require.Equal(t, [][]string{{"(open)"}, {"alice"}, {"bob"}}, hGroupLabels(res), q)
		h.exact(50, h.value(res, "attributed_revenue", "alice"), "alice: O1")
		h.exact(0, h.value(res, "attributed_revenue", "bob"), "bob: nothing credited, still a row")
		h.exact(0, h.value(res, "attributed_revenue", "(open)"), "(open): nothing credited, still a row")
	}
	// Every attribution metric alone: bob is a row, counts 0, the average basket null (no order to divide by).
	res := h.metrics(`{"metrics": ["converted_tickets"], "groupBy": ["agent"]}`, mar10, mar11)
	require.Equal(t, [][]string{{"(open)"}, {"alice"}, {"bob"}}, hGroupLabels(res))
	h.approx(0, h.value(res, "converted_tickets", "bob"), "converted_tickets bob")
	res = h.metrics(`{"metrics": ["attributed_orders"], "groupBy": ["agent"]}`, mar10, mar11)
	h.approx(0, h.value(res, "attributed_orders", "bob"), "attributed_orders bob")
	res = h.metrics(`{"metrics": ["attributed_average_basket"], "groupBy": ["agent"]}`, mar10, mar11)
	h.none(h.value(res, "attributed_average_basket", "bob"), "attributed_average_basket bob")
	h.approx(50, h.value(res, "attributed_average_basket", "alice"), "attributed_average_basket alice")
	res = h.metrics(`{"metrics": ["ticket_conversion_rate"], "groupBy": ["agent"]}`, mar10, mar11)
	h.approx(0, h.value(res, "ticket_conversion_rate", "bob"), "ticket_conversion_rate bob: 0 of 1")
	res = h.metrics(`{"metrics": ["conversation_conversion_rate"], "groupBy": ["agent"]}`, mar10, mar11)
	require.Equal(t, [][]string{{"(open)"}, {"alice"}, {"bob"}}, hGroupLabels(res))
	h.none(h.value(res, "conversation_conversion_rate", "(open)"), "(open): no closed conversation to divide by")
	h.approx(0, h.value(res, "conversation_conversion_rate", "bob"), "bob: 0 orders / 1 closed")

	// Filters narrow the population: chat only leaves bob.
	res = h.metrics(`{"metrics": ["attributed_revenue"], "groupBy": ["agent"], "filters": {"channels": ["chat"]}}`, mar10, mar11)
	require.Equal(t, [][]string{{"bob"}}, hGroupLabels(res))
	h.exact(0, h.value(res, "attributed_revenue", "bob"), "bob, chat")

	// Order basis: the pairs of the range add their tickets' values: carol (C0 <- O4, 20.00).
	res = h.metrics(`{"metrics": ["attributed_revenue"], "groupBy": ["agent"], "attribution": {"dateBasis": "order"}}`, mar10, mar11)
	require.Equal(t, [][]string{{"(open)"}, {"alice"}, {"bob"}, {"carol"}}, hGroupLabels(res))
	h.exact(20, h.value(res, "attributed_revenue", "carol"), "carol: O4 by order date")
	h.exact(50, h.value(res, "attributed_revenue", "alice"), "alice: O1")
	h.exact(0, h.value(res, "attributed_revenue", "bob"), "bob")

	// Time series: the same labels, each series zero-filled over every bucket.
	res = h.metrics(`{"metrics": ["attributed_revenue"], "groupBy": ["time", "agent"], "interval": "day"}`, mar10, "2026-03-12T00:00:00Z")
	require.Equal(t, [][]string{{"(open)"}, {"alice"}, {"bob"}}, hGroupLabels(res))
	require.Equal(t, []float64{50, 0}, hFloats(h.series(res, "attributed_revenue", "alice")))
	require.Equal(t, []float64{0, 0}, hFloats(h.series(res, "attributed_revenue", "bob")))

	// Order side: the population is the eligible orders; p2 has only a cancelled order: no row.
	res = h.metrics(`{"metrics": ["revenue"], "groupBy": ["project"]}`, mar10, mar11)
	require.Equal(t, [][]string{{"shop"}}, hGroupLabels(res))
	h.exact(70, h.value(res, "revenue", "shop"), "O1 + O4")
}
