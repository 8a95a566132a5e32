package engine_test

// The CSAT metrics counted by PostgreSQL (survey_slots.go) against the same queries computed from
// the surveys and tickets in Go (engine.RowsOnly): on the demo store with what it lacks added, with
// and without csat_responses.agent, every result must be identical, notices included. Then a
// hand-computed fixture.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// surveysSummed is what Executed says of a survey slot read.
const surveysSummed = "summed by PostgreSQL"

var (
	surveyMetrics = [][]string{{"csat"}, {"responses"}, {"surveys_sent"}, {"response_rate"}, {"csat_average"}, {"csat_lower_bound"},
		{"csat", "responses", "csat_average"}, {"surveys_sent", "response_rate", "csat", "csat_lower_bound"}}
	surveyGroupBys = [][]string{{}, {"time"}, {"agent"}, {"score"}, {"time", "agent"}, {"channel", "time"}, {"project", "topic"},
		{"priority"}, {"topic", "score"}, {"time", "score"}, {"agent", "channel"}}
	surveyFilters = []map[string][]string{{}, {"agents": {"alice", "hugo", "(open)"}}, {"agents": {"(none)"}},
		{"channels": {"chat"}}, {"projects": {"aurora-shop", "nowhere"}}, {"scores": {"4", "5"}}, {"scores": {"(none)", "1"}},
		{"topics": {"returns", "(none)"}, "priorities": {"normal", "high"}}}
	surveyAdhoc = [][]map[string]any{{}, {{"key": "agent", "operator": "!=", "value": "bruno"}},
		{{"key": "channel", "operator": "=", "value": "email"}},
		{{"key": "scores", "operator": "!=|", "values": []string{"1", "2"}}, {"key": "projects", "operator": "=|", "values": []string{"aurora-shop", "cobalt-kids"}}},
		{{"key": "currency", "operator": "=", "value": "EUR"}}, // not applied to CSAT metrics: an info notice
		{{"key": "topic", "operator": "=~", "value": "ret.*"}}} // an operator the engine does not apply: a notice
)

// surveyQuery draws a query the survey slots answer.
func surveyQuery(rng *rand.Rand, days float64) string {
	intervals := []string{"day", "week", "month", "auto"}
	if days <= 40 {
		intervals = append(intervals, "hour")
	}
	metrics := surveyMetrics[rng.IntN(len(surveyMetrics))]
	groupBy := surveyGroupBys[rng.IntN(len(surveyGroupBys))]
	filters := surveyFilters[rng.IntN(len(surveyFilters))]
	q := map[string]any{
		"metrics":  metrics,
		"groupBy":  groupBy,
		"interval": intervals[rng.IntN(len(intervals))],
		"timezone": slotZones[rng.IntN(len(slotZones))],
		"filters":  filters,
		"compare":  slotCompares[rng.IntN(len(slotCompares))],
	}
	if a := surveyAdhoc[rng.IntN(len(surveyAdhoc))]; len(a) > 0 {
		q["adhocFilters"] = a
	}
	js, _ := json.Marshal(q)
	return string(js)
}

// surveyExtras adds to the demo store what it lacks: surveys of tickets that do not exist, surveys
// without their own agent, surveyed tickets still open or closed without an agent, answers without a
// score, scores the contract's smallint allows beyond 1 to 5 (0 is no answer), and surveys exactly
// on 15-minute and range boundaries and 1 microsecond before.
func surveyExtras(t *testing.T, db *pgtest.DB) {
	t.Helper()
	db.Exec(t, `ALTER TABLE csat_responses DROP CONSTRAINT csat_responses_score_check`)
	db.Exec(t, `UPDATE csat_responses SET agent = NULL WHERE abs(hashtext(ticket_id)) % 3 = 0`)
	db.Exec(t, `UPDATE tickets SET closed_at = NULL, closing_agent = NULL
WHERE id IN (SELECT ticket_id FROM csat_responses WHERE abs(hashtext(ticket_id)) % 17 = 1)`)
	db.Exec(t, `UPDATE tickets SET closing_agent = NULL WHERE closed_at IS NOT NULL AND abs(hashtext(id)) % 19 = 2`)
	db.Exec(t, `UPDATE csat_responses SET score = NULL WHERE responded_at IS NOT NULL AND abs(hashtext(ticket_id)) % 23 = 3`)
	db.Exec(t, `UPDATE csat_responses SET score = (ARRAY[0, -2, 7, 32767])[1 + abs(hashtext(ticket_id)) % 4]
WHERE responded_at IS NOT NULL AND abs(hashtext(ticket_id)) % 29 = 4`)
	// Ghost surveys and boundary surveys: one every 37 quarter hours back from the demo's end, and 1
	// microsecond before; answered 15 minutes (exactly a slot) after being sent, or not.
	db.Exec(t, `INSERT INTO csat_responses (ticket_id, sent_at, responded_at, score, agent)
SELECT CASE WHEN i % 4 = 0 THEN 'ghost-' || i ELSE (SELECT id FROM tickets ORDER BY id OFFSET i LIMIT 1) END, ts,
       CASE WHEN i % 5 <> 0 THEN ts + interval '15 minutes' END, CASE WHEN i % 5 <> 0 THEN 1 + i % 5 END,
       CASE WHEN i % 3 = 0 THEN 'agent-' || (i % 2) END
FROM (SELECT i, ts FROM generate_series(1, 400) i,
      LATERAL (VALUES (TIMESTAMPTZ '2026-11-23 00:00:00+00' - (i * 37) * interval '15 minutes'),
                      (TIMESTAMPTZ '2026-11-23 00:00:00+00' - (i * 37) * interval '15 minutes' - interval '1 microsecond')) v(ts)) x`)
	for _, r := range slotRanges() {
		for _, at := range []time.Time{r.from, r.to, r.from.Add(-time.Microsecond), r.to.Add(-time.Microsecond)} {
			db.Exec(t, `INSERT INTO csat_responses (ticket_id, sent_at, responded_at, score)
VALUES ((SELECT id FROM tickets ORDER BY created_at LIMIT 1), $1, $1, 4)`, at)
		}
	}
}

// surveyCheck runs q over r on both engines and requires identical results; via is the path the
// slot engine must report (viaSlots, viaRows).
func surveyCheck(t *testing.T, slots, rows *engine.Engine, q string, r slotRange, via string) {
	t.Helper()
	req := engine.Request{Query: parse(t, q), From: r.from, To: r.to}
	name := fmt.Sprintf("%s over [%s, %s)", q, rfc(r.from), rfc(r.to))
	got, err := slots.Metrics(ctx, req)
	require.NoError(t, err, name)
	want, err := rows.Metrics(ctx, req)
	require.NoError(t, err, name)
	require.NotContains(t, want.Executed, surveysSummed, name)
	switch via {
	case viaSlots:
		require.Contains(t, got.Executed, surveysSummed, name)
		require.NotContains(t, got.Executed, "tickets created", name)
	case viaRows:
		require.NotContains(t, got.Executed, surveysSummed, name)
	}
	g, w := *got, *want
	g.Executed, w.Executed = "", ""
	require.Equal(t, slotInstants(w.Times), slotInstants(g.Times), name)
	g.Times, w.Times = nil, nil
	require.Equal(t, w, g, name)
}

func TestSurveySlotsMatchTheRows(t *testing.T) {
	now := demo.DefaultEnd.Add(time.Hour)
	for _, agentColumn := range []bool{true, false} {
		t.Run(fmt.Sprintf("csat_responses.agent=%v", agentColumn), func(t *testing.T) {
			db := pgtest.Start(t).NewDatabase(t)
			_, err := demo.Load(ctx, db.AdminPool, db.AdminPool, demo.Options{})
			require.NoError(t, err)
			surveyExtras(t, db)
			if !agentColumn {
				db.Exec(t, `ALTER TABLE csat_responses DROP COLUMN agent`)
			}
			db.GrantRead(t, "public")
			env := envOn(t, db, nil)
			// Survey slots are read without a cache only (alert rules): through one, the panels of a
			// dashboard share the survey rows. The slots are compared with the rows read both ways.
			cached, cachedRows, direct, directRows := summedEngines(env, now)
			rng := rand.New(rand.NewPCG(12, map[bool]uint64{true: 1, false: 2}[agentColumn]))
			sweepSlotRanges(direct, cachedRows, direct, directRows, 12, func(slots, rows *engine.Engine, r slotRange, days float64) {
				surveyCheck(t, slots, rows, surveyQuery(rng, days), r, viaSlots)
			})
			// The CSAT dashboard's panels, in a zone at +5:45 and a half-hour one: summed for an alert
			// rule, from the rows through the cache, the same numbers.
			for _, q := range []string{
				`{"metrics": ["csat"], "compare": "previous_period", "timezone": "Asia/Kathmandu"}`,
				`{"metrics": ["csat", "responses"], "groupBy": ["time"], "interval": "day", "compare": "previous_period", "timezone": "Asia/Kathmandu"}`,
				`{"metrics": ["csat_average"], "groupBy": ["agent"], "compare": "previous_year", "timezone": "Asia/Kolkata"}`,
				`{"metrics": ["response_rate"], "groupBy": ["time", "agent"], "interval": "week", "compare": "previous_year", "timezone": "America/St_Johns"}`,
				`{"metrics": ["responses"], "groupBy": ["score"], "interval": "hour", "timezone": "Australia/Lord_Howe"}`,
			} {
				for _, r := range slotRanges() {
					surveyCheck(t, direct, cachedRows, q, r, viaSlots)
					surveyCheck(t, cached, directRows, q, r, viaRows)
				}
			}
			// Tags, segments and handled_by need the tickets; CSAT with another family reads the rows.
			for _, q := range []string{
				`{"metrics": ["csat"], "groupBy": ["tag"]}`,
				`{"metrics": ["responses"], "filters": {"segments": ["vip"]}}`,
				`{"metrics": ["csat"], "adhocFilters": [{"key": "handled_by", "operator": "=", "value": "human"}]}`,
				`{"metrics": ["csat", "closed_tickets"], "groupBy": ["agent"]}`,
			} {
				surveyCheck(t, direct, cachedRows, q, slotRanges()[0], viaRows)
			}
			// Monrovia, 1971 was off the quarter-hour grid: by day, the surveys are read; without time,
			// summed.
			db.Exec(t, `INSERT INTO csat_responses (ticket_id, sent_at, responded_at, score)
SELECT 'old-' || i, TIMESTAMPTZ '1971-06-01 00:00:00+00' + i * interval '7 minutes', TIMESTAMPTZ '1971-06-01 00:00:00+00' + i * interval '7 minutes', 1 + i % 5
FROM generate_series(1, 2000) i`)
			monrovia := slotRange{ts("1971-06-01T00:00:00Z"), ts("1971-06-08T00:00:00Z")}
			surveyCheck(t, direct, cachedRows, `{"metrics": ["csat", "responses"], "groupBy": ["time"], "interval": "day", "timezone": "Africa/Monrovia"}`,
				monrovia, viaRows)
			surveyCheck(t, direct, directRows, `{"metrics": ["csat", "responses"], "timezone": "Africa/Monrovia"}`, monrovia, viaSlots)
		})
	}
	// With the participants credit rule, CSAT by agent reads the messages; by channel it is summed.
	t.Run("csatCredit=participants", func(t *testing.T) {
		db := pgtest.Start(t).NewDatabase(t)
		_, err := demo.Load(ctx, db.AdminPool, db.AdminPool, demo.Options{})
		require.NoError(t, err)
		db.GrantRead(t, "public")
		env := envOn(t, db, map[string]any{"csatCredit": "participants"})
		slots, rows := env.engine(now), engine.RowsOnly(env.engine(now))
		for _, r := range slotRanges()[:3] {
			surveyCheck(t, slots, rows, `{"metrics": ["csat", "responses"], "groupBy": ["agent"]}`, r, viaRows)
			surveyCheck(t, slots, rows, `{"metrics": ["csat"], "filters": {"agents": ["alice"]}}`, r, viaRows)
			surveyCheck(t, slots, rows, `{"metrics": ["csat", "surveys_sent"], "groupBy": ["time", "channel"], "interval": "day"}`, r, viaSlots)
		}
	})
}

// TestSurveySlotsByHand: Kolkata is 5:30 ahead of UTC, so its days start at 18:30 UTC. Range
// [2026-03-09T18:30Z, 2026-03-11T18:30Z): 10 and 11 March, local. Tickets: T1 closed by ann (chat),
// T2 open (email), T3 closed without an agent (email); T9 does not exist.
//
//	survey  ticket  sent                 responded            score  own agent
//	A       T1      03-09T18:00Z         03-09T18:30Z         5      -      answered at the start: 10 March, ann
//	B       T1      03-09T18:29:59.999999Z 03-10T09:00Z       4      zoe    sent before the range; answered 10 March, zoe
//	C       T2      03-10T10:00Z         03-10T18:29:59.999999Z 2    -      10 March, (open)
//	D       T9      03-10T12:00Z         03-11T01:00Z         1      -      sent 10 March, answered 11 March, (none)
//	E       T3      03-11T02:00Z         -                    -      -      sent 11 March, unanswered, (none)
//	F       T1      03-11T03:00Z         03-11T03:10Z         -      -      answered without a score: not an answer
//	G       T2      03-11T18:29:59.999999Z 03-11T18:29:59.999999Z 5  -      11 March, (open)
//	H       T1      03-11T18:30Z         03-11T18:30Z         5      -      at the range's end: out
//
// Answers: 10 March A 5, B 4, C 2; 11 March D 1, G 5. Responses 5; CSAT 3 of 5 = 60%, average 17/5.
// Sent in range: C, D, E, F, G (A and B before; H at the end): 5, answered C, D, G: 60%.
// By agent (answers): ann A 5; zoe B 4; (open) C 2, G 5; (none) D 1.
//
// The previous period, [03-07T18:30Z, 03-09T18:30Z), holds only A's and B's sending and
//
//	P       T1      03-08T09:00Z         03-08T09:00Z         3      -      -> 10 March (shifted 2 days)
//	Q       T9      03-09T18:29:59Z      03-09T18:29:59Z      5      -      -> 11 March
//
// Previous answers: 10 March P 3, 11 March Q 5: CSAT 50%, 0% and 100% by day.
func TestSurveySlotsByHand(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "T1", Channel: "chat", Created: "2026-03-01T00:00:00Z", Closed: "2026-03-02T00:00:00Z", Agent: "ann"},
		hTicket{ID: "T2", Created: "2026-03-01T00:00:00Z"},
		hTicket{ID: "T3", Created: "2026-03-01T00:00:00Z", Closed: "2026-03-02T00:00:00Z"},
	)
	h.surveys(
		hSurvey{Ticket: "T1", Sent: "2026-03-09T18:00:00Z", Responded: "2026-03-09T18:30:00Z", Score: 5},
		hSurvey{Ticket: "T1", Sent: "2026-03-09T18:29:59.999999Z", Responded: "2026-03-10T09:00:00Z", Score: 4, Agent: "zoe"},
		hSurvey{Ticket: "T2", Sent: "2026-03-10T10:00:00Z", Responded: "2026-03-10T18:29:59.999999Z", Score: 2},
		hSurvey{Ticket: "T9", Sent: "2026-03-10T12:00:00Z", Responded: "2026-03-11T01:00:00Z", Score: 1},
		hSurvey{Ticket: "T3", Sent: "2026-03-11T02:00:00Z"},
		hSurvey{Ticket: "T1", Sent: "2026-03-11T03:00:00Z", Responded: "2026-03-11T03:10:00Z"},
		hSurvey{Ticket: "T2", Sent: "2026-03-11T18:29:59.999999Z", Responded: "2026-03-11T18:29:59.999999Z", Score: 5},
		hSurvey{Ticket: "T1", Sent: "2026-03-11T18:30:00Z", Responded: "2026-03-11T18:30:00Z", Score: 5},
		hSurvey{Ticket: "T1", Sent: "2026-03-08T09:00:00Z", Responded: "2026-03-08T09:00:00Z", Score: 3},
		hSurvey{Ticket: "T9", Sent: "2026-03-09T18:29:59Z", Responded: "2026-03-09T18:29:59Z", Score: 5},
	)
	const from, to = "2026-03-09T18:30:00Z", "2026-03-11T18:30:00Z"

	res := h.metrics(`{`+csatMetrics+`, "compare": "previous_period", "timezone": "Asia/Kolkata"}`, from, to)
	require.Contains(t, res.Executed, "csat_responses sent or answered [2026-03-09T18:30:00Z, 2026-03-11T18:30:00Z) summed by PostgreSQL;")
	require.NotContains(t, res.Executed, "tickets created")
	h.expectAll(res, map[string]float64{"surveys_sent": 5, "responses": 5, "response_rate": 60, "csat": 60,
		"csat_average": 17.0 / 5, "csat_lower_bound": wilsonLowerRef(3, 5)})
	h.approx(2, h.previous(res, "responses"), "previous responses: P and Q")
	h.approx(50, h.previous(res, "csat"), "previous CSAT: Q of P and Q")

	res = h.metrics(`{"metrics": ["csat", "responses", "surveys_sent"], "groupBy": ["time"], "interval": "day", "compare": "previous_period", "timezone": "Asia/Kolkata"}`, from, to)
	require.Contains(t, res.Executed, "csat_responses sent or answered [2026-03-09T18:30:00Z, 2026-03-11T18:30:00Z) summed by PostgreSQL per 15m0s slot")
	require.InDeltaSlice(t, []float64{200.0 / 3, 50}, hFloats(h.series(res, "csat")), 1e-9, "10 March A, B of A, B, C; 11 March G of D, G")
	require.Equal(t, []float64{3, 2}, hFloats(h.series(res, "responses")))
	require.Equal(t, []float64{2, 3}, hFloats(h.series(res, "surveys_sent")), "10 March C, D; 11 March E, F, G")
	g := h.group(res)
	require.Equal(t, []float64{0, 100}, hFloats(g.Previous[h.metricIndex(res, "csat")]))

	res = h.metrics(`{"metrics": ["responses", "csat_average"], "groupBy": ["agent"]}`, from, to)
	require.Contains(t, res.Executed, "summed by PostgreSQL by agent")
	require.Equal(t, [][]string{{"(none)"}, {"(open)"}, {"ann"}, {"zoe"}}, hGroupLabels(res))
	h.approx(2, h.value(res, "responses", "(open)"), "C and G")
	h.approx(3.5, h.value(res, "csat_average", "(open)"), "(2 + 5) / 2")
	h.approx(1, h.value(res, "csat_average", "(none)"), "D, of a ticket that does not exist")
	h.approx(5, h.value(res, "csat_average", "ann"), "A")
	h.approx(4, h.value(res, "csat_average", "zoe"), "B, the survey's own agent")

	// Sent, by score: C 2, D 1, G 5; E and F have none.
	res = h.metrics(`{"metrics": ["surveys_sent"], "groupBy": ["score"]}`, from, to)
	require.Equal(t, [][]string{{"(none)"}, {"1"}, {"2"}, {"5"}}, hGroupLabels(res))
	h.approx(2, h.value(res, "surveys_sent", "(none)"), "E and F")

	// Filtered on channel email: the tickets T2 and T3 (C, G answered; C, E, G sent).
	res = h.metrics(`{"metrics": ["csat", "response_rate"], "filters": {"channels": ["email"]}}`, from, to)
	require.Contains(t, res.Executed, "summed by PostgreSQL by channel")
	h.approx(50, h.value(res, "csat"), "G of C and G")
	h.approx(200.0/3, h.value(res, "response_rate"), "C and G of C, E, G")
	for _, q := range []string{`{"metrics": ["csat"], "groupBy": ["tag"]}`, `{"metrics": ["csat"], "filters": {"segments": ["vip"]}}`} {
		require.NotContains(t, h.metrics(q, from, to).Executed, surveysSummed, q)
	}

	// Through a cache, as a dashboard's panels run: the same numbers from the survey rows, read alone
	// without a ticket dimension, with the tickets for one.
	cached := h.engine(h.now).Cached(engine.NewCache(time.Minute, 64))
	run := func(q string) *engine.Result {
		res, err := cached.Metrics(ctx, h.request(q, from, to))
		require.NoError(t, err, q)
		require.NotContains(t, res.Executed, surveysSummed, q)
		return res
	}
	res = run(`{` + csatMetrics + `, "compare": "previous_period", "timezone": "Asia/Kolkata"}`)
	require.Contains(t, res.Executed, "csat_responses sent or answered [2026-03-09T18:30:00Z, 2026-03-11T18:35:00Z)")
	require.NotContains(t, res.Executed, "tickets created")
	h.expectAll(res, map[string]float64{"surveys_sent": 5, "responses": 5, "response_rate": 60, "csat": 60,
		"csat_average": 17.0 / 5, "csat_lower_bound": wilsonLowerRef(3, 5)})
	h.approx(50, h.previous(res, "csat"), "previous CSAT: Q of P and Q")
	res = run(`{"metrics": ["surveys_sent"], "groupBy": ["score"]}`)
	require.NotContains(t, res.Executed, "tickets created")
	h.approx(2, h.value(res, "surveys_sent", "(none)"), "E and F")
	// A dashboard variable set to All sends an empty list: no filter, no ticket read.
	res = run(`{"metrics": ["csat"], "filters": {"agents": [], "channels": [], "projects": []}}`)
	require.NotContains(t, res.Executed, "tickets created")
	h.approx(60, h.value(res, "csat"), "A, B, G of five")
	res = run(`{"metrics": ["responses", "csat_average"], "groupBy": ["agent"]}`)
	require.Contains(t, res.Executed, "tickets with a CSAT response answered [2026-03-09T18:30:00Z, 2026-03-11T18:35:00Z)",
		"responses alone: their tickets alone")
	require.NotContains(t, res.Executed, "tickets created")
	h.approx(3.5, h.value(res, "csat_average", "(open)"), "(2 + 5) / 2")
	h.approx(4, h.value(res, "csat_average", "zoe"), "B, the survey's own agent")
	res = run(`{"metrics": ["csat", "response_rate"], "filters": {"channels": ["email"]}}`)
	require.Contains(t, res.Executed, "tickets created")
	h.approx(50, h.value(res, "csat"), "G of C and G")
}
