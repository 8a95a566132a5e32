package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/frames"
)

// Ad hoc filters (SPEC 4): the dashboard's filters reach the backend inside the query JSON, as
// adhocFilters, and are ANDed with the query's own filters. Four tickets of 10 March:
//
//	T1 alice, chat,  tags refund+vip, CSAT 5
//	T2 bob,   email, tag refund,      CSAT 2
//	T3 carol, chat,  no tag
//	T4 open,  phone, tag vip
func adhocHand(t *testing.T) *hand {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "T1", Customer: "c1", Channel: "chat", Tags: []string{"refund", "vip"}, Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "alice"},
		hTicket{ID: "T2", Customer: "c2", Channel: "email", Tags: []string{"refund"}, Created: "2026-03-10T11:00:00Z", Closed: "2026-03-10T12:00:00Z", Agent: "bob"},
		hTicket{ID: "T3", Customer: "c3", Channel: "chat", Created: "2026-03-10T13:00:00Z", Closed: "2026-03-10T14:00:00Z", Agent: "carol"},
		hTicket{ID: "T4", Customer: "c4", Channel: "phone", Tags: []string{"vip"}, Created: "2026-03-10T15:00:00Z"},
	)
	h.surveys(
		hSurvey{Ticket: "T1", Sent: "2026-03-10T10:00:00Z", Responded: "2026-03-10T10:30:00Z", Score: 5},
		hSurvey{Ticket: "T2", Sent: "2026-03-10T12:00:00Z", Responded: "2026-03-10T12:30:00Z", Score: 2},
	)
	return h
}

func TestAdhocEquals(t *testing.T) {
	h := adhocHand(t)
	res := h.metrics(`{"metrics": ["tickets"], "adhocFilters": [{"key": "agent", "operator": "=", "value": "alice"}]}`, mar10, mar11)
	h.approx(1, h.value(res, "tickets"), "agent = alice: T1")
	require.Empty(t, res.Notices)
	require.Contains(t, res.Executed, "ad hoc filter agent = alice")

	// The filters key (plural) names the same dimension.
	res = h.metrics(`{"metrics": ["tickets"], "adhocFilters": [{"key": "channels", "operator": "=", "value": "chat"}]}`, mar10, mar11)
	h.approx(2, h.value(res, "tickets"), "channel = chat: T1, T3")

	// ANDed with the query's own filters: chat tickets of bob are none.
	res = h.metrics(`{"metrics": ["tickets"], "filters": {"channels": ["chat"]}, "adhocFilters": [{"key": "agent", "operator": "=", "value": "bob"}]}`, mar10, mar11)
	h.approx(0, h.value(res, "tickets"), "chat and bob")

	// On the same multi-valued dimension, both hold: tagged refund (T1, T2) and tagged vip (T1, T4) is T1,
	// counted under each tag one of the filters names.
	res = h.metrics(`{"metrics": ["tickets"], "groupBy": ["tag"], "filters": {"tags": ["refund"]}, "adhocFilters": [{"key": "tag", "operator": "=", "value": "vip"}]}`, mar10, mar11)
	require.Equal(t, [][]string{{"refund"}, {"vip"}}, hGroupLabels(res))
	h.approx(1, h.value(res, "tickets", "refund"), "T1 under refund")
	h.approx(1, h.value(res, "tickets", "vip"), "T1 under vip")

	// CSAT rows take their ticket's dimensions: channel = chat keeps T1's 5.
	res = h.metrics(`{"metrics": ["responses", "csat"], "adhocFilters": [{"key": "channel", "operator": "=", "value": "chat"}]}`, mar10, mar11)
	h.approx(1, h.value(res, "responses"), "responses of chat tickets")
	h.approx(100, h.value(res, "csat"), "CSAT of chat tickets: one 5")
}

func TestAdhocNotEquals(t *testing.T) {
	h := adhocHand(t)
	res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["agent"], "adhocFilters": [{"key": "agent", "operator": "!=", "value": "alice"}]}`, mar10, mar11)
	require.Equal(t, [][]string{{"(open)"}, {"bob"}, {"carol"}}, hGroupLabels(res))
	h.approx(1, h.value(res, "tickets", "bob"), "bob")

	// A ticket with several tags is left out when one of them is excluded: not refund is T3 and T4.
	res = h.metrics(`{"metrics": ["tickets"], "adhocFilters": [{"key": "tag", "operator": "!=", "value": "refund"}]}`, mar10, mar11)
	h.approx(2, h.value(res, "tickets"), "tag != refund")
	res = h.metrics(`{"metrics": ["tickets"], "groupBy": ["tag"], "adhocFilters": [{"key": "tag", "operator": "!=", "value": "refund"}]}`, mar10, mar11)
	require.Equal(t, [][]string{{"(none)"}, {"vip"}}, hGroupLabels(res))

	// ANDed with an include filter on the same key: chat but not alice is T3.
	res = h.metrics(`{"metrics": ["tickets"], "filters": {"channels": ["chat", "email"]}, "adhocFilters": [{"key": "channel", "operator": "!=", "value": "email"}, {"key": "agent", "operator": "!=", "value": "alice"}]}`, mar10, mar11)
	h.approx(1, h.value(res, "tickets"), "chat or email, not email, not alice")

	// Time series: every bucket is still there, the excluded tickets are not counted.
	res = h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "day", "adhocFilters": [{"key": "channel", "operator": "!=", "value": "chat"}]}`, mar10, "2026-03-12T00:00:00Z")
	require.Equal(t, []float64{2, 0}, hFloats(h.series(res, "tickets")))

	// The drill-down lists the same tickets, with the score as its latest CSAT: not 5 keeps T2 (2) and
	// the unrated T3 and T4.
	tab, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "adhocFilters": [{"key": "score", "operator": "!=", "value": "5"}]}`, mar10, mar11))
	require.NoError(t, err)
	require.Equal(t, []string{"T4", "T3", "T2"}, h.column(tab, "id"))
	tab, err = h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "adhocFilters": [{"key": "agent", "operator": "!=", "value": "bob"}, {"key": "tag", "operator": "!=", "value": "vip"}]}`, mar10, mar11))
	require.NoError(t, err)
	require.Equal(t, []string{"T3"}, h.column(tab, "id"))
}

func TestAdhocOneOf(t *testing.T) {
	h := adhocHand(t)
	res := h.metrics(`{"metrics": ["tickets"], "adhocFilters": [{"key": "channel", "operator": "=|", "value": "", "values": ["chat", "phone"]}]}`, mar10, mar11)
	h.approx(3, h.value(res, "tickets"), "chat or phone: T1, T3, T4")
	res = h.metrics(`{"metrics": ["tickets"], "filters": {"agents": ["alice", "bob"]}, "adhocFilters": [{"key": "channel", "operator": "=|", "values": ["chat", "phone"]}]}`, mar10, mar11)
	h.approx(1, h.value(res, "tickets"), "alice or bob, and chat or phone: T1")
	res = h.metrics(`{"metrics": ["tickets"], "adhocFilters": [{"key": "agent", "operator": "!=|", "values": ["alice", "bob"]}]}`, mar10, mar11)
	h.approx(2, h.value(res, "tickets"), "neither alice nor bob: T3, T4")

	tab, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "adhocFilters": [{"key": "score", "operator": "=|", "values": ["1", "2"]}]}`, mar10, mar11))
	require.NoError(t, err)
	require.Equal(t, []string{"T2"}, h.column(tab, "id"))
}

func TestAdhocUnsupportedOperatorIsANotice(t *testing.T) {
	h := adhocHand(t)
	res := h.metrics(`{"metrics": ["tickets"], "adhocFilters": [{"key": "agent", "operator": "=~", "value": "al.*"}, {"key": "channel", "operator": "=", "value": "chat"}]}`, mar10, mar11)
	h.approx(2, h.value(res, "tickets"), "channel = chat applied, the regex not")
	require.Len(t, res.Notices, 1)
	require.Contains(t, res.Notices[0], `the ad hoc filter agent =~ al.* was not applied: operator "=~" is not supported`)
	require.Contains(t, res.Notices[0], "use =, !=, =| (one of) and !=| (none of)")

	tab, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "adhocFilters": [{"key": "agent", "operator": "<", "value": "b"}]}`, mar10, mar11))
	require.NoError(t, err)
	require.Len(t, tab.Notices, 1)
	require.Contains(t, tab.Notices[0], `operator "<" is not supported`)
	require.Len(t, h.column(tab, "id"), 4)
}

// A dashboard-wide filter a panel's metrics cannot apply is told of on that panel, not an error.
func TestAdhocNotApplicableIsANotice(t *testing.T) {
	h := adhocHand(t)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-10T09:30:00Z", Total: "100.00"},
		hOrder{ID: "O2", Customer: "c9", Created: "2026-03-10T16:00:00Z", Total: "25.50"},
	)
	res := h.metrics(`{"metrics": ["revenue"], "adhocFilters": [{"key": "agent", "operator": "=", "value": "alice"}]}`, mar10, mar11)
	h.exact(125.5, h.value(res, "revenue"), "revenue is not filtered by agent")
	// Expected on a dashboard-wide filter: an info notice, not a warning.
	require.Empty(t, res.Notices)
	require.Len(t, res.Info, 1)
	require.Contains(t, res.Info[0], "the ad hoc filter agent = alice was not applied to this query: metric revenue cannot be filtered by agent")

	tab, err := h.engine(h.now).LiveFeed(ctx, h.request(`{"queryType": "live_feed", "adhocFilters": [{"key": "agent", "operator": "=", "value": "alice"}]}`, mar10, mar11))
	require.NoError(t, err)
	require.Empty(t, tab.Notices)
	require.Equal(t, []string{"the ad hoc filter agent = alice was not applied to this query: a live_feed query cannot be filtered"}, tab.Info)
}

func TestAdhocUnknownKeyIsAnError(t *testing.T) {
	h := adhocHand(t)
	err := h.metricsErr(`{"metrics": ["tickets"], "adhocFilters": [{"key": "agnt", "operator": "=", "value": "alice"}]}`, mar10, mar11)
	// Worded as an unknown key of filters is, listing the dimension keys (from the dimension table).
	require.ErrorContains(t, err, `unknown ad hoc filter key "agnt": this data source filters by agent, channel, project, topic, tag, priority`)
	require.ErrorContains(t, err, "customer_type")
	require.ErrorContains(t, err, "handled_by")
	err = h.metricsErr(`{"metrics": ["tickets"], "adhocFilters": [{"key": "time", "operator": "=", "value": "x"}]}`, mar10, mar11)
	require.ErrorContains(t, err, `unknown ad hoc filter key "time"`)
	err = h.metricsErr(`{"metrics": ["tickets"], "adhocFilters": [{"key": "segment", "operator": "!=", "value": "vips"}]}`, mar10, mar11)
	require.ErrorContains(t, err, `unknown segment "vips" in the ad hoc filter segment != vips`)
}

// A time series grouped by agent where the filters leave no agent has no series: its frame has no
// fields, which Grafana shows as "No data". Without the second dimension the series stays, zero-valued
// (SPEC 5.8).
func TestAdhocEmptyTimeSeriesIsNoData(t *testing.T) {
	h := adhocHand(t)
	q := `{"metrics": ["tickets"], "groupBy": ["time", "agent"], "interval": "day", "adhocFilters": [{"key": "agent", "operator": "=", "value": "nobody"}]}`
	res := h.metrics(q, mar10, "2026-03-12T00:00:00Z")
	require.Empty(t, res.Groups)
	require.Empty(t, frames.Metrics("A", res).Fields)

	res = h.metrics(`{"metrics": ["tickets"], "groupBy": ["time"], "interval": "day", "adhocFilters": [{"key": "agent", "operator": "=", "value": "nobody"}]}`, mar10, "2026-03-12T00:00:00Z")
	require.Equal(t, []float64{0, 0}, hFloats(h.series(res, "tickets")))
	require.Len(t, frames.Metrics("A", res).Fields, 2)
}

// Ad hoc filters on handled_by (key handled_by or handledBy), with the population rule: a value they
// exclude is not a row, whatever the metrics. handledFixture (spec_handled_test.go), March: H1 and H6
// automated, H2 mixed, H3 and H7 (created in February) human, H4 and H5 unanswered.
func TestAdhocHandledBy(t *testing.T) {
	h := newHand(t, nil)
	handledFixture(h)

	res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["handled_by"], "adhocFilters": [{"key": "handled_by", "operator": "!=", "value": "unanswered"}]}`, mar1, apr1)
	require.Equal(t, [][]string{{"automated"}, {"human"}, {"mixed"}}, hGroupLabels(res))
	h.approx(2, h.value(res, "tickets", "automated"), "H1, H6")
	h.approx(1, h.value(res, "tickets", "human"), "H3")
	h.approx(1, h.value(res, "tickets", "mixed"), "H2")
	require.Empty(t, res.Notices)
	require.Empty(t, res.Info)

	// The attribution metrics' population is the range's tickets that pass the filters: without the
	// excluded values, and with 0 where nothing converted. automated: O1 100.00 + O6 10.00; human: O4 50.00.
	res = h.metrics(`{"metrics": ["attributed_revenue"], "groupBy": ["handled_by"], "adhocFilters": [{"key": "handledBy", "operator": "!=|", "values": ["mixed", "unanswered"]}]}`, mar1, apr1)
	require.Equal(t, [][]string{{"automated"}, {"human"}}, hGroupLabels(res))
	h.exact(110, h.value(res, "attributed_revenue", "automated"), "H1, H6")
	h.exact(50, h.value(res, "attributed_revenue", "human"), "H3")
	res = h.metrics(`{"metrics": ["attributed_revenue"], "groupBy": ["handled_by"], "adhocFilters": [{"key": "handled_by", "operator": "=", "value": "unanswered"}]}`, mar1, apr1)
	require.Equal(t, [][]string{{"unanswered"}}, hGroupLabels(res))
	h.exact(0, h.value(res, "attributed_revenue", "unanswered"), "H4, H5 converted nothing")

	// ANDed with filters.handledBy: automated or human, not automated.
	res = h.metrics(`{"metrics": ["tickets"], "filters": {"handledBy": ["automated", "human"]}, "adhocFilters": [{"key": "handled_by", "operator": "!=", "value": "automated"}]}`, mar1, apr1)
	h.approx(1, h.value(res, "tickets"), "H3")

	// A value handled_by never has is an error naming the valid ones, as in filters.handledBy.
	err := h.metricsErr(`{"metrics": ["tickets"], "adhocFilters": [{"key": "handled_by", "operator": "=", "value": "bots"}]}`, mar1, apr1)
	require.ErrorContains(t, err, `unknown value "bots" in the ad hoc filter handled_by = bots: use automated, human, mixed, unanswered`)

	// The drill-down on each basis: closed in March and human is H3 and H7 (created in February);
	// answered in March and not human is H4, H2, H1 (H3 and H7 are human).
	tab, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "basis": "closed", "adhocFilters": [{"key": "handled_by", "operator": "=", "value": "human"}]}`, mar1, apr1))
	require.NoError(t, err)
	require.Equal(t, []string{"H3", "H7"}, h.column(tab, "id"))
	tab, err = h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets", "basis": "responded", "adhocFilters": [{"key": "handledBy", "operator": "!=", "value": "human"}]}`, mar1, apr1))
	require.NoError(t, err)
	require.Equal(t, []string{"H4", "H2", "H1"}, h.column(tab, "id"))
}

// The population rule with an excluding ad hoc filter on the grouped dimension: an attribution metric
// by agent has a row, 0, for every agent of the range's tickets but the excluded one.
func TestAdhocExcludedValueIsNoGroup(t *testing.T) {
	h := adhocHand(t)
	res := h.metrics(`{"metrics": ["converted_tickets"], "groupBy": ["agent"], "adhocFilters": [{"key": "agent", "operator": "!=", "value": "alice"}]}`, mar10, mar11)
	require.Equal(t, [][]string{{"(open)"}, {"bob"}, {"carol"}}, hGroupLabels(res))
	h.approx(0, h.value(res, "converted_tickets", "bob"), "no order")
}

// Ad hoc filters beside an unset dashboard variable: the variable's one info notice stays (the filter
// it held is dropped), and the ad hoc filters still apply.
func TestAdhocWithUnsetVariable(t *testing.T) {
	h := adhocHand(t)
	res := h.metrics(`{"metrics": ["tickets"], "filters": {"agents": ["$agent"]}, "adhocFilters": [{"key": "channel", "operator": "=", "value": "chat"}]}`, mar10, mar11)
	h.approx(2, h.value(res, "tickets"), "every agent, chat: T1, T3")
	require.Empty(t, res.Notices)
	require.Equal(t, []string{"Filter agents ($agent) is a dashboard variable that was not set (public or embedded dashboard, or alert rule): showing all agents."}, res.Info)

	res = h.metrics(`{"metrics": ["tickets", "revenue"], "filters": {"agents": ["$agent"]}, "adhocFilters": [{"key": "agent", "operator": "!=", "value": "bob"}]}`, mar10, mar11)
	require.Empty(t, res.Notices)
	require.Len(t, res.Info, 2, "%q", res.Info)
	require.Contains(t, res.Info[0], "Filter agents ($agent)")
	require.Contains(t, res.Info[1], "the ad hoc filter agent != bob was not applied to this query: metric revenue cannot be filtered by agent")
}
