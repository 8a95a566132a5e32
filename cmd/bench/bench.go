package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/plugin"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

const (
	pluginID   = "supportops-analytics-datasource"
	reportZone = "Europe/Paris"
	// warmRepeats is how many warm refreshes follow each cold one.
	warmRepeats = 3
)

// bench holds what every measurement uses.
type bench struct {
	db       *database
	instance backend.DataSourceInstanceSettings
	settings models.Settings
	sql      *pgxpool.Pool
	stores   *store.Stores // the plugin's readers, for the reads one at a time
	panels   []panelQuery
	peers    map[string]map[string]peerQuery // by dashboard name and panel title
	peerPool *pgxpool.Pool                   // one connection per panel
	heapFile string                          // write a heap profile after each cold refresh (the last one stays)
	panelLog bool                            // log each panel's time in every refresh
}

// officeDay is a weekday of the demo's business hours.
var officeDay = [][]string{{"09:00", "12:30"}, {"13:30", "18:00"}}

func newBench(ctx context.Context, db *database, dashboards, peers string) (*bench, error) {
	jsonData, err := json.Marshal(map[string]any{
		"helpdeskHost":        fmt.Sprintf("%s:%d", db.login.host, db.login.port),
		"helpdeskDatabase":    db.login.database,
		"helpdeskUser":        db.login.user,
		"helpdeskSslMode":     db.login.sslMode,
		"currency":            "USD",
		"timezone":            reportZone,
		"queryTimeoutSeconds": 300,
		// The demo provisioning's office hours (provisioning/datasources), which the VIP queue's
		// business-hours panels need.
		"businessHours": map[string]any{
			"timezone": reportZone,
			"week": map[string]any{"monday": officeDay, "tuesday": officeDay, "wednesday": officeDay,
				"thursday": officeDay, "friday": officeDay},
			"holidays": []string{"2026-11-11", "2026-12-25", "2027-01-01"},
		},
	})
	if err != nil {
		return nil, err
	}
	b := &bench{db: db, instance: backend.DataSourceInstanceSettings{UID: "bench", Type: pluginID, Name: "Support Analytics",
		JSONData: jsonData, DecryptedSecureJSONData: map[string]string{"helpdeskPassword": db.login.password}}}
	if b.settings, err = models.LoadSettings(b.instance); err != nil {
		return nil, err
	}
	if b.panels, err = loadPanelQueries(dashboards); err != nil {
		return nil, err
	}
	if b.peers, err = loadPeers(peers); err != nil {
		return nil, err
	}
	if b.sql, err = newSQLPool(ctx, db.login); err != nil {
		return nil, err
	}
	if b.peerPool, err = newPeerPool(ctx, db.login, 16); err != nil {
		b.sql.Close()
		return nil, err
	}
	if b.stores, err = store.Open(b.settings); err != nil {
		b.sql.Close()
		b.peerPool.Close()
		return nil, err
	}
	return b, nil
}

func (b *bench) close() {
	b.sql.Close()
	b.peerPool.Close()
	b.stores.Close()
}

func (b *bench) args(from, to time.Time) reportArgs {
	return reportArgs{from: from, to: to, window: b.settings.AttributionWindow, excluded: b.settings.ExcludedStatuses,
		currency: b.settings.Currency, timezone: reportZone}
}

// check verifies that both hand-written SQL reports give the plugin's numbers over [from, to).
func (b *bench) check(ctx context.Context, from, to time.Time) error {
	a := b.args(from, to)
	want, err := b.pluginReport(ctx, from, to)
	if err != nil {
		return fmt.Errorf("the plugin's report: %w", err)
	}
	for _, s := range []struct{ name, sql string }{{"best SQL", sqlBest}, {"naive SQL", sqlNaive}} {
		got, err := runReport(ctx, b.sql, s.sql, a)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if err := checkSame(s.name+" vs the plugin", want, got); err != nil {
			return err
		}
	}
	return nil
}

// pluginReport is the revenue report computed by the plugin's engine: the same metrics by day and
// by agent.
func (b *bench) pluginReport(ctx context.Context, from, to time.Time) ([]reportRow, error) {
	stores, err := store.Open(b.settings)
	if err != nil {
		return nil, err
	}
	defer stores.Close()
	e := engine.New(b.settings, stores.Helpdesk, stores.Orders)
	loc, err := time.LoadLocation(reportZone)
	if err != nil {
		return nil, err
	}
	var out []reportRow
	for _, by := range []string{"time", "agent"} {
		q, err := models.ParseQuery(json.RawMessage(`{"queryType":"metrics","metrics":["tickets","converted_tickets",` +
			`"attributed_revenue"],"interval":"day","groupBy":["` + by + `"]}`))
		if err != nil {
			return nil, err
		}
		res, err := e.Metrics(ctx, engine.Request{Query: q, From: from, To: to})
		if err != nil {
			return nil, err
		}
		for _, g := range res.Groups {
			for bi := range g.Values[0] {
				r := reportRow{kind: "agent", tickets: count(g.Values[0][bi]), converted: count(g.Values[1][bi]),
					revenue: int64(math.Round(value(g.Values[2][bi]) * store.MoneyScale))}
				if by == "time" {
					r.kind, r.key = "day", res.Times[bi].In(loc).Format(time.DateOnly)
				} else {
					r.key = g.Labels[0]
				}
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func value(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

func count(v *float64) int64 { return int64(math.Round(value(v))) }

// newInstance is a fresh plugin instance (an empty read cache), as after Grafana starts the plugin;
// the returned function disposes of it.
func (b *bench) newInstance(ctx context.Context) (func(), backend.QueryDataHandler, error) {
	inst, err := plugin.NewDatasource(ctx, b.instance)
	if err != nil {
		return nil, nil, err
	}
	return inst.(instancemgmt.InstanceDisposer).Dispose, inst.(backend.QueryDataHandler), nil
}

func timeIt(samples *[]time.Duration, f func() error) error {
	began := time.Now()
	err := f()
	*samples = append(*samples, time.Since(began))
	return err
}

func last(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[len(d)-1]
}
