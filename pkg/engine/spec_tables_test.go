package engine_test

// Hand-computed tests of the table query types: tickets drill-down (SPEC 5.6), live_feed and variable.

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

func drillFixture(h *hand) {
	h.tickets(
		hTicket{ID: "D1", Customer: "c1", Channel: "chat", Topic: "shipping", Priority: "high", Tags: []string{"vip", "refund"},
			Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T11:00:00Z", Agent: "alice"},
		hTicket{ID: "D2", Customer: "c2", Channel: "email", Created: "2026-03-10T10:00:00Z"},
		hTicket{ID: "D3", Channel: "chat", Created: "2026-03-10T11:00:00Z", Closed: "2026-03-10T11:30:00Z"},
		hTicket{ID: "D4", Customer: "c1", Channel: "chat", Created: "2026-03-11T09:00:00Z"}, // after the range
	)
	h.messages(
		hMessage{"D1", "2026-03-10T09:00:00Z", "customer", ""},
		hMessage{"D1", "2026-03-10T09:10:00Z", "agent", "alice"},
		hMessage{"D3", "2026-03-10T11:00:00Z", "customer", ""},
		hMessage{"D3", "2026-03-10T11:00:05Z", "bot", ""},
	)
	h.orders(
		hOrder{ID: "O0", Customer: "c2", Created: "2026-02-01T10:00:00Z", Total: "5.00"},
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Total: "30.00"},
		hOrder{ID: "O2", Customer: "c1", Created: "2026-03-10T12:00:00Z", Total: "20.25"},
	)
	h.surveys(hSurvey{Ticket: "D1", Sent: "2026-03-10T11:00:00Z", Responded: "2026-03-10T12:00:00Z", Score: 4})
}

func TestSpecTicketsDrillDown(t *testing.T) {
	h := newHand(t, nil)
	drillFixture(h)
	run := func(q string) *engine.Table {
		tab, err := h.engine(h.now).Tickets(ctx, h.request(q, mar10, mar11))
		require.NoError(t, err)
		return tab
	}
	tab := run(`{"queryType": "tickets"}`)
	require.Empty(t, tab.Notices)
	// Newest first: D3 (11:00), D2 (10:00), D1 (09:00); D4 is after the range.
	require.Equal(t, []string{"D3", "D2", "D1"}, h.column(tab, "id"))
	created := h.column(tab, "created_at").([]time.Time)
	require.True(t, created[2].Equal(ts("2026-03-10T09:00:00Z")))
	closed := h.column(tab, "closed_at").([]*time.Time)
	require.True(t, closed[0].Equal(ts("2026-03-10T11:30:00Z")))
	require.Nil(t, closed[1])
	require.Equal(t, []string{"chat", "email", "chat"}, h.column(tab, "channel"))
	require.Equal(t, []string{"shop", "shop", "shop"}, h.column(tab, "project"))
	require.Equal(t, []string{"(none)", "(none)", "shipping"}, h.column(tab, "topic"))
	require.Equal(t, []string{"normal", "normal", "high"}, h.column(tab, "priority"))
	require.Equal(t, []string{"", "", "vip, refund"}, h.column(tab, "tags"))
	require.Equal(t, []string{"(none)", "(open)", "alice"}, h.column(tab, "agent"))
	// D3 unidentified; D2 open, judged at creation: one order (O0) before: new_buyer; D1 judged at its
	// closing 11:00: O1 (10:00) before, O2 (12:00) after: new_buyer.
	require.Equal(t, []string{"unidentified", "new_buyer", "new_buyer"}, h.column(tab, "segment"))
	// D1: agent reply after 600 s; D3 only a bot; D2 nothing.
	require.Equal(t, []float64{-1, -1, 600}, hFloats(h.column(tab, "first_response_seconds").([]*float64)))
	// D1 is credited O1 and O2: 30.00 + 20.25 = 50.25.
	require.Equal(t, []bool{false, false, true}, h.column(tab, "converted"))
	require.Equal(t, []float64{0, 0, 2}, h.column(tab, "credited_orders"))
	require.Equal(t, []float64{0, 0, 50.25}, h.column(tab, "attributed_revenue"))
	scores := h.column(tab, "csat_score").([]*int64)
	require.Nil(t, scores[0])
	require.Nil(t, scores[1])
	require.Equal(t, int64(4), *scores[2])

	tab = run(`{"queryType": "tickets", "limit": 2}`)
	require.Equal(t, []string{"D3", "D2"}, h.column(tab, "id"))
	require.Len(t, tab.Notices, 1)
	require.Contains(t, tab.Notices[0], "first 2 of 3 tickets")

	for q, want := range map[string][]string{
		`{"queryType": "tickets", "filters": {"channels": ["chat"]}}`:                           {"D3", "D1"},
		`{"queryType": "tickets", "filters": {"agents": ["alice"]}}`:                            {"D1"},
		`{"queryType": "tickets", "filters": {"agents": ["(open)", "(none)"]}}`:                 {"D3", "D2"},
		`{"queryType": "tickets", "filters": {"segments": ["unidentified"]}}`:                   {"D3"},
		`{"queryType": "tickets", "filters": {"tags": ["refund"]}}`:                             {"D1"},
		`{"queryType": "tickets", "filters": {"scores": ["4", "5"]}}`:                           {"D1"},
		`{"queryType": "tickets", "filters": {"channels": ["chat"], "priorities": ["normal"]}}`: {"D3"},
		`{"queryType": "tickets", "filters": {"agents": ["$agent"]}}`:                           {"D3", "D2", "D1"},
	} {
		require.Equal(t, want, h.column(run(q), "id"), q)
	}
	_, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "filters": {"products": ["A"]}}`, mar10, mar11))
	require.ErrorContains(t, err, "a tickets query cannot be filtered by product")
}

// A drill-down credits the rows shown from their customers' orders alone; through a cache where an
// attribution query of the same read has credited every ticket, it takes those credits instead. Both
// give D1 its two orders (TestSpecTicketsDrillDown).
func TestDrillDownCreditsTheRowsShown(t *testing.T) {
	h := newHand(t, nil)
	drillFixture(h)
	check := func(tab *engine.Table, how string) {
		t.Helper()
		require.Equal(t, []string{"D3", "D2", "D1"}, h.column(tab, "id"))
		require.Equal(t, []float64{0, 0, 2}, h.column(tab, "credited_orders"))
		require.Equal(t, []float64{0, 0, 50.25}, h.column(tab, "attributed_revenue"))
		require.Contains(t, tab.Executed, how)
	}
	const drill = `{"queryType": "tickets"}`
	tab, err := h.engine(h.now).Tickets(ctx, h.request(drill, mar10, mar11))
	require.NoError(t, err)
	check(tab, "of the 2 customers of the rows shown, credited to their tickets") // c1 and c2; D3 has none

	// Through a cache, each customer's orders are read once: the first two rows (D3 without a
	// customer, D2 of c2) read c2's; all three rows then read c1's alone.
	scans := &scanCounter{Store: h.stores.Orders}
	cached := engine.New(h.settings, h.stores.Helpdesk, scans).WithClock(func() time.Time { return h.now }).
		Cached(engine.NewCache(time.Minute, 64))
	tab, err = cached.Tickets(ctx, h.request(`{"queryType": "tickets", "limit": 2}`, mar10, mar11))
	require.NoError(t, err)
	require.Equal(t, []float64{0, 0}, h.column(tab, "credited_orders"))
	require.Equal(t, [][]string{{"c2"}}, scans.customers)
	tab, err = cached.Tickets(ctx, h.request(drill, mar10, mar11))
	require.NoError(t, err)
	check(tab, "of the 2 customers of the rows shown")
	require.Equal(t, [][]string{{"c2"}, {"c1"}}, scans.customers)
	res, err := cached.Metrics(ctx, h.request(`{"metrics": ["attributed_revenue"]}`, mar10, mar11))
	require.NoError(t, err)
	h.approx(50.25, h.value(res, "attributed_revenue"), "O1 and O2")
	tab, err = cached.Tickets(ctx, h.request(drill, mar10, mar11))
	require.NoError(t, err)
	check(tab, ", credited to the tickets read")
	require.NotContains(t, tab.Executed, "rows shown")
}

// scanCounter records the customers of each order stream.
type scanCounter struct {
	*store.Store
	customers [][]string
}

func (c *scanCounter) ScanOrders(ctx context.Context, r store.OrderRead, f func(o store.Order) error) error {
	if r.Customers != nil {
		c.customers = append(c.customers, r.Customers)
	}
	return c.Store.ScanOrders(ctx, r, f)
}

func TestSpecLiveFeed(t *testing.T) {
	h := newHand(t, nil)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Total: "10.00"},
		hOrder{ID: "O2", Customer: "c2", Created: "2026-03-10T12:00:00Z", Total: "20.00", Currency: "EUR", Status: "cancelled"},
		hOrder{ID: "O3", Customer: "c3", Created: "2026-03-11T12:00:00Z", Total: "30.00"}, // after the range
	)
	h.carts(
		hCart{"c1", "2026-03-10T11:00:00Z", "5.00", "USD"},
		hCart{"", "2026-03-10T13:00:00Z", "7.50", "EUR"},
		hCart{"c9", "2026-03-09T13:00:00Z", "1.00", "USD"}, // before the range
	)
	run := func(q string) *engine.Table {
		tab, err := h.engine(h.now).LiveFeed(ctx, h.request(q, mar10, mar11))
		require.NoError(t, err)
		return tab
	}
	// Newest first: cart 13:00 (7.50 EUR, anonymous), O2 12:00, cart 11:00, O1 10:00; amounts as paid.
	tab := run(`{"queryType": "live_feed"}`)
	require.Equal(t, []string{"cart", "order", "cart", "order"}, h.column(tab, "kind"))
	require.Equal(t, []string{"", "O2", "", "O1"}, h.column(tab, "id"))
	require.Equal(t, []string{"", "c2", "c1", "c1"}, h.column(tab, "customer"))
	require.Equal(t, []float64{7.50, 20, 5, 10}, h.column(tab, "amount"))
	require.Equal(t, []string{"EUR", "EUR", "USD", "USD"}, h.column(tab, "currency"))
	at := h.column(tab, "time").([]time.Time)
	require.True(t, at[0].Equal(ts("2026-03-10T13:00:00Z")))
	require.True(t, at[3].Equal(ts("2026-03-10T10:00:00Z")))
	tab = run(`{"queryType": "live_feed", "limit": 3}`)
	require.Equal(t, []string{"cart", "order", "cart"}, h.column(tab, "kind"))

	// Without cart_events, orders only.
	h.exec(`DROP TABLE cart_events`)
	h2 := &hand{testEnv: envOn(t, h.db, nil), now: h.now} // a fresh instance: no cached relation list
	tab, err := h2.engine(h.now).LiveFeed(ctx, h2.request(`{"queryType": "live_feed"}`, mar10, mar11))
	require.NoError(t, err)
	require.Equal(t, []string{"O2", "O1"}, h.column(tab, "id"))
}

func TestSpecVariable(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "T1", Customer: "c", Channel: "chat", Project: "shop", Topic: "returns", Priority: "high",
			Tags: []string{"vip", "refund"}, Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "bob"},
		hTicket{ID: "T2", Customer: "c", Channel: "email", Project: "shop", Tags: []string{"refund"}, Created: "2026-03-10T09:00:00Z",
			Closed: "2026-03-10T10:00:00Z", Agent: "alice"},
		hTicket{ID: "T3", Customer: "c", Channel: "phone", Project: "brand3", Created: "2026-03-10T09:00:00Z"},
		hTicket{ID: "T4", Customer: "c", Channel: "social", Project: "old", Created: "2026-03-01T09:00:00Z", Agent: "zoe"}, // before
	)
	h.orders(
		hOrder{ID: "O1", Customer: "c", Created: "2026-03-10T10:00:00Z", Total: "1", Project: "outlet"},
		hOrder{ID: "O2", Customer: "c", Created: "2026-03-10T10:00:00Z", Total: "1", Currency: "EUR"},
		hOrder{ID: "O3", Customer: "c", Created: "2026-03-10T10:00:00Z", Total: "1", Currency: "GBP", Status: "cancelled"},
	)
	h.lines(hLine{"O1", "P1", "Zeta Cup", 1, "1"}, hLine{"O2", "P2", "Eta Bowl", 1, "1"}, hLine{"O3", "P3", "Theta Jar", 1, "1"})
	for dim, want := range map[string][]string{
		"agent":         {"alice", "bob"},
		"channel":       {"chat", "email", "phone"},
		"project":       {"brand3", "outlet", "shop"}, // tickets and orders
		"topic":         {"returns"},
		"tag":           {"refund", "vip"},
		"priority":      {"high", "normal"},
		"currency":      {"EUR", "USD"}, // GBP only on a cancelled order
		"product":       {"Eta Bowl", "Zeta Cup"},
		"segment":       {"unidentified", "prospect", "new_buyer", "returning", "vip"},
		"score":         {"1", "2", "3", "4", "5"},
		"customer_type": {"new", "returning"},
	} {
		tab, err := h.engine(h.now).Variable(ctx, h.request(`{"queryType": "variable", "dimension": "`+dim+`"}`, mar10, mar11))
		require.NoError(t, err, dim)
		require.Len(t, tab.Columns, 1)
		require.Equal(t, dim, tab.Columns[0].Key)
		require.Equal(t, want, tab.Columns[0].Values, dim)
	}
	_, err := h.engine(h.now).Variable(ctx, h.request(`{"queryType": "variable", "dimension": "colour"}`, mar10, mar11))
	require.ErrorContains(t, err, `unknown dimension "colour"`)
}

// The tickets behind a number are the tickets it counted: the drill-down's basis selects the same
// time basis as the metric, and its rows equal the metric over the same filters (SPEC 5.6).
func TestSpecTicketsBasisMatchesTheNumber(t *testing.T) {
	h := newHand(t, map[string]any{"vipTags": []string{"vip"}})
	// Range [03-10, 03-12).
	h.customers(hCustomer{Key: "v", Created: "2025-01-01T00:00:00Z", Tags: []string{"vip"}}, hCustomer{Key: "p", Created: "2025-01-01T00:00:00Z"})
	h.tickets(
		// Created before the range, closed in it: closed, not created.
		hTicket{ID: "K1", Customer: "p", Channel: "chat", Created: "2026-03-01T09:00:00Z", Closed: "2026-03-10T09:00:00Z", Agent: "alice"},
		// Created in the range, closed after it: created, open at the range's end.
		hTicket{ID: "K2", Customer: "v", Channel: "email", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-13T10:00:00Z", Agent: "bob"},
		// Created and closed in the range.
		hTicket{ID: "K3", Customer: "p", Channel: "chat", Created: "2026-03-11T08:00:00Z", Closed: "2026-03-11T09:00:00Z", Agent: "bob"},
		// A VIP ticket open for 8 days at the range's end: open, neither created nor closed in range.
		hTicket{ID: "K4", Customer: "v", Channel: "email", Created: "2026-03-04T10:00:00Z"},
		// Created in the range, still open.
		hTicket{ID: "K5", Channel: "chat", Created: "2026-03-11T12:00:00Z"},
		// Closed before the range: in no basis.
		hTicket{ID: "K6", Customer: "v", Channel: "email", Created: "2026-03-02T10:00:00Z", Closed: "2026-03-03T10:00:00Z", Agent: "alice"},
		// Created after the range, open: not open at its end.
		hTicket{ID: "K7", Customer: "v", Channel: "email", Created: "2026-03-12T10:00:00Z"},
	)
	h.surveys(
		hSurvey{Ticket: "K1", Sent: "2026-03-09T09:00:00Z", Responded: "2026-03-10T12:00:00Z", Score: 2},                 // in range
		hSurvey{Ticket: "K3", Sent: "2026-03-11T09:00:00Z", Responded: "2026-03-11T10:00:00Z", Score: 5},                 // in range
		hSurvey{Ticket: "K6", Sent: "2026-03-03T10:00:00Z", Responded: "2026-03-10T08:00:00Z", Score: 4},                 // in range, old ticket
		hSurvey{Ticket: "K2", Sent: "2026-03-10T10:30:00Z", Responded: "2026-03-12T10:00:00Z", Score: 1},                 // after the range
		hSurvey{Ticket: "K5", Sent: "2026-03-11T12:30:00Z", Responded: "", Score: 0},                                     // unanswered
		hSurvey{Ticket: "K4", Sent: "2026-03-04T11:00:00Z", Responded: "2026-03-10T11:00:00Z", Score: 3, Agent: "carol"}, // in range
	)
	ids := func(q string) []string {
		t.Helper()
		tab, err := h.engine(h.now).Tickets(ctx, h.request(q, mar10, "2026-03-12T00:00:00Z"))
		require.NoError(t, err)
		return h.column(tab, "id").([]string)
	}
	count := func(metric, filters string) float64 {
		t.Helper()
		res := h.metrics(`{"metrics": ["`+metric+`"], "filters": {`+filters+`}}`, mar10, "2026-03-12T00:00:00Z")
		return hFloats([]*float64{h.value(res, metric)})[0]
	}
	for _, c := range []struct {
		basis, filters, metric string
		want                   []string // newest first
	}{
		{"created", ``, "tickets", []string{"K5", "K3", "K2"}},
		{"created", `"channels": ["chat"]`, "tickets", []string{"K5", "K3"}},
		{"closed", ``, "closed_tickets", []string{"K3", "K1"}},
		{"closed", `"agents": ["alice"]`, "closed_tickets", []string{"K1"}},
		{"closed", `"channels": ["email"]`, "closed_tickets", nil},
		// Responses in range: K1 (2), K3 (5), K6 (4), K4 (3, its survey's own agent carol).
		{"responded", ``, "responses", []string{"K3", "K4", "K6", "K1"}},
		{"responded", `"scores": ["4", "5"]`, "responses", []string{"K3", "K6"}},
		{"responded", `"agents": ["carol"]`, "responses", []string{"K4"}},
		{"responded", `"agents": ["alice"]`, "responses", []string{"K6", "K1"}},
	} {
		q := `{"queryType": "tickets", "basis": "` + c.basis + `", "filters": {` + c.filters + `}}`
		got := ids(q)
		require.Equal(t, c.want, nilIfEmpty(got), q)
		require.Equal(t, float64(len(c.want)), count(c.metric, c.filters), "%s: %s counts the same tickets", q, c.metric)
	}

	// The queue: open at the range's end whatever their creation: K2 (closed after it), K4 (8 days
	// old), K5; not K7 (created after it) nor K6 (closed before). Newest first.
	require.Equal(t, []string{"K5", "K2", "K4"}, ids(`{"queryType": "tickets", "basis": "open"}`))
	// VIP ones (customer v carries the vip tag): K2 and K4, the one open for 8 days included.
	require.Equal(t, []string{"K2", "K4"}, ids(`{"queryType": "tickets", "basis": "open", "filters": {"segments": ["vip"]}}`))
	// Created in the range and still open now (only: open, the former queue): K5 only (K2 is closed now).
	require.Equal(t, []string{"K5"}, ids(`{"queryType": "tickets", "only": "open"}`))

	_, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "basis": "sent"}`, mar10, "2026-03-12T00:00:00Z"))
	require.ErrorContains(t, err, `unknown basis "sent" for tickets: use created, closed, responded, open`)
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// The tickets behind first response times are the answered ones, those behind the SLA rate the due
// ones: the list's first responses give the median and the rate of the metrics.
func TestSpecTicketsAnsweredAndDue(t *testing.T) {
	h := newHand(t, map[string]any{"slaTargets": map[string]any{"normal": 3600, "high": 600}})
	h.tickets(
		hTicket{ID: "A1", Customer: "c", Created: "2026-03-10T09:00:00Z"},
		hTicket{ID: "A2", Customer: "c", Priority: "high", Created: "2026-03-10T10:00:00Z"},
		hTicket{ID: "A3", Customer: "c", Created: "2026-03-10T11:00:00Z"},
		hTicket{ID: "A4", Customer: "c", Created: "2026-03-10T12:00:00Z"},
		hTicket{ID: "A5", Customer: "c", Created: "2026-03-10T13:00:00Z"},
		hTicket{ID: "A6", Customer: "c", Created: "2026-03-11T09:00:00Z"}, // after the range
	)
	h.messages(
		hMessage{"A1", "2026-03-10T09:00:00Z", "customer", ""},
		hMessage{"A1", "2026-03-10T09:30:00Z", "agent", "alice"}, // 1800 s <= 3600: met
		hMessage{"A2", "2026-03-10T10:00:00Z", "customer", ""},
		hMessage{"A2", "2026-03-10T10:20:00Z", "agent", "bob"}, // 1200 s > 600: missed
		hMessage{"A3", "2026-03-10T11:00:00Z", "customer", ""}, // no reply, target passed: missed
		hMessage{"A4", "2026-03-10T12:00:00Z", "customer", ""},
		hMessage{"A4", "2026-03-10T12:00:05Z", "bot", ""},      // a bot is no first response: missed
		hMessage{"A5", "2026-03-10T13:00:00Z", "agent", "bob"}, // outbound: neither answered nor due
		hMessage{"A6", "2026-03-11T09:00:00Z", "customer", ""},
		hMessage{"A6", "2026-03-11T09:01:00Z", "agent", "bob"},
	)
	list := func(only string) *engine.Table {
		t.Helper()
		tab, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "only": "`+only+`"}`, mar10, mar11))
		require.NoError(t, err)
		return tab
	}
	answered := list("answered")
	require.Equal(t, []string{"A2", "A1"}, h.column(answered, "id"))
	require.Equal(t, []float64{1200, 1800}, hFloats(h.column(answered, "first_response_seconds").([]*float64)))
	res := h.metrics(`{"metrics": ["first_response_seconds_p50", "first_response_sla_rate"]}`, mar10, mar11)
	h.approx(1200, h.value(res, "first_response_seconds_p50"), "median by nearest rank of 1200 and 1800: the listed ones")

	due := list("due")
	require.Equal(t, []string{"A4", "A3", "A2", "A1"}, h.column(due, "id"))
	h.approx(25, h.value(res, "first_response_sla_rate"), "A1 met of the 4 due tickets listed")

	_, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "only": "due", "basis": "closed"}`, mar10, mar11))
	require.ErrorContains(t, err, `only "due" applies to the tickets created in the range (basis created), not to basis closed`)
}

// TestSpecTicketsColumnOrder: a tickets table leads with the ticket id, the column it is sorted by,
// then the columns that say why a ticket is on the list (basis, then only); the other columns follow
// in their usual order, each still holding its own ticket's values.
func TestSpecTicketsColumnOrder(t *testing.T) {
	rest := func(skip ...string) []string {
		var out []string
		for _, k := range []string{"id", "created_at", "closed_at", "channel", "project", "topic", "priority", "tags", "agent",
			"segment", "first_response_seconds", "first_response_business_seconds", "handled_by", "converted", "credited_orders",
			"attributed_revenue", "csat_score"} {
			if !slices.Contains(skip, k) {
				out = append(out, k)
			}
		}
		return out
	}
	lead := func(keys ...string) []string { return append(keys, rest(keys...)...) }
	h := newHand(t, parisOffice(nil))
	drillFixture(h)
	for q, want := range map[string][]string{
		`{"queryType": "tickets"}`: lead("id", "created_at"),
		`{"queryType": "tickets", "sortBy": "revenue", "only": "converted"}`:                     lead("id", "attributed_revenue", "credited_orders"),
		`{"queryType": "tickets", "sortBy": "lowest_csat", "basis": "responded"}`:                lead("id", "csat_score"),
		`{"queryType": "tickets", "sortBy": "lowest_csat", "only": "rated"}`:                     lead("id", "csat_score"),
		`{"queryType": "tickets", "basis": "closed"}`:                                            lead("id", "created_at", "closed_at"),
		`{"queryType": "tickets", "basis": "open"}`:                                              lead("id", "created_at"),
		`{"queryType": "tickets", "only": "open", "sortBy": "revenue"}`:                          lead("id", "attributed_revenue", "closed_at"),
		`{"queryType": "tickets", "only": "answered"}`:                                           lead("id", "created_at", "first_response_seconds", "first_response_business_seconds"),
		`{"queryType": "tickets", "only": "due", "sortBy": "lowest_csat"}`:                       lead("id", "csat_score", "first_response_seconds", "first_response_business_seconds"),
		`{"queryType": "tickets", "sortBy": "revenue", "only": "converted", "basis": "created"}`: lead("id", "attributed_revenue", "credited_orders"),
	} {
		tab, err := h.engine(h.now).Tickets(ctx, h.request(q, mar10, mar11))
		require.NoError(t, err, q)
		var keys []string
		for _, c := range tab.Columns {
			keys = append(keys, c.Key)
		}
		require.Equal(t, want, keys, q)
	}
	// Moved columns keep their rows: by revenue, D1 (50.25, 2 orders, score 4) leads, then D3 and
	// D2 newest first.
	tab, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "sortBy": "revenue"}`, mar10, mar11))
	require.NoError(t, err)
	require.Equal(t, "attributed_revenue", tab.Columns[1].Key)
	require.Equal(t, []string{"D1", "D3", "D2"}, tab.Columns[0].Values)
	require.Equal(t, []float64{50.25, 0, 0}, tab.Columns[1].Values)
	require.Equal(t, []float64{2, 0, 0}, h.column(tab, "credited_orders")) // fractional shares under the linear model
	require.Equal(t, []string{"alice", "(none)", "(open)"}, h.column(tab, "agent"))
}

// scoreCounter records the tickets of each score read, apart for reads of every response (from is
// zero) and of the responses answered from an instant on.
type scoreCounter struct {
	*store.Store
	whole, after [][]string
}

func (c *scoreCounter) ReadTicketScores(ctx context.Context, ids []string, from time.Time) (map[string]int16, error) {
	if from.IsZero() {
		c.whole = append(c.whole, slices.Sorted(slices.Values(ids)))
	} else {
		c.after = append(c.after, slices.Sorted(slices.Values(ids)))
	}
	return c.Store.ReadTicketScores(ctx, ids, from)
}

// A ticket's CSAT score is its latest answered one (ties: the lowest). On the responded basis the
// survey read has the responses answered in range: only those answered after it are read, for the
// tickets answered in range; the created basis reads every response of its tickets. Both agree.
func TestLatestScoreOfEachTicket(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "S1", Customer: "c1", Created: "2026-03-09T08:00:00Z", Closed: "2026-03-09T09:00:00Z"},
		hTicket{ID: "S2", Customer: "c1", Created: "2026-03-10T08:00:00Z", Closed: "2026-03-10T09:00:00Z"},
		hTicket{ID: "S3", Customer: "c2", Created: "2026-03-10T08:00:00Z", Closed: "2026-03-10T09:00:00Z"},
		hTicket{ID: "S4", Customer: "c2", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z"},
		hTicket{ID: "S5", Customer: "c3", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-10T11:00:00Z"},
		hTicket{ID: "S6", Customer: "c3", Created: "2026-03-10T11:00:00Z", Closed: "2026-03-10T12:00:00Z"},
	)
	h.surveys(
		// S1: answered before the range (5), and again in it (2): 2.
		hSurvey{Ticket: "S1", Sent: "2026-03-09T09:00:00Z", Responded: "2026-03-09T10:00:00Z", Score: 5},
		hSurvey{Ticket: "S1", Sent: "2026-03-10T09:00:00Z", Responded: "2026-03-10T10:00:00Z", Score: 2},
		// S2: twice in the range, 2 then 5: 5.
		hSurvey{Ticket: "S2", Sent: "2026-03-10T09:00:00Z", Responded: "2026-03-10T10:00:00Z", Score: 2},
		hSurvey{Ticket: "S2", Sent: "2026-03-10T09:30:00Z", Responded: "2026-03-10T12:00:00Z", Score: 5},
		// S3: 1 in the range, 4 three days later: 4.
		hSurvey{Ticket: "S3", Sent: "2026-03-10T09:00:00Z", Responded: "2026-03-10T11:00:00Z", Score: 1},
		hSurvey{Ticket: "S3", Sent: "2026-03-13T09:00:00Z", Responded: "2026-03-13T10:00:00Z", Score: 4},
		// S4: 5 and 3 at the same instant: 3.
		hSurvey{Ticket: "S4", Sent: "2026-03-10T10:00:00Z", Responded: "2026-03-10T13:00:00Z", Score: 5},
		hSurvey{Ticket: "S4", Sent: "2026-03-10T10:30:00Z", Responded: "2026-03-10T13:00:00Z", Score: 3},
		// S5: 4 in the range, then a survey sent after it and never answered: 4.
		hSurvey{Ticket: "S5", Sent: "2026-03-10T11:00:00Z", Responded: "2026-03-10T14:00:00Z", Score: 4},
		hSurvey{Ticket: "S5", Sent: "2026-03-13T11:00:00Z"},
		// S6: sent in the range, never answered: no score.
		hSurvey{Ticket: "S6", Sent: "2026-03-10T12:00:00Z"},
	)
	scores := func(tab *engine.Table) map[string]int64 {
		out := map[string]int64{}
		for k, id := range h.column(tab, "id").([]string) {
			if s := h.column(tab, "csat_score").([]*int64)[k]; s != nil {
				out[id] = *s
			}
		}
		return out
	}
	want := map[string]int64{"S1": 2, "S2": 5, "S3": 4, "S4": 3, "S5": 4}
	for _, cache := range []bool{false, true} {
		reads := &scoreCounter{Store: h.stores.Helpdesk}
		e := engine.New(h.settings, reads, h.stores.Orders).WithClock(func() time.Time { return h.now })
		if cache {
			e = e.Cached(engine.NewCache(time.Minute, 64))
		}
		tab, err := e.Tickets(ctx, h.request(`{"queryType": "tickets", "basis": "responded", "only": "rated", "sortBy": "lowest_csat"}`, mar10, mar11))
		require.NoError(t, err)
		require.Equal(t, []string{"S1", "S4", "S5", "S3", "S2"}, h.column(tab, "id"), "lowest score first, then newest created")
		require.Equal(t, want, scores(tab))
		// Every ticket answered in range is in the survey read: none is read whole.
		require.Equal(t, [][]string{{"S1", "S2", "S3", "S4", "S5"}}, reads.after)
		require.Empty(t, reads.whole)

		tab, err = e.Tickets(ctx, h.request(`{"queryType": "tickets"}`, mar10, mar11))
		require.NoError(t, err)
		want := map[string]int64{"S2": 5, "S3": 4, "S4": 3, "S5": 4} // S1 was created before the range
		require.Equal(t, want, scores(tab))
		if !cache { // through the cache the scores of the first query are kept with the ticket read
			require.Equal(t, [][]string{{"S2", "S3", "S4", "S5", "S6"}}, reads.whole)
		}
	}
}

// ticketReads counts the ticket reads: of ranges, and of the rest of a queue; and records the tickets
// whose messages are read by id.
type ticketReads struct {
	*store.Store
	ranges, rests int
	messages      [][]string
	messageReads  int
}

func (c *ticketReads) ScanMessages(ctx context.Context, r store.MessageRead, f func([]byte, int64, uint8)) error {
	c.messageReads++
	return c.Store.ScanMessages(ctx, r, f)
}

func (c *ticketReads) ReadMessages(ctx context.Context, r store.MessageRead) (*store.Messages, error) {
	c.messageReads++
	if len(r.IDs) > 0 {
		c.messages = append(c.messages, slices.Sorted(slices.Values(r.IDs)))
	}
	return c.Store.ReadMessages(ctx, r)
}

func (c *ticketReads) ReadTickets(ctx context.Context, r store.TicketRead) (*store.Tickets, error) {
	if r.Rest != nil {
		c.rests++
	} else {
		c.ranges++
	}
	return c.Store.ReadTickets(ctx, r)
}

// A queue lists the tickets of the range's read open at its end, and the rest of those open then,
// read apart: through a cache the other panels' read is not read again. The rest were created before
// the orders the range's attribution reads begin (the range less a window): no credit.
func TestQueueReadsTheRestApart(t *testing.T) {
	h := newHand(t, nil)
	const end = "2026-03-12T00:00:00Z" // the range [mar10, end); the attribution reads orders from 03-07
	h.tickets(
		hTicket{ID: "Q1", Customer: "c1", Created: "2026-03-11T10:00:00Z"},                                 // created in range
		hTicket{ID: "Q2", Customer: "c2", Created: "2026-03-06T12:00:00Z"},                                 // before 03-07: the rest
		hTicket{ID: "Q3", Customer: "c3", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-13T10:00:00Z"}, // closed after the range
		hTicket{ID: "Q4", Customer: "c3", Created: "2026-03-01T11:00:00Z", Closed: "2026-03-11T10:00:00Z"}, // closed in it: not open
		hTicket{ID: "Q5", Customer: "c5", Created: "2026-03-02T10:00:00Z"},                                 // old, surveyed in range
		hTicket{ID: "Q6", Customer: "c6", Created: "2026-03-08T00:00:00Z"},                                 // in the window before the range
	)
	h.surveys(hSurvey{Ticket: "Q5", Sent: "2026-03-10T09:00:00Z", Responded: "2026-03-10T10:00:00Z", Score: 2})
	h.messages(
		hMessage{"Q3", "2026-03-01T10:00:00Z", "customer", ""},
		hMessage{"Q3", "2026-03-01T10:30:00Z", "agent", "a"}, // Q3, of the rest, human
		hMessage{"Q1", "2026-03-11T10:00:00Z", "customer", ""},
		hMessage{"Q1", "2026-03-11T10:00:05Z", "bot", ""}, // Q1 automated
	)
	h.orders(
		hOrder{ID: "O2", Customer: "c2", Created: "2026-03-07T06:00:00Z", Total: "10.00"}, // in Q2's window, before the range
		hOrder{ID: "O6", Customer: "c6", Created: "2026-03-09T00:00:00Z", Total: "20.00"}, // Q6's
	)
	for _, cache := range []bool{false, true} {
		reads := &ticketReads{Store: h.stores.Helpdesk}
		e := engine.New(h.settings, reads, h.stores.Orders).WithClock(func() time.Time { return h.now })
		if cache {
			e = e.Cached(engine.NewCache(time.Minute, 64))
			// Another panel of the refresh: the queue shares its read.
			_, err := e.Tickets(ctx, h.request(`{"queryType": "tickets"}`, mar10, end))
			require.NoError(t, err)
		}
		run := func(q string) *engine.Table {
			t.Helper()
			tab, err := e.Tickets(ctx, h.request(q, mar10, end))
			require.NoError(t, err)
			return tab
		}
		tab := run(`{"queryType": "tickets", "basis": "open"}`)
		require.Equal(t, []string{"Q1", "Q6", "Q2", "Q5", "Q3"}, h.column(tab, "id"), "cache %v", cache)
		require.Equal(t, []float64{0, 1, 0, 0, 0}, h.column(tab, "credited_orders"), "only Q6's window is read whole")
		require.Equal(t, []float64{0, 20, 0, 0, 0}, h.column(tab, "attributed_revenue"))
		require.Empty(t, tab.Notices)
		require.Contains(t, tab.Executed, "tickets open at 2026-03-12T00:00:00Z created before 2026-03-07T00:00:00Z")
		require.Equal(t, 1, reads.ranges, "one read of the range, shared through the cache")
		require.Equal(t, 1, reads.rests)

		// The two parts merged, then cut at the limit: Q2 comes from the rest. The details (here
		// the first responses) are read for the rows shown only.
		reads.messages = nil
		tab = run(`{"queryType": "tickets", "basis": "open", "limit": 3}`)
		require.Equal(t, []string{"Q1", "Q6", "Q2"}, h.column(tab, "id"))
		require.Equal(t, []string{"showing the first 3 of 5 tickets: raise limit or narrow the filters to see the rest"}, tab.Notices)
		require.Equal(t, [][]string{{"Q1", "Q6"}, {"Q2"}}, reads.messages)
		reads.messages = nil
		tab = run(`{"queryType": "tickets", "basis": "open", "limit": 2}`)
		require.Equal(t, []string{"Q1", "Q6"}, h.column(tab, "id"))
		require.Equal(t, [][]string{{"Q1", "Q6"}}, reads.messages, "nothing read for the rest's rows cut")
		// Rated first, lowest score first, then newest; Q5 (rated 2) comes from either part.
		tab = run(`{"queryType": "tickets", "basis": "open", "sortBy": "lowest_csat"}`)
		require.Equal(t, []string{"Q5", "Q1", "Q6", "Q2", "Q3"}, h.column(tab, "id"))
		tab = run(`{"queryType": "tickets", "basis": "open", "sortBy": "revenue", "limit": 2}`)
		require.Equal(t, []string{"Q6", "Q1"}, h.column(tab, "id"))
		require.Equal(t, []float64{20, 0}, h.column(tab, "attributed_revenue"))
		tab = run(`{"queryType": "tickets", "basis": "open", "only": "converted"}`)
		require.Equal(t, []string{"Q6"}, h.column(tab, "id"))
		// Who handled them: the messages of the rest are read for its tickets too.
		tab = run(`{"queryType": "tickets", "basis": "open", "filters": {"handledBy": ["human", "automated"]}}`)
		require.Equal(t, []string{"Q1", "Q3"}, h.column(tab, "id"))
		require.Equal(t, []string{"automated", "human"}, h.column(tab, "handled_by"))
		// Anchored at the close, the range's read holds every ticket still open: the rest has none
		// of them again.
		tab = run(`{"queryType": "tickets", "basis": "open", "attribution": {"anchor": "closed"}}`)
		require.Equal(t, []string{"Q1", "Q6", "Q2", "Q5", "Q3"}, h.column(tab, "id"))
	}
}

// A drill-down on the responded basis reads, through a cache, the tickets answered in range alone.
// Its rows are credited as the read the other panels share credits them: through that read's
// tickets of the rows' customers, answered or not, which cut and share the rows' windows.
func TestRespondedRowsCreditedThroughTheirCustomersTickets(t *testing.T) {
	h := newHand(t, nil) // window 72 h, last touch, anchored at the creation
	const end = "2026-03-12T00:00:00Z"
	h.tickets(
		hTicket{ID: "A1", Customer: "c1", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-10T11:00:00Z", Agent: "al"}, // answered
		hTicket{ID: "A2", Customer: "c1", Created: "2026-03-10T20:00:00Z"},                                              // not surveyed: cuts A1's window
		// Created long before the range, closed in it, answered in it.
		hTicket{ID: "B1", Customer: "c2", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-10T09:00:00Z", Agent: "al"},
		hTicket{ID: "B0", Customer: "c2", Created: "2026-02-20T10:00:00Z"}, // still open, never surveyed
	)
	h.surveys(
		hSurvey{Ticket: "A1", Sent: "2026-03-10T11:00:00Z", Responded: "2026-03-10T12:00:00Z", Score: 2},
		hSurvey{Ticket: "B1", Sent: "2026-03-10T09:00:00Z", Responded: "2026-03-10T09:30:00Z", Score: 1},
	)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T15:00:00Z", Total: "100.00"}, // A1's
		hOrder{ID: "O2", Customer: "c1", Created: "2026-03-11T09:00:00Z", Total: "50.00"},  // A2's: the latest touch
		hOrder{ID: "O3", Customer: "c2", Created: "2026-03-10T12:00:00Z", Total: "30.00"},  // B1's only anchored at the close
	)
	cases := []struct {
		attribution     string
		orders, revenue []float64 // B1, A1 (lowest score first)
	}{
		{``, []float64{0, 1}, []float64{0, 100}},
		{`, "attribution": {"anchor": "closed"}`, []float64{1, 1}, []float64{30, 100}},
		// Linear, anchored at the close: B0, open, shares O3 with B1; A1 and A2 share O2.
		{`, "attribution": {"anchor": "closed", "model": "linear"}`, []float64{0.5, 1.5}, []float64{15, 125}},
	}
	// Direct; through a cache alone; through a cache after an attribution panel of the same refresh,
	// whose read of every ticket of the range serves the drill-down too.
	for _, mode := range []string{"direct", "cache", "shared"} {
		reads := &ticketReads{Store: h.stores.Helpdesk}
		e := engine.New(h.settings, reads, h.stores.Orders).WithClock(func() time.Time { return h.now })
		if mode != "direct" {
			e = e.Cached(engine.NewCache(time.Minute, 64))
		}
		for _, c := range cases {
			if mode == "shared" {
				_, err := e.Metrics(ctx, h.request(`{"metrics": ["attributed_revenue"]`+c.attribution+`}`, mar10, end))
				require.NoError(t, err)
			}
			q := `{"queryType": "tickets", "basis": "responded", "only": "rated", "sortBy": "lowest_csat"` + c.attribution + `}`
			tab, err := e.Tickets(ctx, h.request(q, mar10, end))
			require.NoError(t, err, q)
			require.Equal(t, []string{"B1", "A1"}, h.column(tab, "id"), q)
			require.Equal(t, c.orders, h.column(tab, "credited_orders"), "%s: %s", mode, q)
			require.Equal(t, c.revenue, h.column(tab, "attributed_revenue"), "%s: %s", mode, q)
			if mode == "cache" {
				require.Contains(t, tab.Executed, "tickets with a CSAT response answered", q)
				require.Contains(t, tab.Executed, "tickets of the 2 customers of the rows shown", q)
			} else {
				require.NotContains(t, tab.Executed, "tickets with a CSAT response answered", q)
				require.Contains(t, tab.Executed, "tickets created", q)
			}
		}
		if mode == "shared" {
			require.Equal(t, 2, reads.ranges, "one ticket read per anchor, shared by both panels")
		}
	}
}
