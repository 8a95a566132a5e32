package engine_test

// Every query-validation error (SPEC 4, 7), each with the words the user reads.

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/models"
)

func TestSpecQueryErrors(t *testing.T) {
	h := newHand(t, nil)
	for _, c := range []struct {
		name, query, from, to, want string
	}{
		{"unknown metric", `{"metrics": ["tickets", "nope"]}`, mar10, mar11, `unknown metric "nope"`},
		{"unknown dimension", `{"metrics": ["tickets"], "groupBy": ["colour"]}`, mar10, mar11, `unknown groupBy dimension "colour"`},
		{"metric without the dimension", `{"metrics": ["tickets", "revenue"], "groupBy": ["agent"]}`, mar10, mar11,
			"metric revenue cannot be grouped by agent"},
		{"order-line dimension on an order metric", `{"metrics": ["revenue"], "groupBy": ["product"]}`, mar10, mar11,
			"metric revenue cannot be grouped by product"},
		{"score on a ticket metric", `{"metrics": ["tickets"], "groupBy": ["score"]}`, mar10, mar11,
			"metric tickets cannot be grouped by score"},
		{"filter on an unsupported dimension", `{"metrics": ["revenue"], "filters": {"agents": ["alice"]}}`, mar10, mar11,
			"metric revenue cannot be filtered by agent (filters.agents)"},
		{"unknown segment", `{"metrics": ["tickets"], "filters": {"segments": ["gold"]}}`, mar10, mar11, `unknown segment "gold"`},
		{"range over maxRangeDays", `{"metrics": ["tickets"]}`, "2024-01-01T00:00:00Z", "2026-01-03T00:00:00Z",
			"longer than the 732 days this data source allows (maxRangeDays)"},
		{"empty range", `{"metrics": ["tickets"]}`, mar11, mar10, "the time range is empty"},
		{"unknown time zone", `{"metrics": ["tickets"], "timezone": "Mars/Olympus"}`, mar10, mar11, `unknown time zone "Mars/Olympus"`},
		// SPEC 7 / issue 12 item 7: a filter key the plugin does not know is an error, never an
		// unfiltered number; the message names the key and lists the valid ones.
		{"unknown filter key", `{"metrics": ["tickets"], "filters": {"agent": ["alice"]}}`, mar10, mar11,
			`unknown filter key "agent": this data source filters by agents, channels, projects,`},
		{"unknown filter keys, even empty or uninterpolated", `{"metrics": ["tickets"], "filters": {"zz": [], "colour": ["$colour"], "agents": ["a"]}}`,
			mar10, mar11, `unknown filter key "colour", "zz": this data source filters by agents,`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := h.metricsErr(c.query, c.from, c.to)
			require.ErrorContains(t, err, c.want)
			require.True(t, errors.Is(err, models.ErrBadQuery), "a query error: %v", err)
		})
	}
	t.Run("range of exactly maxRangeDays", func(t *testing.T) {
		res := h.metrics(`{"metrics": ["tickets"]}`, "2024-01-01T00:00:00Z", "2026-01-02T00:00:00Z") // 732 days
		h.approx(0, h.value(res, "tickets"), "tickets")
	})
	t.Run("maxRangeDays setting", func(t *testing.T) {
		h := newHand(t, map[string]any{"maxRangeDays": 7})
		err := h.metricsErr(`{"metrics": ["tickets"]}`, mar1, "2026-03-09T00:00:00Z")
		require.ErrorContains(t, err, "longer than the 7 days")
	})
}

// Every query type rejects an unknown filter key, not only metrics.
func TestSpecUnknownFilterKeyOnEveryQueryType(t *testing.T) {
	h := newHand(t, nil)
	e := h.engine(h.now)
	for qt, run := range map[string]func(context.Context, engine.Request) (*engine.Table, error){
		"tickets": e.Tickets, "top_products": e.TopProducts, "retention": e.Retention, "live_feed": e.LiveFeed,
	} {
		_, err := run(ctx, h.request(`{"queryType": "`+qt+`", "filters": {"agent": ["alice"]}}`, mar10, mar11))
		require.ErrorContains(t, err, `unknown filter key "agent"`, qt)
		require.True(t, errors.Is(err, models.ErrBadQuery), qt)
	}
}

// The valid filter keys are the dimension table's: each is a field of the query model, and each field
// of the query model is a dimension's filter key. A new dimension with its filter extends both.
func TestFilterKeysMatchTheDimensionTable(t *testing.T) {
	require.ElementsMatch(t, models.FilterKeys(), engine.FilterKeys())
	h := newHand(t, nil)
	err := h.metricsErr(`{"metrics": ["tickets"], "filters": {"agent": ["alice"]}}`, mar10, mar11)
	for _, key := range engine.FilterKeys() {
		require.ErrorContains(t, err, key, "the error lists every valid key")
	}
	// Keys are matched as encoding/json matches field names: "Agents" is agents, not unknown.
	q, err := models.ParseQuery(json.RawMessage(`{"metrics": ["tickets"], "filters": {"Agents": ["a"], "agentz": ["b"]}}`))
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, q.Filters.Agents)
	require.Equal(t, []string{"agentz"}, q.UnknownFilters)
}

func TestSpecParseErrors(t *testing.T) {
	for _, c := range []struct{ query, want string }{
		{`{"queryType": "pie"}`, `unknown queryType "pie"`},
		{`{"metrics": ["tickets"], "interval": "fortnight"}`, `unknown interval "fortnight"`},
		{`{"metrics": ["tickets"], "compare": "last_week"}`, `unknown compare "last_week"`},
		{`{"metrics": ["tickets"], "attribution": {"model": "split"}}`, `unknown attribution model "split": use last_touch, first_touch or linear`},
		{`{"metrics": ["tickets"], "attribution": {"anchor": "resolved"}}`, `unknown attribution anchor "resolved": use created or closed`},
		{`{"metrics": ["tickets"], "attribution": {"dateBasis": "payment"}}`, `unknown attribution dateBasis "payment"`},
		{`{"metrics": ["tickets"], "groupBy": ["time", "agent", "channel"]}`, "group by at most two dimensions, got 3"},
		{`{"metrics": ["tickets"], "groupBy": ["agent", "agent"]}`, `group by "agent" twice`},
		{`{"queryType": "metrics"}`, "choose at least one metric"},
		{`{"queryType": "top_products", "sortBy": "margin"}`, `unknown sortBy "margin"`},
		{`{"metrics": "tickets"}`, `field "metrics" must be a list`},
	} {
		_, err := models.ParseQuery(json.RawMessage(c.query))
		require.ErrorContains(t, err, c.want, c.query)
		require.True(t, errors.Is(err, models.ErrBadQuery), c.query)
	}
}

func TestSpecEngagementWithoutDisplaysIsAnError(t *testing.T) {
	h := newHand(t, nil)
	h.exec(`DROP TABLE chat_displays`)
	err := h.metricsErr(`{"metrics": ["engagement_rate"]}`, mar10, mar11)
	require.True(t, errors.Is(err, engine.ErrMissingRelation))
	require.ErrorContains(t, err, "chat_displays")
}

// A template variable that reached the backend uninterpolated is no filter, with a notice.
func TestSpecUninterpolatedVariables(t *testing.T) {
	h := newHand(t, nil)
	h.tickets(
		hTicket{ID: "T1", Customer: "c", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "alice"},
		hTicket{ID: "T2", Customer: "c", Created: "2026-03-10T09:00:00Z", Closed: "2026-03-10T10:00:00Z", Agent: "bob"},
	)
	for _, v := range []string{"$agent", "${agent}", "${agent:csv}", "[[agent]]", "$__all"} {
		t.Run(v, func(t *testing.T) {
			raw, _ := json.Marshal(v)
			res := h.metrics(`{"metrics": ["tickets"], "filters": {"agents": [`+string(raw)+`]}}`, mar10, mar11)
			h.approx(2, h.value(res, "tickets"), "no filter: both tickets")
			require.Empty(t, res.Notices, "not a warning")
			require.Len(t, res.Info, 1, "%q", res.Info)
			require.Equal(t, "Filter agents ("+v+") is a dashboard variable that was not set (public or embedded dashboard, or alert rule): showing all agents.", res.Info[0])
		})
	}
	// Several unset variables in one query: one notice naming them all.
	res := h.metrics(`{"metrics": ["tickets"], "filters": {"agents": ["$agent"], "channels": ["${channel}"], "topics": ["[[topic]]"]}}`, mar10, mar11)
	h.approx(2, h.value(res, "tickets"), "no filter: both tickets")
	require.Equal(t, []string{"Filters agents ($agent), channels (${channel}) and topics ([[topic]]) are dashboard variables that were not set " +
		"(public or embedded dashboard, or alert rule): showing all agents, all channels and all topics."}, res.Info)
	// A literal value that merely contains a dollar is a real filter.
	res = h.metrics(`{"metrics": ["tickets"], "filters": {"agents": ["al$ice"]}}`, mar10, mar11)
	h.approx(0, h.value(res, "tickets"), "literal filter")
	require.Empty(t, res.Notices)
	require.Empty(t, res.Info)
}
