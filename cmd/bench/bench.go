package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math"
	"runtime"
	"sync"
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
}

func newBench(ctx context.Context, db *database, dashboards, peers string) (*bench, error) {
	jsonData, err := json.Marshal(map[string]any{
		"helpdeskHost":        fmt.Sprintf("%s:%d", db.login.host, db.login.port),
		"helpdeskDatabase":    db.login.database,
		"helpdeskUser":        db.login.user,
		"helpdeskSslMode":     db.login.sslMode,
		"currency":            "USD",
		"timezone":            reportZone,
		"queryTimeoutSeconds": 300,
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

// readNames are the plugin's main reads of a range, timed one at a time to show where a cold
// refresh spends its time (a refresh runs them concurrently, for the range and the one before).
var readNames = []string{"tickets", "messages of the closed tickets", "orders, streamed", "surveys"}

// reads times each main read of [from, to) once, alone, as the plugin makes it with its read cache.
func (b *bench) reads(ctx context.Context, t *timings, from, to time.Time) error {
	w := b.settings.AttributionWindow
	tr := store.TicketRead{CreatedFrom: from.Add(-w), CreatedTo: to.Add(w), ClosedFrom: from, ClosedTo: to,
		SurveysFrom: &from, SurveysTo: &to}
	h, o := b.stores.Helpdesk, b.stores.Orders
	run := []func() error{
		func() error { _, err := h.ReadTickets(ctx, tr); return err },
		func() error {
			_, err := h.ReadMessages(ctx, store.MessageRead{TicketRead: store.TicketRead{CreatedFrom: from, CreatedTo: from,
				ClosedFrom: from, ClosedTo: to}})
			return err
		},
		func() error {
			r := store.OrderRead{From: from.Add(-w), To: to.Add(w), Excluded: b.settings.ExcludedStatuses, Currency: b.settings.Currency}
			return o.ScanOrders(ctx, r, func(store.Order) error { return nil })
		},
		func() error { _, err := h.ReadSurveys(ctx, from, to); return err },
	}
	if t.reads == nil {
		t.reads = make([][]time.Duration, len(run))
	}
	for i, f := range run {
		if err := timeIt(&t.reads[i], f); err != nil {
			return fmt.Errorf("read %s: %w", readNames[i], err)
		}
	}
	return nil
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

// timings are the samples of one range.
type timings struct {
	days                          int
	rows                          int64 // tickets and orders in range
	scan, best, naive, cold, warm []time.Duration
	reads                         [][]time.Duration // by readNames
	heap, rss                     uint64            // peaks over every plugin refresh
}

// measure runs every figure of one range runs times, interleaved.
func (b *bench) measure(ctx context.Context, days int, from, to time.Time, runs int, withSQL bool) (*timings, error) {
	t := &timings{days: days}
	if err := b.sql.QueryRow(ctx, sqlRowsInRange, from, to).Scan(&t.rows); err != nil {
		return nil, err
	}
	a := b.args(from, to)
	// One untimed round warms PostgreSQL's cache for every statement.
	if withSQL {
		if err := runScan(ctx, b.sql, a); err != nil {
			return nil, err
		}
		if _, err := runReport(ctx, b.sql, sqlBest, a); err != nil {
			return nil, err
		}
	}
	if _, err := b.pluginRound(ctx, &timings{}, from, to); err != nil {
		return nil, err
	}
	for i := range runs {
		if withSQL {
			if err := b.sqlRound(ctx, t, a); err != nil {
				return nil, err
			}
		}
		if _, err := b.pluginRound(ctx, t, from, to); err != nil {
			return nil, err
		}
		if err := b.reads(ctx, t, from, to); err != nil {
			return nil, err
		}
		log.Printf("%d days, round %d/%d: scan %s, best SQL %s, naive SQL %s, plugin cold %s, warm %s", days, i+1, runs,
			ms(last(t.scan)), ms(last(t.best)), ms(last(t.naive)), ms(last(t.cold)), ms(last(t.warm)))
	}
	return t, nil
}

// sqlRound times the scan limit and both hand-written reports once.
func (b *bench) sqlRound(ctx context.Context, t *timings, a reportArgs) error {
	if err := timeIt(&t.scan, func() error { return runScan(ctx, b.sql, a) }); err != nil {
		return fmt.Errorf("scan limit: %w", err)
	}
	if err := timeIt(&t.best, func() error { _, err := runReport(ctx, b.sql, sqlBest, a); return err }); err != nil {
		return fmt.Errorf("best SQL: %w", err)
	}
	if err := timeIt(&t.naive, func() error { _, err := runReport(ctx, b.sql, sqlNaive, a); return err }); err != nil {
		return fmt.Errorf("naive SQL: %w", err)
	}
	return nil
}

// newInstance is a fresh plugin instance (an empty read cache), as after Grafana starts the plugin;
// the returned function disposes of it.
func (b *bench) newInstance(ctx context.Context) (func(), backend.QueryDataHandler, error) {
	inst, err := plugin.NewDatasource(ctx, b.instance)
	if err != nil {
		return nil, nil, err
	}
	return inst.(instancemgmt.InstanceDisposer).Dispose, inst.(backend.QueryDataHandler), nil
}

// pluginRound is one cold refresh on a fresh instance, then warmRepeats warm ones on the same.
func (b *bench) pluginRound(ctx context.Context, t *timings, from, to time.Time) (*timings, error) {
	inst, err := plugin.NewDatasource(ctx, b.instance)
	if err != nil {
		return nil, err
	}
	defer inst.(instancemgmt.InstanceDisposer).Dispose()
	ds := inst.(backend.QueryDataHandler)
	for i := range 1 + warmRepeats {
		samples := &t.warm
		if i == 0 {
			samples = &t.cold
		}
		runtime.GC()
		peak := sampleMemory()
		err := timeIt(samples, func() error { return b.refresh(ctx, ds, from, to) })
		heap, rss := peak()
		if i == 0 && b.heapFile != "" {
			if err := writeHeapProfile(b.heapFile); err != nil {
				return nil, err
			}
		}
		t.heap, t.rss = max(t.heap, heap), max(t.rss, rss)
		if err != nil {
			return nil, fmt.Errorf("plugin refresh: %w", err)
		}
	}
	return t, nil
}

// refresh sends every panel query as Grafana does: one QueryData request per panel, all at once.
func (b *bench) refresh(ctx context.Context, ds backend.QueryDataHandler, from, to time.Time) error {
	pctx := backend.PluginContext{OrgID: 1, PluginID: pluginID, DataSourceInstanceSettings: &b.instance}
	errs := make([]error, len(b.panels))
	var wg sync.WaitGroup
	for i, p := range b.panels {
		q, err := p.dataQuery(from, to)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := ds.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pctx, Queries: []backend.DataQuery{q}})
			if err == nil {
				err = resp.Responses[q.RefID].Error
			}
			if err != nil {
				errs[i] = fmt.Errorf("%s, panel %q: %w", p.dashboard, p.panel, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
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
