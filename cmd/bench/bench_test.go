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

// The hand-written SQL the bench measures computes the plugin's numbers: on the demo data, the best
// and the naive form give, per day and per agent, the plugin's tickets, converted tickets and revenue.
func TestHandWrittenSQLMatchesThePlugin(t *testing.T) {
	ctx := context.Background()
	pdb := pgtest.Start(t).NewDatabase(t)
	_, err := demo.Load(ctx, pdb.AdminPool, pdb.AdminPool, demo.Options{})
	require.NoError(t, err)
	pdb.GrantRead(t, "public")
	db := &database{end: demo.DefaultEnd, login: login{host: pdb.Host, port: pdb.Port, database: pdb.Name, user: pdb.User,
		password: pdb.Password, sslMode: "disable"}}
	b, err := newBench(ctx, db, "../../dashboards", "../../bench/peer")
	require.NoError(t, err)
	defer b.close()
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

// Every panel query of both dashboards is sent, with All selected in every variable.
func TestPanelQueriesOfBothDashboards(t *testing.T) {
	panels, err := loadPanelQueries("../../dashboards")
	require.NoError(t, err)
	assert.Len(t, panels, 17)
	for _, p := range panels {
		var q struct {
			Filters map[string][]string `json:"filters"`
		}
		require.NoError(t, json.Unmarshal(p.raw, &q), p.panel)
		for key, values := range q.Filters {
			assert.Empty(t, values, "%s: filters.%s: All is an empty list", p.panel, key)
		}
	}
}
