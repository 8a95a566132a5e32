package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The peer dashboards: for each panel of a shipped dashboard, the SQL a strong PostgreSQL engineer
// would put in a panel of Grafana's built-in PostgreSQL data source, in bench/peer/<dashboard>/.
// Each file starts with a header comment whose "-- Panel:" line names the panel (its title) and
// whose "-- Metrics:" line says which definitions of docs/METRICS.md it implements. Grafana's
// $__timeFrom() and $__timeTo() are $1 and $2 (timestamptz); the data source settings of the
// bench (72 h window, excluded statuses, USD, Europe/Paris, the VIP rule, the SLA targets) are
// written in the SQL, as a user writes them. Columns are named as the plugin's frame fields.

// peerQuery is one panel's hand SQL.
type peerQuery struct {
	dashboard, panel, file, sql string
}

// loadPeers reads every peer query under dir, by dashboard (file name without .json) and panel title.
func loadPeers(dir string) (map[string]map[string]peerQuery, error) {
	out := map[string]map[string]peerQuery{}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.sql"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dash := filepath.Base(filepath.Dir(f))
		panel := ""
		for _, line := range strings.Split(string(b), "\n") {
			if p, ok := strings.CutPrefix(line, "-- Panel:"); ok {
				panel = strings.TrimSpace(p)
				break
			}
		}
		if panel == "" {
			return nil, fmt.Errorf("%s: no \"-- Panel: <title>\" header line", f)
		}
		if out[dash] == nil {
			out[dash] = map[string]peerQuery{}
		}
		if _, dup := out[dash][panel]; dup {
			return nil, fmt.Errorf("%s: a second peer query for panel %q", f, panel)
		}
		out[dash][panel] = peerQuery{dashboard: dash, panel: panel, file: f, sql: string(b)}
	}
	return out, nil
}

// newPeerPool is the peer dashboard's connection pool: one connection per panel, as Grafana's
// PostgreSQL data source opens them, with serial plans as every figure of the bench (parallel
// workers would hide CPU cost on a shared 2-core server, and the panels already run side by side).
func newPeerPool(ctx context.Context, l login, conns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(l.url())
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = conns
	cfg.MinConns = conns
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET max_parallel_workers_per_gather = 0")
		return err
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// table is a result normalised for comparison: column names and rows of values (nil, float64,
// string, bool, or int64 microseconds for instants).
type table struct {
	columns []string
	rows    [][]any
	ordered bool // the row order is part of the result (tables); else rows are compared as a set
}

type instant int64

func (v instant) String() string { return time.UnixMicro(int64(v)).UTC().Format(time.RFC3339Nano) }

// normalise maps a value of a frame field or of a pgx row to the comparison form.
func normalise(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *float64:
		if x == nil {
			return nil, nil
		}
		return *x, nil
	case *int64:
		if x == nil {
			return nil, nil
		}
		return float64(*x), nil
	case *time.Time:
		if x == nil {
			return nil, nil
		}
		return instant(x.UnixMicro()), nil
	case *string:
		if x == nil {
			return nil, nil
		}
		return *x, nil
	case *bool:
		if x == nil {
			return nil, nil
		}
		return *x, nil
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case string:
		return x, nil
	case bool:
		return x, nil
	case time.Time:
		return instant(x.UnixMicro()), nil
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return nil, err
		}
		return f.Float64, nil
	}
	return nil, fmt.Errorf("unexpected value %T", v)
}

// frameTable is the plugin's answer for one panel as a table.
func frameTable(resp backend.DataResponse) (*table, error) {
	if resp.Error != nil {
		return nil, resp.Error
	}
	if len(resp.Frames) != 1 {
		return nil, fmt.Errorf("%d frames, want 1", len(resp.Frames))
	}
	f := resp.Frames[0]
	t := &table{}
	if f.Meta != nil {
		t.ordered = f.Meta.Type == data.FrameTypeTable
	}
	for _, fd := range f.Fields {
		if len(fd.Labels) > 0 {
			return nil, fmt.Errorf("field %s has labels: the bench compares one series per metric", fd.Name)
		}
		t.columns = append(t.columns, fd.Name)
	}
	n, _ := f.RowLen()
	for i := range n {
		row := make([]any, len(f.Fields))
		for j, fd := range f.Fields {
			v, err := normalise(fd.At(i))
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", fd.Name, err)
			}
			row[j] = v
		}
		t.rows = append(t.rows, row)
	}
	return t, nil
}

// runPeer runs one peer query over [from, to) and returns its result.
func runPeer(ctx context.Context, pool *pgxpool.Pool, q peerQuery, from, to time.Time) (*table, error) {
	rows, err := pool.Query(ctx, q.sql, from, to)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q.file, err)
	}
	defer rows.Close()
	t := &table{}
	for _, fd := range rows.FieldDescriptions() {
		t.columns = append(t.columns, fd.Name)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.file, err)
		}
		row := make([]any, len(vals))
		for j, v := range vals {
			if row[j], err = normalise(v); err != nil {
				return nil, fmt.Errorf("%s: column %s: %w", q.file, t.columns[j], err)
			}
		}
		t.rows = append(t.rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", q.file, err)
	}
	return t, nil
}

// sameValue compares two normalised values: numbers to 9 significant digits (counts and money are
// exact in both; ratios and percentiles differ at most in the last bits of a float64), others
// exactly.
func sameValue(a, b any) bool {
	fa, okA := a.(float64)
	fb, okB := b.(float64)
	if okA && okB {
		if fa == fb {
			return true
		}
		return math.Abs(fa-fb) <= 1e-9*math.Max(math.Abs(fa), math.Abs(fb))
	}
	return a == b
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	case float64:
		return fmt.Sprintf("%.10g", x)
	}
	return fmt.Sprint(v)
}

// compareTables lists the differences between the plugin's table and the peer's (at most a few).
// The peer must have every column of the plugin, by name, and no other; rows compare in order for
// tables, as sorted sets (by their text) for metrics.
func compareTables(plugin, peer *table) []string {
	var out []string
	pos := make([]int, len(plugin.columns))
	for i, c := range plugin.columns {
		pos[i] = slices.Index(peer.columns, c)
		if pos[i] < 0 {
			out = append(out, fmt.Sprintf("column %s missing", c))
		}
	}
	for _, c := range peer.columns {
		if !slices.Contains(plugin.columns, c) {
			out = append(out, fmt.Sprintf("extra column %s", c))
		}
	}
	if len(out) > 0 {
		return out
	}
	prow := make([][]any, len(peer.rows))
	for r, row := range peer.rows {
		prow[r] = make([]any, len(pos))
		for i, p := range pos {
			prow[r][i] = row[p]
		}
	}
	want := plugin.rows
	if !plugin.ordered {
		want = sortedRows(want)
		prow = sortedRows(prow)
	}
	if len(want) != len(prow) {
		out = append(out, fmt.Sprintf("%d rows, want %d", len(prow), len(want)))
	}
	for r := range min(len(want), len(prow)) {
		for i, c := range plugin.columns {
			if !sameValue(want[r][i], prow[r][i]) {
				out = append(out, fmt.Sprintf("row %d (%s) %s: %s, want %s", r+1, rowKey(plugin.columns, want[r]), c,
					show(prow[r][i]), show(want[r][i])))
				if len(out) >= 6 {
					return append(out, "...")
				}
			}
		}
	}
	return out
}

// rowKey is the text of a row's non-numeric values, which identify it.
func rowKey(columns []string, row []any) string {
	var parts []string
	for i, v := range row {
		if _, num := v.(float64); !num {
			parts = append(parts, columns[i]+"="+show(v))
		}
	}
	return strings.Join(parts, " ")
}

func sortedRows(rows [][]any) [][]any {
	out := slices.Clone(rows)
	sort.SliceStable(out, func(a, b int) bool {
		return lessRow(out[a], out[b])
	})
	return out
}

func lessRow(a, b []any) bool {
	for i := range a {
		x, y := show(a[i]), show(b[i])
		if ia, ok := a[i].(instant); ok {
			if ib, ok := b[i].(instant); ok && ia != ib {
				return ia < ib
			}
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// runPeerDashboard runs a dashboard's peer queries all at once, as Grafana runs a dashboard's panels.
func runPeerDashboard(ctx context.Context, pool *pgxpool.Pool, qs []peerQuery, from, to time.Time) error {
	errs := make([]error, len(qs))
	var wg sync.WaitGroup
	for i, q := range qs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = runPeer(ctx, pool, q, from, to)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// peerCheck is the outcome of comparing one panel's peer query with the plugin.
type peerCheck struct {
	panel panelQuery
	peer  *peerQuery // nil: no peer query yet
	diffs []string
	rows  int
}

// checkPeers compares, over [from, to), every panel's plugin answer with its peer query's. It
// returns one check per panel; the error lists every panel whose numbers differ.
func (b *bench) checkPeers(ctx context.Context, from, to time.Time) ([]peerCheck, error) {
	inst, ds, err := b.newInstance(ctx)
	if err != nil {
		return nil, err
	}
	defer inst()
	var out []peerCheck
	var bad []string
	for _, p := range b.panels {
		c := peerCheck{panel: p}
		if q, ok := b.peers[p.name()][p.panel]; ok {
			c.peer = &q
			pf, pt := p.span(from, to)
			want, err := b.panelTable(ctx, ds, p, from, to)
			if err != nil {
				return nil, fmt.Errorf("%s, panel %q, the plugin: %w", p.dashboard, p.panel, err)
			}
			began := time.Now()
			got, err := runPeer(ctx, b.peerPool, q, pf, pt)
			log.Printf("checked %s / %s: peer SQL %s", p.name(), p.panel, ms(time.Since(began)))
			if err != nil {
				c.diffs = []string{err.Error()}
			} else {
				c.diffs = compareTables(want, got)
			}
			c.rows = len(want.rows)
			if len(c.diffs) > 0 {
				bad = append(bad, fmt.Sprintf("%s, panel %q (%s):\n    %s", p.name(), p.panel, q.file, strings.Join(c.diffs, "\n    ")))
			}
		}
		out = append(out, c)
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("PEER SQL AND PLUGIN DIFFER on %d panels over [%s, %s):\n  %s", len(bad),
			from.Format(time.RFC3339), to.Format(time.RFC3339), strings.Join(bad, "\n  "))
	}
	return out, nil
}

// panelTable is the plugin's answer to one panel through QueryData.
func (b *bench) panelTable(ctx context.Context, ds backend.QueryDataHandler, p panelQuery, from, to time.Time) (*table, error) {
	q, err := p.dataQuery(from, to)
	if err != nil {
		return nil, err
	}
	pctx := backend.PluginContext{OrgID: 1, PluginID: pluginID, DataSourceInstanceSettings: &b.instance}
	resp, err := ds.QueryData(ctx, &backend.QueryDataRequest{PluginContext: pctx, Queries: []backend.DataQuery{q}})
	if err != nil {
		return nil, err
	}
	return frameTable(resp.Responses[q.RefID])
}

// coverage says how many panels have a peer query and agree, and which have none.
func coverage(days int, checks []peerCheck) string {
	var ok, missing []string
	for _, c := range checks {
		switch {
		case c.peer == nil:
			missing = append(missing, c.panel.name()+"/"+c.panel.panel)
		case len(c.diffs) == 0:
			ok = append(ok, c.panel.name()+"/"+c.panel.panel)
		}
	}
	rows := 0
	empty := []string{}
	for _, c := range checks {
		rows += c.rows
		if c.peer != nil && c.rows == 0 {
			empty = append(empty, c.panel.name()+"/"+c.panel.panel)
		}
	}
	s := fmt.Sprintf("%d days: %d of %d panels have peer SQL giving the plugin's numbers (%d rows compared", days, len(ok), len(checks), rows)
	if len(empty) > 0 {
		s += fmt.Sprintf("; no rows to compare in %s", strings.Join(empty, ", "))
	}
	s += ")"
	if len(missing) > 0 {
		s += fmt.Sprintf("; no peer SQL yet for %d: %s", len(missing), strings.Join(missing, ", "))
	}
	return s
}
