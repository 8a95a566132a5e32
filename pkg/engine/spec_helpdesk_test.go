package engine_test

// Hand-computed tests of segments (SPEC 5.4), CSAT (5.3) and the helpdesk ticket metrics (5.1).

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// March 2026, UTC.
const (
	mar1 = "2026-03-01T00:00:00Z"
	apr1 = "2026-04-01T00:00:00Z"
)

// segmentFixture: one ticket per case of SPEC 5.4, judged as of its closing (or creation while open).
func segmentFixture(h *hand) {
	h.customers(hCustomer{Key: "c4", Created: "2025-01-01T00:00:00Z", Tags: []string{"gold", "vip"}})
	h.tickets(
		hTicket{ID: "P1", Customer: "c1", Created: "2026-03-05T10:00:00Z", Closed: "2026-03-05T11:00:00Z", Agent: "a"},
		hTicket{ID: "N1", Customer: "c2", Created: "2026-03-06T10:00:00Z", Closed: "2026-03-06T12:00:00Z", Agent: "a"},
		hTicket{ID: "R1", Customer: "c3", Created: "2026-03-07T08:00:00Z", Closed: "2026-03-07T10:00:00Z", Agent: "a"},
		hTicket{ID: "V1", Customer: "c4", Created: "2026-03-08T10:00:00Z", Closed: "2026-03-08T11:00:00Z", Agent: "a"},
		hTicket{ID: "V2", Customer: "c5", Created: "2026-03-09T10:00:00Z", Closed: "2026-03-09T11:00:00Z", Agent: "a"},
		hTicket{ID: "V3", Customer: "c6", Created: "2026-03-10T10:00:00Z", Closed: "2026-03-10T11:00:00Z", Agent: "a"},
		hTicket{ID: "R2", Customer: "c7", Created: "2026-03-11T10:00:00Z", Closed: "2026-03-11T11:00:00Z", Agent: "a"},
		hTicket{ID: "U1", Created: "2026-03-12T10:00:00Z", Closed: "2026-03-12T11:00:00Z", Agent: "a"},
		hTicket{ID: "N2", Customer: "c8", Created: "2026-03-13T10:00:00Z"}, // open: judged at creation
	)
	h.orders(
		// c1: its only order comes after P1 closed: P1 stays a prospect.
		hOrder{ID: "c1-1", Customer: "c1", Created: "2026-03-20T00:00:00Z", Total: "30.00"},
		// c2: one order before (in history, before the range), one after: N1 is new_buyer.
		hOrder{ID: "c2-1", Customer: "c2", Created: "2026-01-15T00:00:00Z", Total: "20.00"},
		hOrder{ID: "c2-2", Customer: "c2", Created: "2026-03-25T00:00:00Z", Total: "40.00"},
		// c3: one order in history, one after R1's creation but before its closing: returning.
		hOrder{ID: "c3-1", Customer: "c3", Created: "2026-02-01T00:00:00Z", Total: "10.00"},
		hOrder{ID: "c3-2", Customer: "c3", Created: "2026-03-07T09:00:00Z", Total: "10.00"},
		// c4: no order, tagged vip: vip.
		// c5: one order of exactly 500.00 (vipMinSpent 500): vip.
		hOrder{ID: "c5-1", Customer: "c5", Created: "2026-02-10T00:00:00Z", Total: "500.00"},
		// c6: five orders of 1.00 (vipMinOrders 5): vip.
		hOrder{ID: "c6-1", Customer: "c6", Created: "2026-01-01T00:00:00Z", Total: "1.00"},
		hOrder{ID: "c6-2", Customer: "c6", Created: "2026-01-02T00:00:00Z", Total: "1.00"},
		hOrder{ID: "c6-3", Customer: "c6", Created: "2026-01-03T00:00:00Z", Total: "1.00"},
		hOrder{ID: "c6-4", Customer: "c6", Created: "2026-01-04T00:00:00Z", Total: "1.00"},
		hOrder{ID: "c6-5", Customer: "c6", Created: "2026-01-05T00:00:00Z", Total: "1.00"},
		// c7: four eligible orders of 100.00 and a cancelled 200.00: 4 orders, 400.00: returning.
		hOrder{ID: "c7-1", Customer: "c7", Created: "2026-01-01T00:00:00Z", Total: "100.00"},
		hOrder{ID: "c7-2", Customer: "c7", Created: "2026-01-02T00:00:00Z", Total: "100.00"},
		hOrder{ID: "c7-3", Customer: "c7", Created: "2026-01-03T00:00:00Z", Total: "100.00"},
		hOrder{ID: "c7-4", Customer: "c7", Created: "2026-01-04T00:00:00Z", Total: "100.00"},
		hOrder{ID: "c7-5", Customer: "c7", Created: "2026-01-05T00:00:00Z", Total: "200.00", Status: "cancelled"},
		// c8: one order before N2's creation, one after: new_buyer.
		hOrder{ID: "c8-1", Customer: "c8", Created: "2026-03-13T09:00:00Z", Total: "15.00"},
		hOrder{ID: "c8-2", Customer: "c8", Created: "2026-03-13T11:00:00Z", Total: "15.00"},
	)
}

func TestSpecSegmentsPointInTime(t *testing.T) {
	t.Run("default VIP rule", func(t *testing.T) {
		h := newHand(t, nil) // vipMinSpent 500, vipMinOrders 5, vipTags [vip]
		segmentFixture(h)
		res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["segment"]}`, mar1, apr1)
		require.Equal(t, [][]string{{"new_buyer"}, {"prospect"}, {"returning"}, {"unidentified"}, {"vip"}}, hGroupLabels(res))
		h.approx(1, h.value(res, "tickets", "prospect"), "prospect: P1")
		h.approx(2, h.value(res, "tickets", "new_buyer"), "new_buyer: N1, N2")
		h.approx(2, h.value(res, "tickets", "returning"), "returning: R1, R2")
		h.approx(3, h.value(res, "tickets", "vip"), "vip: V1 (tag), V2 (spent), V3 (count)")
		h.approx(1, h.value(res, "tickets", "unidentified"), "unidentified: U1")

		res = h.metrics(`{"metrics": ["tickets"], "filters": {"segments": ["vip"]}}`, mar1, apr1)
		h.approx(3, h.value(res, "tickets"), "filter vip")
		res = h.metrics(`{"metrics": ["tickets"], "filters": {"segments": ["new_buyer", "returning"]}}`, mar1, apr1)
		h.approx(4, h.value(res, "tickets"), "filter new_buyer, returning")
		// Both dimensions at once: agent a closed every ticket but N2 (open).
		res = h.metrics(`{"metrics": ["tickets"], "groupBy": ["agent", "segment"], "filters": {"segments": ["new_buyer"]}}`, mar1, apr1)
		require.Equal(t, [][]string{{"(open)", "new_buyer"}, {"a", "new_buyer"}}, hGroupLabels(res))
	})
	t.Run("later orders do not move a past ticket", func(t *testing.T) {
		h := newHand(t, nil)
		segmentFixture(h)
		// Over one day, P1 is still a prospect although c1 ordered on 03-20, inside a wider read.
		res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["segment"]}`, "2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z")
		require.Equal(t, [][]string{{"prospect"}}, hGroupLabels(res))
		// Nor with attribution metrics, which read orders a window around the range.
		res = h.metrics(`{"metrics": ["tickets", "converted_tickets"], "groupBy": ["segment"]}`, "2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z")
		require.Equal(t, [][]string{{"prospect"}}, hGroupLabels(res))
	})
	t.Run("stricter VIP rule", func(t *testing.T) {
		h := newHand(t, map[string]any{"vipMinSpent": 1000, "vipMinOrders": 4, "vipTags": []string{"gold2"}})
		segmentFixture(h)
		res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["segment"]}`, mar1, apr1)
		// c4's tags no longer match: prospect; c5 (one order of 500.00 < 1000): new_buyer;
		// c6 (5 orders >= 4) and c7 (4 eligible orders >= 4; the cancelled one does not count): vip.
		h.approx(2, h.value(res, "tickets", "prospect"), "prospect: P1, V1")
		h.approx(3, h.value(res, "tickets", "new_buyer"), "new_buyer: N1, N2, V2")
		h.approx(1, h.value(res, "tickets", "returning"), "returning: R1")
		h.approx(2, h.value(res, "tickets", "vip"), "vip: V3, R2")
	})
}

// csatFixture: closing agents alice (K1-K3 answered, K14 unanswered), bob (K4-K13), carol (K15 sent
// before the range and answered in it, K16 sent in it and answered after it).
func csatFixture(h *hand) {
	var tickets []hTicket
	var surveys []hSurvey
	add := func(id, agent, sent, responded string, score int) {
		tickets = append(tickets, hTicket{ID: id, Customer: "c-" + id, Created: "2026-02-20T10:00:00Z", Closed: "2026-02-21T10:00:00Z", Agent: agent})
		surveys = append(surveys, hSurvey{Ticket: id, Sent: sent, Responded: responded, Score: score})
	}
	for i, s := range []int{5, 5, 4} {
		add("K"+itoa(1+i), "alice", "2026-03-02T10:00:00Z", "2026-03-03T10:00:00Z", s)
	}
	add("K14", "alice", "2026-03-05T10:00:00Z", "", 0)
	for i, s := range []int{5, 5, 5, 5, 5, 4, 4, 4, 4, 2} {
		add("K"+itoa(4+i), "bob", "2026-03-10T10:00:00Z", "2026-03-10T12:00:00Z", s)
	}
	add("K15", "carol", "2026-02-28T20:00:00Z", "2026-03-01T01:00:00Z", 5)
	add("K16", "carol", "2026-03-31T20:00:00Z", "2026-04-01T01:00:00Z", 1)
	h.tickets(tickets...)
	h.surveys(surveys...)
}

const csatMetrics = `"metrics": ["surveys_sent", "responses", "response_rate", "csat", "csat_average", "csat_lower_bound"]`

func TestSpecCSAT(t *testing.T) {
	// Wilson 95% lower bounds by hand (z = 1.96): 3 of 3: (1 + z²/6 - z·z/6) / (1 + z²/3) = 1 / 2.2805 =
	// 43.85%; 9 of 10: (0.9 + 0.19207 - 1.95996·sqrt(0.009 + 0.0096037)) / 1.38415 = 0.82474 / 1.38415 =
	// 59.585%.
	require.InDelta(t, 43.85, wilsonLowerRef(3, 3), 0.005)
	require.InDelta(t, 59.585, wilsonLowerRef(9, 10), 0.001)

	t.Run("totals and by closing agent", func(t *testing.T) {
		h := newHand(t, nil)
		csatFixture(h)
		res := h.metrics(`{`+csatMetrics+`}`, mar1, apr1)
		// Sent in range: K1-K3, K14, K4-K13, K16 = 15; of those answered: all but K14 = 14.
		// Responses in range: K1-K3, K4-K13, K15 = 14; scored 4-5: 3 + 9 + 1 = 13.
		// Mean: (14 + 43 + 5) / 14 = 62 / 14.
		h.expectAll(res, map[string]float64{
			"surveys_sent": 15, "responses": 14, "response_rate": 14.0 / 15 * 100,
			"csat": 13.0 / 14 * 100, "csat_average": 62.0 / 14, "csat_lower_bound": wilsonLowerRef(13, 14),
		})
		res = h.metrics(`{`+csatMetrics+`, "groupBy": ["agent"]}`, mar1, apr1)
		require.Equal(t, [][]string{{"alice"}, {"bob"}, {"carol"}}, hGroupLabels(res))
		// alice: sent K1-K3, K14 (4), 3 answered; 3 responses 5,5,4.
		h.expectAll(res, map[string]float64{"surveys_sent": 4, "responses": 3, "response_rate": 75, "csat": 100,
			"csat_average": 14.0 / 3, "csat_lower_bound": wilsonLowerRef(3, 3)}, "alice")
		require.InDelta(t, 43.85, *h.value(res, "csat_lower_bound", "alice"), 0.005, "3 of 3")
		require.InDelta(t, 59.585, *h.value(res, "csat_lower_bound", "bob"), 0.001, "9 of 10")
		// bob: 10 sent and answered, 5,5,5,5,5,4,4,4,4,2: 9 of 10 positive, mean 43 / 10.
		h.expectAll(res, map[string]float64{"surveys_sent": 10, "responses": 10, "response_rate": 100, "csat": 90,
			"csat_average": 4.3, "csat_lower_bound": wilsonLowerRef(9, 10)}, "bob")
		// carol: sent K16 (answered after the range: answered), responded K15 (a 5).
		h.expectAll(res, map[string]float64{"surveys_sent": 1, "responses": 1, "response_rate": 100, "csat": 100,
			"csat_average": 5}, "carol")
	})
	t.Run("by score", func(t *testing.T) {
		h := newHand(t, nil)
		csatFixture(h)
		res := h.metrics(`{"metrics": ["responses"], "groupBy": ["score"]}`, mar1, apr1)
		// 5: K1, K2, K15 and five of bob's = 8; 4: K3 and four of bob's = 5; 2: one of bob's.
		require.Equal(t, [][]string{{"2"}, {"4"}, {"5"}}, hGroupLabels(res))
		h.approx(1, h.value(res, "responses", "2"), "2")
		h.approx(5, h.value(res, "responses", "4"), "4")
		h.approx(8, h.value(res, "responses", "5"), "5")
		res = h.metrics(`{"metrics": ["responses", "csat"], "filters": {"scores": ["4", "5"]}}`, mar1, apr1)
		h.expectAll(res, map[string]float64{"responses": 13, "csat": 100})
	})
	t.Run("csat_lower_bound 3 of 3 lower than 9 of 10", func(t *testing.T) {
		h := newHand(t, nil)
		csatFixture(h)
		res := h.metrics(`{"metrics": ["csat", "csat_lower_bound"], "groupBy": ["agent"]}`, "2026-03-02T00:00:00Z", "2026-03-11T00:00:00Z")
		require.Greater(t, *h.value(res, "csat", "alice"), *h.value(res, "csat", "bob"))
		require.Less(t, *h.value(res, "csat_lower_bound", "alice"), *h.value(res, "csat_lower_bound", "bob"))
	})
}

func TestSpecCSATAgentColumn(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		// Reassigned to dave after the survey was sent under erin: the score stays erin's.
		hTicket{ID: "K20", Customer: "c1", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-03T10:00:00Z", Agent: "dave"},
		// No agent on the survey: the closing agent dave.
		hTicket{ID: "K21", Customer: "c2", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-03T10:00:00Z", Agent: "dave"},
	)
	h.surveys(
		hSurvey{Ticket: "K20", Sent: "2026-03-02T10:00:00Z", Responded: "2026-03-02T11:00:00Z", Score: 5, Agent: "erin"},
		hSurvey{Ticket: "K21", Sent: "2026-03-02T10:00:00Z", Responded: "2026-03-02T11:00:00Z", Score: 1},
	)
	res := h.metrics(`{"metrics": ["responses", "csat"], "groupBy": ["agent"]}`, mar1, apr1)
	require.Equal(t, [][]string{{"dave"}, {"erin"}}, hGroupLabels(res))
	h.expectAll(res, map[string]float64{"responses": 1, "csat": 100}, "erin")
	h.expectAll(res, map[string]float64{"responses": 1, "csat": 0}, "dave")
	res = h.metrics(`{"metrics": ["responses", "csat"], "filters": {"agents": ["erin"]}}`, mar1, apr1)
	h.expectAll(res, map[string]float64{"responses": 1, "csat": 100})
}

func TestSpecCSATParticipants(t *testing.T) {
	h := newHand(t, map[string]any{"csatCredit": "participants"})
	h.tickets(
		hTicket{ID: "P1", Customer: "c1", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-02T10:00:00Z", Agent: "bob"},
		hTicket{ID: "P2", Customer: "c2", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-02T10:00:00Z", Agent: "bob"},
		hTicket{ID: "P3", Customer: "c3", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-02T10:00:00Z", Agent: "carol"},
	)
	h.messages(
		hMessage{"P1", "2026-03-01T10:00:00Z", "customer", ""},
		hMessage{"P1", "2026-03-01T10:05:00Z", "agent", "alice"}, // alice transferred P1 to bob
		hMessage{"P1", "2026-03-01T11:00:00Z", "agent", "bob"},
		hMessage{"P1", "2026-03-01T11:30:00Z", "agent", "bob"},
		hMessage{"P2", "2026-03-01T10:00:00Z", "customer", ""},
		hMessage{"P2", "2026-03-01T10:10:00Z", "agent", "bob"},
		hMessage{"P3", "2026-03-01T10:00:00Z", "customer", ""},
		hMessage{"P3", "2026-03-01T10:01:00Z", "bot", ""}, // no agent wrote: the closing agent carol
	)
	h.surveys(
		hSurvey{Ticket: "P1", Sent: "2026-03-02T10:00:00Z", Responded: "2026-03-02T11:00:00Z", Score: 5},
		hSurvey{Ticket: "P2", Sent: "2026-03-02T10:00:00Z", Responded: "2026-03-02T11:00:00Z", Score: 2},
		hSurvey{Ticket: "P3", Sent: "2026-03-02T10:00:00Z", Responded: "2026-03-02T11:00:00Z", Score: 4},
	)
	res := h.metrics(`{"metrics": ["responses", "csat"], "groupBy": ["agent"]}`, mar1, apr1)
	require.Equal(t, [][]string{{"alice"}, {"bob"}, {"carol"}}, hGroupLabels(res))
	h.expectAll(res, map[string]float64{"responses": 1, "csat": 100}, "alice") // P1 (5)
	h.expectAll(res, map[string]float64{"responses": 2, "csat": 50}, "bob")    // P1 (5), P2 (2)
	h.expectAll(res, map[string]float64{"responses": 1, "csat": 100}, "carol") // P3 (4)
	// The total counts each response once: 3 responses (not 1 + 2 + 1 = 4), 2 of 3 positive.
	res = h.metrics(`{"metrics": ["responses", "csat"]}`, mar1, apr1)
	h.expectAll(res, map[string]float64{"responses": 3, "csat": 200.0 / 3})
	res = h.metrics(`{"metrics": ["responses", "csat"], "filters": {"agents": ["alice"]}}`, mar1, apr1)
	h.expectAll(res, map[string]float64{"responses": 1, "csat": 100})
}

func TestSpecFirstResponse(t *testing.T) {
	h := newHand(t, nil)
	// Ten answered tickets, first agent reply after these seconds (created in a shuffled order):
	// sorted 60, 120, 180, 240, 300, 600, 900, 1200, 3600, 7200.
	// Nearest rank: p50 = value #ceil(0.5 x 10) = #5 = 300; p90 = #ceil(0.9 x 10) = #9 = 3600.
	delays := []int{900, 60, 7200, 300, 120, 3600, 180, 1200, 240, 600}
	var tickets []hTicket
	var msgs []hMessage
	for i, d := range delays {
		id := "F" + itoa(i)
		created := ts("2026-03-10T08:00:00Z").Add(secs(i * 60))
		tickets = append(tickets, hTicket{ID: id, Customer: "c", Created: rfc(created)})
		msgs = append(msgs,
			hMessage{id, rfc(created), "customer", ""},
			hMessage{id, rfc(created.Add(secs(d))), "agent", "alice"},
			hMessage{id, rfc(created.Add(secs(d + 30))), "agent", "bob"})
		if d >= 3600 { // bots and rules before the agent do not count
			msgs = append(msgs, hMessage{id, rfc(created.Add(secs(5))), "rule", ""}, hMessage{id, rfc(created.Add(secs(10))), "bot", ""})
		}
	}
	tickets = append(tickets,
		hTicket{ID: "G1", Customer: "c", Created: "2026-03-10T09:00:00Z"}, // outbound: an agent wrote first
		hTicket{ID: "G2", Customer: "c", Created: "2026-03-10T09:00:00Z"}, // only a bot answered
		hTicket{ID: "G3", Customer: "c", Created: "2026-03-10T09:00:00Z"}, // nobody answered
		hTicket{ID: "G4", Customer: "c", Created: "2026-03-09T09:00:00Z"}, // before the range
	)
	msgs = append(msgs,
		hMessage{"G1", "2026-03-10T09:00:00Z", "agent", "alice"},
		hMessage{"G1", "2026-03-10T09:30:00Z", "customer", ""},
		hMessage{"G1", "2026-03-10T09:40:00Z", "agent", "alice"},
		hMessage{"G2", "2026-03-10T09:00:00Z", "customer", ""},
		hMessage{"G2", "2026-03-10T09:00:01Z", "bot", ""},
		hMessage{"G3", "2026-03-10T09:00:00Z", "customer", ""},
		hMessage{"G4", "2026-03-09T09:00:00Z", "customer", ""},
		hMessage{"G4", "2026-03-10T09:00:00Z", "agent", "alice"}, // 86400 s, but created before the range
	)
	h.tickets(tickets...)
	h.messages(msgs...)
	res := h.metrics(`{"metrics": ["first_response_seconds_p50", "first_response_seconds_p90", "tickets"]}`, mar10, mar11)
	h.expectAll(res, map[string]float64{"first_response_seconds_p50": 300, "first_response_seconds_p90": 3600, "tickets": 13})

	// Nothing answered in a range: no value, not 0.
	res = h.metrics(`{"metrics": ["first_response_seconds_p50"]}`, "2026-03-12T00:00:00Z", "2026-03-13T00:00:00Z")
	h.none(h.value(res, "first_response_seconds_p50"), "empty range")
}

func TestSpecFirstResponseSLA(t *testing.T) {
	fixture := func(h *hand) {
		h.tickets(
			hTicket{ID: "S1", Customer: "c", Priority: "critical", Created: "2026-03-10T08:00:00Z"},
			hTicket{ID: "S2", Customer: "c", Priority: "critical", Created: "2026-03-10T08:00:00Z"},
			hTicket{ID: "S3", Customer: "c", Priority: "critical", Created: "2026-03-10T08:00:00Z"},
			hTicket{ID: "S4", Customer: "c", Priority: "high", Created: "2026-03-10T07:00:00Z"},
			hTicket{ID: "S5", Customer: "c", Priority: "normal", Created: "2026-03-10T10:00:00Z"},
			hTicket{ID: "S6", Customer: "c", Priority: "low", Created: "2026-03-10T11:00:00Z"},
			hTicket{ID: "S7", Customer: "c", Priority: "high", Created: "2026-03-10T06:00:00Z"},
		)
		h.messages(
			hMessage{"S1", "2026-03-10T08:00:00Z", "customer", ""},
			hMessage{"S1", "2026-03-10T08:59:59Z", "agent", "a"}, // 3599 s <= 1 h: met
			hMessage{"S2", "2026-03-10T08:00:00Z", "customer", ""},
			hMessage{"S2", "2026-03-10T09:00:00Z", "agent", "a"}, // 3600 s, exactly the target: met
			hMessage{"S3", "2026-03-10T08:00:00Z", "customer", ""},
			hMessage{"S3", "2026-03-10T09:00:01Z", "agent", "a"},   // 3601 s: missed
			hMessage{"S4", "2026-03-10T07:00:00Z", "customer", ""}, // unanswered, 4 h target passed at 11:00: missed
			hMessage{"S5", "2026-03-10T10:00:00Z", "customer", ""}, // unanswered, 24 h target not passed: pending
			hMessage{"S6", "2026-03-10T11:00:00Z", "customer", ""},
			hMessage{"S6", "2026-03-10T11:30:00Z", "agent", "a"}, // 30 min <= 48 h: met
			hMessage{"S7", "2026-03-10T06:00:00Z", "agent", "a"}, // outbound: left out
		)
	}
	t.Run("default targets", func(t *testing.T) {
		h := newHand(t, nil)
		h.now = ts("2026-03-10T12:00:00Z")
		fixture(h)
		// Met: S1, S2, S6 = 3; counted: S1, S2, S3, S4, S6 = 5 (S5 pending, S7 outbound): 60%.
		res := h.metrics(`{"metrics": ["first_response_sla_rate"]}`, mar10, mar11)
		h.approx(60, h.value(res, "first_response_sla_rate"), "sla rate")
		res = h.metrics(`{"metrics": ["first_response_sla_rate"], "groupBy": ["priority"]}`, mar10, mar11)
		h.approx(200.0/3, h.value(res, "first_response_sla_rate", "critical"), "critical: S1, S2 of S1-S3")
		h.approx(0, h.value(res, "first_response_sla_rate", "high"), "high: S4 missed, S7 outbound")
		h.approx(100, h.value(res, "first_response_sla_rate", "low"), "low: S6")
		h.none(h.value(res, "first_response_sla_rate", "normal"), "normal: only S5, pending")
	})
	t.Run("later now and custom target", func(t *testing.T) {
		h := newHand(t, map[string]any{"slaTargets": map[string]any{"normal": 3600}})
		h.now = ts("2026-03-10T12:00:00Z")
		fixture(h)
		// normal is 1 h now: S5's target passed at 11:00: missed. Met 3 of 6: 50%.
		res := h.metrics(`{"metrics": ["first_response_sla_rate"]}`, mar10, mar11)
		h.approx(50, h.value(res, "first_response_sla_rate"), "sla rate")
	})
}

func TestSpecResolutionAndMessageKinds(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		// Closed in range after 1 h, 2 h, 3 h, 4 h, 24 h (R5 created the day before).
		hTicket{ID: "R1", Customer: "c", Created: "2026-03-10T01:00:00Z", Closed: "2026-03-10T02:00:00Z", Agent: "a"},
		hTicket{ID: "R2", Customer: "c", Created: "2026-03-10T01:00:00Z", Closed: "2026-03-10T03:00:00Z", Agent: "a"},
		hTicket{ID: "R3", Customer: "c", Created: "2026-03-10T01:00:00Z", Closed: "2026-03-10T04:00:00Z", Agent: "a"},
		hTicket{ID: "R4", Customer: "c", Created: "2026-03-10T01:00:00Z", Closed: "2026-03-10T05:00:00Z", Agent: "a"},
		hTicket{ID: "R5", Customer: "c", Created: "2026-03-09T06:00:00Z", Closed: "2026-03-10T06:00:00Z", Agent: "a"},
		// Created in range, closed after it: not a resolution of the range.
		hTicket{ID: "R6", Customer: "c", Created: "2026-03-10T01:00:00Z", Closed: "2026-03-11T01:00:00Z", Agent: "a"},
	)
	// p50 = #ceil(2.5) = #3 of 3600, 7200, 10800, 14400, 86400 = 10800; p90 = #ceil(4.5) = #5 = 86400.
	res := h.metrics(`{"metrics": ["resolution_seconds_p50", "resolution_seconds_p90", "closed_tickets"]}`, mar10, mar11)
	h.expectAll(res, map[string]float64{"resolution_seconds_p50": 10800, "resolution_seconds_p90": 86400, "closed_tickets": 5})

	h2 := newHand(t, nil)
	h2.tickets(
		hTicket{ID: "B1", Customer: "c", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z"},
		hTicket{ID: "B2", Customer: "c", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z"},
		hTicket{ID: "B3", Customer: "c", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "a"},
		hTicket{ID: "B4", Customer: "c", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "a"},
		hTicket{ID: "B5", Customer: "c", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z"},
		hTicket{ID: "B6", Customer: "c", Created: "2026-03-10T09:00:00Z"},
		hTicket{ID: "B7", Customer: "c", Created: "2026-03-09T09:00:00Z", Closed: "2026-03-10T10:00:00Z"},
		hTicket{ID: "B8", Customer: "c", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z"},
	)
	msg := func(id string, kinds ...string) {
		for i, k := range kinds {
			agent := ""
			if k == "agent" {
				agent = "a"
			}
			h2.messages(hMessage{id, rfc(ts("2026-03-10T09:00:00Z").Add(secs(i))), k, agent})
		}
	}
	msg("B1", "customer", "bot")          // billable, automated, bot
	msg("B2", "customer", "rule")         // billable, automated
	msg("B3", "customer", "bot", "agent") // billable, bot
	msg("B4", "customer", "agent")        // billable
	msg("B5", "customer")                 // nothing
	msg("B6", "customer", "bot")          // billable, open
	msg("B7", "rule")                     // created before the range: closed in it, automated
	msg("B8", "customer", "rule", "bot")  // billable, automated, bot
	res = h2.metrics(`{"metrics": ["tickets", "billable_tickets", "closed_tickets", "automation_rate", "bot_response_rate"]}`, mar10, mar11)
	// Created in range: B1-B6, B8 = 7, billable: B1, B2, B3, B4, B6, B8 = 6.
	// Closed in range: B1-B5, B7, B8 = 7; automated: B1, B2, B7, B8 = 4; with a bot: B1, B3, B8 = 3.
	h2.expectAll(res, map[string]float64{"tickets": 7, "billable_tickets": 6, "closed_tickets": 7,
		"automation_rate": 400.0 / 7, "bot_response_rate": 300.0 / 7})
}

func TestSpecEngagementRate(t *testing.T) {
	fixture := func(h *hand) {
		h.tickets(
			hTicket{ID: "E1", Customer: "c", Channel: "chat", Project: "shop", Created: "2026-03-10T09:00:00Z"},
			hTicket{ID: "E2", Customer: "c", Channel: "chat", Project: "shop", Created: "2026-03-10T10:00:00Z"},
			hTicket{ID: "E3", Customer: "c", Channel: "chat", Project: "brand2", Created: "2026-03-10T11:00:00Z"},
			hTicket{ID: "E4", Customer: "c", Channel: "email", Project: "shop", Created: "2026-03-10T11:00:00Z"},
			hTicket{ID: "E5", Customer: "c", Channel: "chat", Project: "shop", Created: "2026-03-11T11:00:00Z"}, // after
		)
	}
	t.Run("with chat_displays", func(t *testing.T) {
		h := newHand(t, nil)
		fixture(h)
		h.displays(
			hDisplay{"2026-03-10T08:00:00Z", "shop", 10}, // a pre-aggregated row
			hDisplay{"2026-03-10T09:00:00Z", "shop", 20},
			hDisplay{"2026-03-10T09:00:00Z", "brand2", 4},
			hDisplay{"2026-03-10T10:00:00Z", "brand2", 6},
			hDisplay{"2026-03-11T10:00:00Z", "shop", 100}, // after the range
		)
		// 3 chat tickets (E1-E3) / 40 displays = 7.5%; shop 2 / 30; brand2 1 / 10.
		res := h.metrics(`{"metrics": ["engagement_rate"]}`, mar10, mar11)
		h.approx(7.5, h.value(res, "engagement_rate"), "total")
		res = h.metrics(`{"metrics": ["engagement_rate"], "groupBy": ["project"]}`, mar10, mar11)
		h.approx(200.0/30, h.value(res, "engagement_rate", "shop"), "shop")
		h.approx(10, h.value(res, "engagement_rate", "brand2"), "brand2")
	})
	t.Run("without chat_displays", func(t *testing.T) {
		h := newHand(t, nil)
		h.exec(`DROP TABLE chat_displays`)
		fixture(h)
		err := h.metricsErr(`{"metrics": ["tickets", "engagement_rate"]}`, mar10, mar11)
		require.True(t, errors.Is(err, engine.ErrMissingRelation), "%v", err)
		require.Contains(t, err.Error(), "engagement_rate needs the optional relation chat_displays")
		// Other metrics still work.
		res := h.metrics(`{"metrics": ["tickets"]}`, mar10, mar11)
		h.approx(4, h.value(res, "tickets"), "tickets")
	})
}

// Dimensions of tickets: a ticket counts once under each of its tags, once in the total.
func TestSpecTagDimension(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "T1", Customer: "c", Tags: []string{"refund", "vip"}, Created: "2026-03-10T09:00:00Z"},
		hTicket{ID: "T2", Customer: "c", Tags: []string{"refund"}, Created: "2026-03-10T09:00:00Z"},
		hTicket{ID: "T3", Customer: "c", Created: "2026-03-10T09:00:00Z"},
	)
	res := h.metrics(`{"metrics": ["tickets"], "groupBy": ["tag"]}`, mar10, mar11)
	require.Equal(t, [][]string{{"(none)"}, {"refund"}, {"vip"}}, hGroupLabels(res))
	h.approx(1, h.value(res, "tickets", "(none)"), "(none)")
	h.approx(2, h.value(res, "tickets", "refund"), "refund")
	h.approx(1, h.value(res, "tickets", "vip"), "vip")
	// Filtering on both tags counts T1 once.
	res = h.metrics(`{"metrics": ["tickets"], "filters": {"tags": ["refund", "vip"]}}`, mar10, mar11)
	h.approx(2, h.value(res, "tickets"), "refund or vip")
	// Grouped by tag and filtered: T1 appears under the kept tag only.
	res = h.metrics(`{"metrics": ["tickets"], "groupBy": ["tag"], "filters": {"tags": ["vip"]}}`, mar10, mar11)
	require.Equal(t, [][]string{{"vip"}}, hGroupLabels(res))
}

// CSAT by segment: the segment of the response's ticket, as of the ticket's closing.
func TestSpecCSATBySegment(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "K1", Customer: "c1", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-02T10:00:00Z", Agent: "a"},
		hTicket{ID: "K2", Customer: "c2", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-02T10:00:00Z", Agent: "a"},
		hTicket{ID: "K3", Created: "2026-03-01T10:00:00Z", Closed: "2026-03-02T10:00:00Z", Agent: "a"},
	)
	h.orders(
		hOrder{ID: "O1", Customer: "c1", Created: "2026-03-01T12:00:00Z", Total: "10.00"}, // before K1 closed
		hOrder{ID: "O2", Customer: "c2", Created: "2026-03-03T12:00:00Z", Total: "10.00"}, // after K2 closed
	)
	h.surveys(
		hSurvey{Ticket: "K1", Sent: "2026-03-02T10:00:00Z", Responded: "2026-03-05T10:00:00Z", Score: 5},
		hSurvey{Ticket: "K2", Sent: "2026-03-02T10:00:00Z", Responded: "2026-03-05T10:00:00Z", Score: 1},
		hSurvey{Ticket: "K3", Sent: "2026-03-02T10:00:00Z", Responded: "2026-03-05T10:00:00Z", Score: 4},
	)
	// Range of the responses only (03-05): the tickets themselves are read through their surveys.
	res := h.metrics(`{"metrics": ["responses", "csat"], "groupBy": ["segment"]}`, "2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z")
	require.Equal(t, [][]string{{"new_buyer"}, {"prospect"}, {"unidentified"}}, hGroupLabels(res))
	h.expectAll(res, map[string]float64{"responses": 1, "csat": 100}, "new_buyer")
	h.expectAll(res, map[string]float64{"responses": 1, "csat": 0}, "prospect")
	h.expectAll(res, map[string]float64{"responses": 1, "csat": 100}, "unidentified")
}

// firstOrdersCounter counts the customers whose first orders are read.
type firstOrdersCounter struct {
	*store.Store
	mu   sync.Mutex
	keys []string
}

func (c *firstOrdersCounter) ReadFirstOrders(ctx context.Context, keys, excluded []string, currency string, capOrders int) (*store.FirstOrders, error) {
	c.mu.Lock()
	c.keys = append(c.keys, keys...)
	c.mu.Unlock()
	return c.Store.ReadFirstOrders(ctx, keys, excluded, currency, capOrders)
}

// CSAT by segment judges the surveyed tickets only, and reads only their customers' first orders;
// through a cache, a later query judging every ticket of the same read reads only the customers still
// missing (CSAT alone reads the tickets answered in range, a read of its own), and the segments are
// those of TestSpecSegmentsPointInTime whatever the order of the queries.
func TestSegmentsReadEachCustomersFirstOrdersOnce(t *testing.T) {
	h := newHand(t, nil) // vipMinSpent 500, vipMinOrders 5, vipTags [vip]
	segmentFixture(h)
	h.surveys(
		hSurvey{Ticket: "N1", Sent: "2026-03-06T12:00:00Z", Responded: "2026-03-07T10:00:00Z", Score: 5}, // c2, new_buyer
		hSurvey{Ticket: "V3", Sent: "2026-03-10T11:00:00Z", Responded: "2026-03-11T10:00:00Z", Score: 2}, // c6, vip
		hSurvey{Ticket: "R1", Sent: "2026-03-07T10:00:00Z", Responded: "2026-03-08T10:00:00Z", Score: 4}, // c3, returning
		hSurvey{Ticket: "U1", Sent: "2026-03-12T11:00:00Z", Responded: "2026-03-13T10:00:00Z", Score: 1}, // no customer
		// Sent in range, answered after it: judged for the surveys sent, not for the responses.
		hSurvey{Ticket: "P1", Sent: "2026-03-31T23:00:00Z", Responded: "2026-04-02T10:00:00Z", Score: 3}, // c1, prospect
	)
	counter := &firstOrdersCounter{Store: h.stores.Orders}
	eng := engine.New(h.settings, h.stores.Helpdesk, counter).WithClock(func() time.Time { return h.now }).
		Cached(engine.NewCache(time.Minute, 64))
	run := func(query string) *engine.Result {
		t.Helper()
		res, err := eng.Metrics(ctx, h.request(query, mar1, apr1))
		require.NoError(t, err)
		return res
	}
	csat := func() {
		t.Helper()
		res := run(`{"metrics": ["responses", "csat"], "groupBy": ["segment"]}`)
		require.Equal(t, [][]string{{"new_buyer"}, {"returning"}, {"unidentified"}, {"vip"}}, hGroupLabels(res))
		h.expectAll(res, map[string]float64{"responses": 1, "csat": 100}, "new_buyer")
		h.expectAll(res, map[string]float64{"responses": 1, "csat": 100}, "returning")
		h.expectAll(res, map[string]float64{"responses": 1, "csat": 0}, "unidentified")
		h.expectAll(res, map[string]float64{"responses": 1, "csat": 0}, "vip")
		require.Contains(t, res.Executed, "first orders of the 3 customers of the tickets judged, up to 5 each", "c2, c3 and c6")
	}
	csat()
	require.ElementsMatch(t, []string{"c2", "c3", "c6"}, counter.keys, "only the customers of the tickets answered in range")

	// By the surveys sent: P1's too, sent in range (c1, the one customer read).
	res := run(`{"metrics": ["surveys_sent"], "groupBy": ["segment"]}`)
	require.Equal(t, [][]string{{"new_buyer"}, {"prospect"}, {"returning"}, {"unidentified"}, {"vip"}}, hGroupLabels(res))
	for _, seg := range []string{"new_buyer", "prospect", "returning", "unidentified", "vip"} {
		h.approx(1, h.value(res, "surveys_sent", seg), seg)
	}
	require.Contains(t, res.Executed, "first orders of the 4 customers of the tickets judged, up to 5 each")
	// CSAT read the tickets answered in range alone; the surveys sent are judged on the read the
	// other panels share, whose memo starts empty.
	require.ElementsMatch(t, []string{"c2", "c3", "c6", "c2", "c3", "c6", "c1"}, counter.keys)

	res = run(`{"metrics": ["tickets"], "groupBy": ["segment"]}`)
	h.approx(1, h.value(res, "tickets", "prospect"), "prospect: P1")
	h.approx(2, h.value(res, "tickets", "new_buyer"), "new_buyer: N1, N2")
	h.approx(2, h.value(res, "tickets", "returning"), "returning: R1, R2")
	h.approx(3, h.value(res, "tickets", "vip"), "vip: V1 (tag), V2 (spent), V3 (count)")
	h.approx(1, h.value(res, "tickets", "unidentified"), "unidentified: U1")
	require.Contains(t, res.Executed, "first orders of the 8 customers of the tickets judged, up to 5 each")
	require.ElementsMatch(t, []string{"c2", "c3", "c6", "c2", "c3", "c6", "c1", "c4", "c5", "c7", "c8"}, counter.keys,
		"every customer once per read: the third query reads the four still missing")

	csat()
	require.Len(t, counter.keys, 11, "nothing read again")
}
