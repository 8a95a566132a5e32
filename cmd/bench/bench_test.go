package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// demoBench is the bench on a database of its own holding the demo data, closed with the test.
func demoBench(t *testing.T) (*database, *bench) {
	t.Helper()
	pdb := pgtest.Start(t).NewDatabase(t)
	_, err := demo.Load(context.Background(), pdb.AdminPool, pdb.AdminPool, demo.Options{})
	require.NoError(t, err)
	pdb.GrantRead(t, "public")
	db := &database{end: demo.DefaultEnd, login: login{host: pdb.Host, port: pdb.Port, database: pdb.Name, user: pdb.User,
		password: pdb.Password, sslMode: "disable"}}
	b, err := newBench(context.Background(), db, "../../dashboards", "../../bench/peer")
	require.NoError(t, err)
	t.Cleanup(b.close)
	return db, b
}

// The hand-written SQL the bench measures computes the plugin's numbers: on the demo data, the best
// and the naive form give, per day and per agent, the plugin's tickets, converted tickets and revenue.
func TestHandWrittenSQLMatchesThePlugin(t *testing.T) {
	ctx := context.Background()
	db, b := demoBench(t)
	for _, days := range []int{30, 365} {
		from := db.end.AddDate(0, 0, -days)
		want, err := b.pluginReport(ctx, from, db.end)
		require.NoError(t, err)
		converted := int64(0)
		for _, r := range want {
			converted += r.converted
		}
		require.Positive(t, converted, "%d days: the demo data converts tickets", days)
		require.NoError(t, b.check(ctx, from, db.end), "%d days", days)
	}
}

// The peer dashboards give the plugin's numbers: on the demo store, every panel of the five shipped
// dashboards has its peer SQL in bench/peer, and each gives, at 30 and at 365 days, the rows and
// values of the plugin's answer through QueryData.
func TestPeerSQLMatchesThePlugin(t *testing.T) {
	ctx := context.Background()
	db, b := demoBench(t)
	for _, days := range []int{30, 365} {
		checks, err := b.checkPeers(ctx, db.end.AddDate(0, 0, -days), db.end)
		require.NoError(t, err, "%d days", days)
		rows := 0
		for _, c := range checks {
			assert.NotNil(t, c.peer, "%s, panel %q has no peer SQL in bench/peer/%s", c.panel.dashboard, c.panel.panel, c.panel.name())
			rows += c.rows
		}
		assert.Len(t, checks, 58)
		peers := 0
		for _, byPanel := range b.peers {
			peers += len(byPanel)
		}
		assert.Equal(t, len(checks), peers, "a peer file whose panel the dashboards no longer have (renamed?)")
		assert.Greater(t, rows, 1000, "%d days: rows compared", days)
	}
}

// The comparison fails on a differing value, a missing or extra row or column, and a different
// order in a table; it accepts float rounding in the last bits and a different row order in metrics.
func TestCompareTables(t *testing.T) {
	metrics := &table{columns: []string{"agent", "csat"}, rows: [][]any{{"alice", 80.0}, {"bruno", 1 / 3.0}}}
	same := &table{columns: []string{"csat", "agent"}, rows: [][]any{{1.0 / 3 * (1 + 1e-15), "bruno"}, {80.0, "alice"}}}
	assert.Empty(t, compareTables(metrics, same))
	for name, peer := range map[string]*table{
		"value":          {columns: []string{"agent", "csat"}, rows: [][]any{{"alice", 80.01}, {"bruno", 1 / 3.0}}},
		"null":           {columns: []string{"agent", "csat"}, rows: [][]any{{"alice", nil}, {"bruno", 1 / 3.0}}},
		"missing row":    {columns: []string{"agent", "csat"}, rows: [][]any{{"alice", 80.0}}},
		"extra row":      {columns: []string{"agent", "csat"}, rows: [][]any{{"alice", 80.0}, {"bruno", 1 / 3.0}, {"chloe", 1.0}}},
		"missing column": {columns: []string{"agent"}, rows: [][]any{{"alice"}, {"bruno"}}},
		"extra column":   {columns: []string{"agent", "csat", "x"}, rows: [][]any{{"alice", 80.0, 1.0}, {"bruno", 1 / 3.0, 1.0}}},
		"label":          {columns: []string{"agent", "csat"}, rows: [][]any{{"alice", 80.0}, {"Bruno", 1 / 3.0}}},
	} {
		assert.NotEmpty(t, compareTables(metrics, peer), name)
	}
	tab := &table{columns: []string{"id"}, rows: [][]any{{"1"}, {"2"}}, ordered: true}
	assert.NotEmpty(t, compareTables(tab, &table{columns: []string{"id"}, rows: [][]any{{"2"}, {"1"}}}), "table order")
	assert.Empty(t, compareTables(tab, &table{columns: []string{"id"}, rows: [][]any{{"1"}, {"2"}}}))
}

// Every panel query of the five dashboards is sent, with All selected in every variable.
func TestPanelQueriesOfTheDashboards(t *testing.T) {
	panels, err := loadPanelQueries("../../dashboards")
	require.NoError(t, err)
	assert.Len(t, panels, 58)
	var literal []string
	for _, p := range panels {
		var q struct {
			Filters     map[string][]string `json:"filters"`
			Attribution map[string]any      `json:"attribution"`
		}
		require.NoError(t, json.Unmarshal(p.raw, &q), p.panel)
		for key, values := range q.Filters {
			for _, v := range values {
				// A variable becomes an empty list (All); a literal value (the chat drill-down's
				// channel, the segments of the CSAT by segment and VIP panels) stays.
				assert.NotRegexp(t, variableRef, v, "%s: filters.%s: All is an empty list", p.panel, key)
				literal = append(literal, p.panel+": "+key+"="+v)
			}
		}
		// The Synthesis dashboard's $anchor takes its default, the data source's setting.
		assert.NotContains(t, q.Attribution, "anchor", "%s: attribution.anchor is a variable", p.panel)
	}
	assert.ElementsMatch(t, []string{"Chat conversations created (drill-down): channels=chat",
		"CSAT by segment: segments=new_buyer", "CSAT by segment: segments=returning", "CSAT by segment: segments=vip",
		"VIP SLA rate: segments=vip", "VIP first response: segments=vip", "VIP resolution: segments=vip",
		"Open VIP tickets: segments=vip"}, literal, "the literal filter values of the panels")
}
