package engine_test

// Hand-computed tests of business hours (SPEC 5.3b): the business first response and resolution
// times, and the business SLA clock, in Europe/Paris across the March and October DST changes and a
// holiday.

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
)

// parisOffice: Monday 09:00-12:30 and 13:30-18:00, Tuesday to Friday 09:00-18:00, in Paris; Good
// Friday 2026-04-03 closed. The report zone (timezone) is New York: the clock must not use it.
func parisOffice(extra map[string]any) map[string]any {
	jd := map[string]any{
		"timezone": "America/New_York",
		"businessHours": map[string]any{
			"timezone": "Europe/Paris",
			"week": map[string]any{
				"monday":  [][]string{{"09:00", "12:30"}, {"13:30", "18:00"}},
				"tuesday": [][]string{{"09:00", "18:00"}}, "wednesday": [][]string{{"09:00", "18:00"}},
				"thursday": [][]string{{"09:00", "18:00"}}, "friday": [][]string{{"09:00", "18:00"}},
			},
			"holidays": []string{"2026-04-03"},
		},
		"slaTargets": map[string]any{"high": 3600, "normal": 3600},
	}
	for k, v := range extra {
		jd[k] = v
	}
	return jd
}

const (
	bhFrom = "2026-03-23T00:00:00Z"
	bhTo   = "2026-04-07T00:00:00Z"
)

// businessFixture: Paris is UTC+1 until 2026-03-29 01:00 UTC, UTC+2 after. Times in the comments are
// Paris times.
func businessFixture(h *hand) {
	h.tickets(
		// Fri 03-27 19:00 -> reply Mon 03-30 09:05 (after the change to summer time): 300 s; closed 10:00: 3600 s.
		hTicket{ID: "B1", Customer: "c1", Priority: "high", Created: "2026-03-27T18:00:00Z", Closed: "2026-03-30T08:00:00Z", Agent: "a"},
		// Sat 03-28 11:00 (closed) -> reply Mon 12:00: 09:00-12:00 = 10800 s; closed Mon 14:00:
		// 09:00-12:30 + 13:30-14:00 = 14400 s.
		hTicket{ID: "B2", Customer: "c2", Priority: "high", Created: "2026-03-28T10:00:00Z", Closed: "2026-03-30T12:00:00Z", Agent: "a"},
		// Tue 03-31 17:00 -> reply 20:00, while closed: 17:00-18:00 = 3600 s (exactly the target); closed
		// Wed 10:00: 3600 + 3600 = 7200 s.
		hTicket{ID: "B3", Customer: "c3", Created: "2026-03-31T15:00:00Z", Closed: "2026-04-01T08:00:00Z", Agent: "a"},
		// Thu 04-02 17:30 -> reply Mon 04-06 09:30 over the holiday: 1800 + 1800 = 3600 s; closed Mon
		// 10:00: 1800 + 3600 = 5400 s.
		hTicket{ID: "B4", Customer: "c4", Created: "2026-04-02T15:30:00Z", Closed: "2026-04-06T08:00:00Z", Agent: "a"},
		// Created on the holiday, Fri 04-03 10:00 -> reply Mon 09:10: 600 s; closed Mon 10:00: 3600 s.
		hTicket{ID: "B5", Customer: "c5", Created: "2026-04-03T08:00:00Z", Closed: "2026-04-06T08:00:00Z", Agent: "a"},
		// Mon 03-23 09:00 -> closed 17:00 (winter time) without an agent reply: 09:00-12:30 + 13:30-17:00 = 25200 s.
		hTicket{ID: "B6", Customer: "c6", Created: "2026-03-23T08:00:00Z", Closed: "2026-03-23T16:00:00Z", Agent: "a"},
	)
	h.messages(
		hMessage{"B1", "2026-03-27T18:00:00Z", "customer", ""},
		hMessage{"B1", "2026-03-30T07:05:00Z", "agent", "a"},
		hMessage{"B2", "2026-03-28T10:00:00Z", "customer", ""},
		hMessage{"B2", "2026-03-30T10:00:00Z", "agent", "a"},
		hMessage{"B3", "2026-03-31T15:00:00Z", "customer", ""},
		hMessage{"B3", "2026-03-31T18:00:00Z", "agent", "a"},
		hMessage{"B4", "2026-04-02T15:30:00Z", "customer", ""},
		hMessage{"B4", "2026-04-06T07:30:00Z", "agent", "a"},
		hMessage{"B5", "2026-04-03T08:00:00Z", "customer", ""},
		hMessage{"B5", "2026-04-06T07:10:00Z", "agent", "a"},
		hMessage{"B6", "2026-03-23T08:00:00Z", "customer", ""},
		hMessage{"B6", "2026-03-23T09:00:00Z", "bot", ""},
	)
}

func TestSpecBusinessHours(t *testing.T) {
	const all = `"metrics": ["first_response_business_seconds_p50", "first_response_business_seconds_p90",
		"resolution_business_seconds_p50", "resolution_business_seconds_p90", "first_response_seconds_p50", "resolution_seconds_p50"]`
	t.Run("percentiles in business hours beside their calendar twins", func(t *testing.T) {
		h := newHand(t, parisOffice(nil))
		businessFixture(h)
		// First responses (B1-B5; B6 has none): business 300, 600, 3600, 3600, 10800: p50 #3 = 3600, p90
		// #5 = 10800. Calendar 10800 (B3), 172800 (B2), 219900 (B1), 256200 (B5), 316800 (B4): p50 219900.
		// Resolutions (B1-B6): business 3600, 3600, 5400, 7200, 14400, 25200: p50 #3 = 5400, p90 #6 =
		// 25200. Calendar: B6 28800, B3 61200, B2 180000, B1 223200, B5 259200, B4 318600: p50 #3 = 180000.
		want := map[string]float64{
			"first_response_business_seconds_p50": 3600, "first_response_business_seconds_p90": 10800,
			"resolution_business_seconds_p50": 5400, "resolution_business_seconds_p90": 25200,
			"first_response_seconds_p50": 219900, "resolution_seconds_p50": 180000,
		}
		h.expectAll(h.metrics(`{`+all+`}`, bhFrom, bhTo), want)
		// Whatever the dashboard's zone: the clock is the team's.
		h.expectAll(h.metrics(`{`+all+`, "timezone": "Asia/Tokyo"}`, bhFrom, bhTo), want)

		res := h.metrics(`{`+all+`, "groupBy": ["priority"]}`, bhFrom, bhTo)
		// high: B1 300, B2 10800: p50 #1 = 300, p90 #2 = 10800; resolutions 3600, 14400.
		h.expectAll(res, map[string]float64{"first_response_business_seconds_p50": 300, "first_response_business_seconds_p90": 10800,
			"resolution_business_seconds_p50": 3600, "resolution_business_seconds_p90": 14400}, "high")
		// normal: B3 3600, B4 3600, B5 600: p50 #2 = 3600; resolutions 3600, 5400, 7200, 25200: p50 #2 = 5400.
		h.expectAll(res, map[string]float64{"first_response_business_seconds_p50": 3600,
			"resolution_business_seconds_p50": 5400, "resolution_business_seconds_p90": 25200}, "normal")

		// The example alone: Friday 19:00 -> Monday 09:05 is 5 minutes of business hours.
		res = h.metrics(`{"metrics": ["first_response_business_seconds_p50"], "filters": {"priorities": ["high"]}}`,
			"2026-03-27T00:00:00Z", "2026-03-28T00:00:00Z")
		h.approx(300, h.value(res, "first_response_business_seconds_p50"), "B1")
	})
	t.Run("by day, days in the report zone", func(t *testing.T) {
		h := newHand(t, parisOffice(nil))
		businessFixture(h)
		// New York days: B1 is created on 03-27 (14:00 EDT), B2 on 03-28 (06:00 EDT).
		res := h.metrics(`{"metrics": ["first_response_business_seconds_p50"], "groupBy": ["time"], "interval": "day"}`,
			"2026-03-27T04:00:00Z", "2026-03-29T04:00:00Z")
		require.Equal(t, []float64{300, 10800}, hFloats(h.series(res, "first_response_business_seconds_p50")))
	})
	t.Run("October: the change back to winter time", func(t *testing.T) {
		h := newHand(t, parisOffice(nil))
		// Fri 10-23 17:55 (summer time, UTC+2) -> reply Mon 10-26 09:05 (winter time, UTC+1): 300 + 300 s;
		// closed Mon 10:00: 300 + 3600 s.
		h.tickets(hTicket{ID: "O1", Customer: "c1", Created: "2026-10-23T15:55:00Z", Closed: "2026-10-26T09:00:00Z", Agent: "a"})
		h.messages(hMessage{"O1", "2026-10-23T15:55:00Z", "customer", ""}, hMessage{"O1", "2026-10-26T08:05:00Z", "agent", "a"})
		res := h.metrics(`{`+all+`}`, "2026-10-19T00:00:00Z", "2026-10-31T00:00:00Z")
		h.expectAll(res, map[string]float64{"first_response_business_seconds_p50": 600, "resolution_business_seconds_p50": 3900,
			"first_response_seconds_p50": 2*86400 + 16*3600 + 10*60, "resolution_seconds_p50": 2*86400 + 17*3600 + 5*60})
	})
	t.Run("drill-down shows the business first response", func(t *testing.T) {
		h := newHand(t, parisOffice(nil))
		businessFixture(h)
		tab, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets"}`, bhFrom, bhTo))
		require.NoError(t, err)
		// Newest first: B5, B4, B3, B2, B1, B6.
		require.Equal(t, []string{"B5", "B4", "B3", "B2", "B1", "B6"}, h.column(tab, "id"))
		require.Equal(t, []float64{600, 3600, 3600, 10800, 300, -1},
			hFloats(h.column(tab, "first_response_business_seconds").([]*float64)))
		require.Equal(t, []float64{256200, 316800, 10800, 172800, 219900, -1},
			hFloats(h.column(tab, "first_response_seconds").([]*float64)))
	})
}

func TestSpecBusinessSLAClock(t *testing.T) {
	t.Run("setting and query override", func(t *testing.T) {
		// Targets 1 h. Business: B1 300 met, B2 10800 missed, B3 3600 met (on the target), B4 3600 met,
		// B5 600 met, B6 unanswered and long past its target: missed. 4 of 6.
		// Calendar: every reply took more than an hour: 0 of 6.
		for _, tc := range []struct {
			setting, query string
			want           float64
		}{
			{"", "", 0},
			{"", `, "slaClock": "business"`, 400.0 / 6},
			{"business", "", 400.0 / 6},
			{"business", `, "slaClock": "calendar"`, 0},
		} {
			extra := map[string]any{}
			if tc.setting != "" {
				extra["slaClock"] = tc.setting
			}
			h := newHand(t, parisOffice(extra))
			businessFixture(h)
			res := h.metrics(`{"metrics": ["first_response_sla_rate"]`+tc.query+`}`, bhFrom, bhTo)
			h.approx(tc.want, h.value(res, "first_response_sla_rate"), "setting "+tc.setting+" query"+tc.query)
		}
	})
	t.Run("unanswered: the target passes on the business clock", func(t *testing.T) {
		h := newHand(t, parisOffice(map[string]any{"slaClock": "business"}))
		// Tue 03-31 18:30 (closed), no reply; target 1 h of business time.
		h.tickets(hTicket{ID: "W1", Customer: "c1", Created: "2026-03-31T16:30:00Z"})
		h.messages(hMessage{"W1", "2026-03-31T16:30:00Z", "customer", ""})
		for _, tc := range []struct {
			now    string
			missed bool
		}{
			{"2026-04-01T07:30:00Z", false}, // Wed 09:30: 30 min: pending, not counted
			{"2026-04-01T08:00:00Z", false}, // Wed 10:00: exactly 1 h: a reply now would still be on time
			{"2026-04-01T08:00:01Z", true},  // 1 h and 1 s: missed
		} {
			h.now = ts(tc.now)
			res := h.metrics(`{"metrics": ["first_response_sla_rate"]}`, bhFrom, bhTo)
			if tc.missed {
				h.approx(0, h.value(res, "first_response_sla_rate"), "missed at "+tc.now)
			} else {
				h.none(h.value(res, "first_response_sla_rate"), "pending at "+tc.now)
			}
		}
		// On the calendar clock the target passed at 19:30 the day before.
		h.now = ts("2026-04-01T07:30:00Z")
		res := h.metrics(`{"metrics": ["first_response_sla_rate"], "slaClock": "calendar"}`, bhFrom, bhTo)
		h.approx(0, h.value(res, "first_response_sla_rate"), "calendar")
	})
}

func TestSpecBusinessHoursNotConfigured(t *testing.T) {
	h := newHand(t, nil)
	for _, tc := range []struct{ query, want string }{
		{`{"metrics": ["tickets", "resolution_business_seconds_p90"]}`,
			"metric resolution_business_seconds_p90 counts business hours, which this data source does not have: set businessHours (the team's opening hours) in the data source settings"},
		{`{"metrics": ["first_response_sla_rate"], "slaClock": "business"}`,
			"slaClock business counts business hours, which this data source does not have: set businessHours"},
	} {
		err := h.metricsErr(tc.query, bhFrom, bhTo)
		require.True(t, errors.Is(err, engine.ErrQuery), err)
		require.Contains(t, err.Error(), tc.want)
	}
	_, err := h.engine(h.now).Tickets(ctx, h.request(`{"queryType": "tickets"}`, bhFrom, bhTo))
	require.NoError(t, err, "the drill-down works without business hours")
}
