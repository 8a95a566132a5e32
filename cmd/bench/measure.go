package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// dashboard is one shipped dashboard: its panels' plugin queries and their peer SQL.
type dashboard struct {
	name   string
	panels []panelQuery
	peers  []peerQuery
}

func (b *bench) dashboards() []dashboard {
	var out []dashboard
	for _, p := range b.panels {
		if len(out) == 0 || out[len(out)-1].name != p.name() {
			out = append(out, dashboard{name: p.name()})
		}
		d := &out[len(out)-1]
		d.panels = append(d.panels, p)
		if q, ok := b.peers[p.name()][p.panel]; ok {
			d.peers = append(d.peers, q)
		}
	}
	return out
}

// dashTimings are the samples of one dashboard at one range.
type dashTimings struct {
	name                   string
	panels, peers          int
	peer, cold, warm, auto []time.Duration
	// The peaks of the last round's refreshes (cold, warm, auto), in bytes: which dashboard makes
	// the range's peak.
	heap, rss uint64
}

// panelTiming is one panel alone: the plugin cold (a fresh instance) and its peer query.
type panelTiming struct {
	panel      panelQuery
	plugin     []time.Duration
	peer       []time.Duration
	pluginOnly bool
}

// rangeTimings are the samples of one range.
type rangeTimings struct {
	days      int
	rows      int64 // tickets and orders in range
	scan      []time.Duration
	dashes    []*dashTimings
	panels    []*panelTiming // with -panel-days
	heap, rss uint64         // peaks over every plugin refresh of the range
	checked   int            // panels whose peer SQL was checked equal at this range
}

// measureRange runs every figure of one range, runs times, interleaved: per round and dashboard, the
// peer dashboard (every peer query at once), then the plugin's refresh of the same panels on a fresh
// instance (cold), again within the cache TTL (warm), and with the range moved forward by a minute
// (auto-refresh).
func (b *bench) measureRange(ctx context.Context, days int, from, to time.Time, runs int, withPeers bool) (*rangeTimings, error) {
	t := &rangeTimings{days: days}
	if err := b.sql.QueryRow(ctx, sqlRowsInRange, from, to).Scan(&t.rows); err != nil {
		return nil, err
	}
	dashes := b.dashboards()
	for _, d := range dashes {
		t.dashes = append(t.dashes, &dashTimings{name: d.name, panels: len(d.panels), peers: len(d.peers)})
	}
	// One untimed round warms PostgreSQL's buffer cache for every statement of both sides.
	for _, d := range dashes {
		if withPeers {
			if err := runPeerDashboard(ctx, b.peerPool, d.peers, from, to); err != nil {
				return nil, err
			}
		}
		if _, err := b.pluginDashboard(ctx, &dashTimings{}, d, from, to, t); err != nil {
			return nil, err
		}
	}
	for round := range runs {
		if withPeers {
			if err := timeIt(&t.scan, func() error { return runScan(ctx, b.sql, b.args(from, to)) }); err != nil {
				return nil, err
			}
		}
		for i, d := range dashes {
			dt := t.dashes[i]
			if withPeers {
				if err := timeIt(&dt.peer, func() error { return runPeerDashboard(ctx, b.peerPool, d.peers, from, to) }); err != nil {
					return nil, fmt.Errorf("%s, peer dashboard: %w", d.name, err)
				}
			}
			if _, err := b.pluginDashboard(ctx, dt, d, from, to, t); err != nil {
				return nil, err
			}
			log.Printf("%d days, round %d/%d, %s: peer %s, plugin cold %s, warm %s, auto-refresh %s, peak heap %s, RSS %s", days, round+1,
				runs, d.name, ms(last(dt.peer)), ms(last(dt.cold)), ms(last(dt.warm)), ms(last(dt.auto)), mib(dt.heap), mib(dt.rss))
		}
	}
	return t, nil
}

// pluginDashboard refreshes one dashboard on a fresh instance (cold), warmRepeats times more within
// the cache TTL (warm), then once with the range moved forward by one minute (auto-refresh).
func (b *bench) pluginDashboard(ctx context.Context, dt *dashTimings, d dashboard, from, to time.Time, t *rangeTimings) (*dashTimings, error) {
	dispose, ds, err := b.newInstance(ctx)
	if err != nil {
		return nil, err
	}
	defer dispose()
	dt.heap, dt.rss = 0, 0
	// Each refresh's goroutines carry the label refresh=cold, warm or auto in a CPU profile
	// (go tool pprof -tagfocus refresh=auto).
	step := func(samples *[]time.Duration, from, to time.Time, profile bool) error {
		runtime.GC()
		peak := sampleMemory()
		phase := map[*[]time.Duration]string{&dt.cold: "cold", &dt.warm: "warm", &dt.auto: "auto"}[samples]
		var err error
		pprof.Do(ctx, pprof.Labels("refresh", phase), func(ctx context.Context) {
			err = timeIt(samples, func() error { return b.refresh(ctx, ds, d.panels, from, to) })
		})
		heap, rss := peak()
		t.heap, t.rss = max(t.heap, heap), max(t.rss, rss)
		dt.heap, dt.rss = max(dt.heap, heap), max(dt.rss, rss)
		if profile && b.heapFile != "" {
			if err := writeHeapProfile(b.heapFile); err != nil {
				return err
			}
		}
		if err != nil {
			return fmt.Errorf("%s, plugin refresh: %w", d.name, err)
		}
		return nil
	}
	if err := step(&dt.cold, from, to, true); err != nil {
		return nil, err
	}
	for range warmRepeats {
		if err := step(&dt.warm, from, to, false); err != nil {
			return nil, err
		}
	}
	if err := step(&dt.auto, from.Add(time.Minute), to.Add(time.Minute), false); err != nil {
		return nil, err
	}
	return dt, nil
}

// refresh sends every panel query as Grafana does: one QueryData request per panel, all at once.
func (b *bench) refresh(ctx context.Context, ds backend.QueryDataHandler, panels []panelQuery, from, to time.Time) error {
	pctx := backend.PluginContext{OrgID: 1, PluginID: pluginID, DataSourceInstanceSettings: &b.instance}
	errs := make([]error, len(panels))
	var wg sync.WaitGroup
	for i, p := range panels {
		q, err := p.dataQuery(from, to)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			resp, err := ds.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pctx, Queries: []backend.DataQuery{q}})
			if b.panelLog {
				log.Printf("  panel %s / %s: %s", p.dashboard, p.panel, ms(time.Since(start)))
			}
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

// measurePanels times each panel alone, runs times: the plugin on a fresh instance (cold), and its
// peer query alone.
func (b *bench) measurePanels(ctx context.Context, t *rangeTimings, from, to time.Time, runs int, withPeers bool) error {
	for _, p := range b.panels {
		pt := &panelTiming{panel: p}
		q, hasPeer := b.peers[p.name()][p.panel]
		for range runs {
			dispose, ds, err := b.newInstance(ctx)
			if err != nil {
				return err
			}
			err = timeIt(&pt.plugin, func() error { return b.refresh(ctx, ds, []panelQuery{p}, from, to) })
			dispose()
			if err != nil {
				return err
			}
			if withPeers && hasPeer {
				pf, ptTo := p.span(from, to)
				if err := timeIt(&pt.peer, func() error { _, err := runPeer(ctx, b.peerPool, q, pf, ptTo); return err }); err != nil {
					return err
				}
			}
		}
		log.Printf("%d days, panel alone, %s / %s: plugin %s, peer %s", t.days, p.name(), p.panel, ms(median(pt.plugin)), ms(median(pt.peer)))
		t.panels = append(t.panels, pt)
	}
	return nil
}

func (d *dashTimings) summary() string {
	return fmt.Sprintf("%s: peer %s, plugin cold %s (%s of peer), warm %s, auto-refresh %s", d.name, ms(median(d.peer)),
		ms(median(d.cold)), ratio(median(d.cold), median(d.peer)), ms(median(d.warm)), ms(median(d.auto)))
}

func (t *rangeTimings) summary() string {
	s := fmt.Sprintf("%d days (medians of %d rounds): peak heap %s, RSS %s", t.days, len(t.scan), mib(t.heap), mib(t.rss))
	for _, d := range t.dashes {
		s += "\n  " + d.summary()
	}
	return s
}

// coldTotal is the sum over the dashboards of the median cold refresh.
func (t *rangeTimings) coldTotal() time.Duration {
	var sum time.Duration
	for _, d := range t.dashes {
		sum += median(d.cold)
	}
	return sum
}

func maxOf(ds []*dashTimings, f func(*dashTimings) time.Duration) time.Duration {
	var out time.Duration
	for _, d := range ds {
		out = max(out, f(d))
	}
	return out
}
