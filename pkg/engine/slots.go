package engine

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// Pure order aggregates (revenue, orders, average order value: every part a count or a sum of
// orders, with no customer history) do not need the orders in Go. PostgreSQL sums them per
// 15-minute UTC slot (store.ReadOrderSlots), and the slots are rolled up into the report zone's
// buckets here: a bucket boundary of any zone whose offset is a whole number of quarter hours falls
// on a slot boundary, so the sums are those of the orders themselves, exactly. A query is routed
// here when every metric is such an aggregate and every dimension it slices or filters by is time,
// project or currency; everything else reads the orders (dataset.go).

// slotDims are the dimensions an order slot carries besides time.
var slotDims = []string{"project", "currency"}

// slotCols are the group-by columns a slot read needs.
type slotCols struct{ project, currency bool }

// slotColumns reports whether the query can be answered from order slots, and with which columns:
// those it slices or filters by, and no other.
func (e *Engine) slotColumns(metrics []*Metric, dims []string, o options) (slotCols, bool) {
	var cols slotCols
	if e.rowsOnly {
		return cols, false
	}
	for _, m := range metrics {
		for _, p := range m.parts {
			if p.slot == nil {
				return cols, false
			}
		}
	}
	used := slices.Clone(dims)
	for _, c := range o.conditions() {
		used = append(used, c.dim)
	}
	for _, dim := range used {
		if !slices.Contains(slotDims, dim) {
			return cols, false
		}
		cols.project = cols.project || dim == "project"
		cols.currency = cols.currency || dim == "currency"
	}
	return cols, true
}

// aggregateSlots aggregates the metrics over the order slots of [from, to). It returns nil, and no
// error, when a slot straddles two buckets (a zone that is not a whole number of quarter hours from
// UTC, a compared range shifted by a fraction of a slot): the caller then counts the orders in Go.
func (e *Engine) aggregateSlots(ctx context.Context, metrics []*Metric, dims []string, byTime bool, from, to time.Time,
	o options, align *alignment, cols slotCols) (*aggregation, error) {
	d := &dataset{e: e, opts: o, from: from.UnixMicro(), to: to.UnixMicro(), now: e.now().UnixMicro()}
	ag := newAggregation(d, metrics, dims, byTime, from, to, o, align)
	if !ag.onSlotGrid() {
		return nil, nil // a zone off the quarter-hour grid: do not read what cannot be used
	}
	r := store.OrderSlotRead{Excluded: e.settings.ExcludedStatuses, Currency: e.settings.Currency,
		Phase: slotPhase(from, align), ByProject: cols.project, ByCurrency: cols.currency}
	reads, err := e.orderSlotPieces(ctx, d, from, to, r)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, s := range reads {
		if !ag.runSlots(s) {
			return nil, nil
		}
	}
	return ag, nil
}

// orderSlotPieces reads the order slots of [from, to) in the pieces of readPieces, concurrently, and
// counts the orders they leave out for their currency. Their sums add up: a slot cut by a piece's
// bound has its orders in two rows, each inside the range, which rollUp puts in the same bucket.
func (e *Engine) orderSlotPieces(ctx context.Context, d *dataset, from, to time.Time, r store.OrderSlotRead) ([]*store.OrderSlots, error) {
	reads, pieces, err := readInPieces(e, from, to, func(from, to time.Time) (*store.OrderSlots, error) {
		r := r
		r.From, r.To = from, to
		return e.orders.ReadOrderSlots(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	cols := slotCols{project: r.ByProject, currency: r.ByCurrency}
	for _, piece := range pieces {
		d.read("orders %s summed by PostgreSQL per %s slot%s", span(piece[0], piece[1]), store.SlotWidth, slotColsText(cols))
	}
	d.unconv = &unconverted{currencies: store.NewDict()}
	for _, s := range reads {
		d.rates = s.Rates
		for i, n := range s.Unconverted {
			// All of them are in the range read.
			d.unconv.addN(d.from, d.unconv.currencies.ID(d.nameOr(s.Currencies, s.UnconvertedCurrency[i])), n)
		}
	}
	return reads, nil
}

// slotPhase is the phase of the slots of a range that starts at from: 0 for the current range, and
// for a compared range the one that its shift puts on the current range's grid.
func slotPhase(from time.Time, align *alignment) time.Duration {
	if align == nil {
		return 0
	}
	width, x := store.SlotWidth.Microseconds(), from.UnixMicro()
	return time.Duration(((x-align.shift(x))%width+width)%width) * time.Microsecond
}

// onSlotGrid reports whether every bucket starts on a slot boundary. The buckets are the current
// range's, also for a compared range, whose slots the phase puts on the grid: a boundary off the grid
// would cut a slot.
func (ag *aggregation) onSlotGrid() bool {
	if !ag.byTime {
		return true
	}
	width := store.SlotWidth.Microseconds()
	for _, s := range ag.buckets.start {
		if (s%width+width)%width != 0 {
			return false
		}
	}
	return true
}

// slotResolver resolves a dimension of the rows of slot read s.
func slotResolver(s *store.OrderSlots, dim string, in *interner) resolver {
	if dim == "project" {
		return in.column(s.Projects, s.Project)
	}
	return in.column(s.Currencies, s.Currency)
}

// runSlots is run over order slot rows: each adds its orders to the bucket that holds all of them.
// It returns false when the orders of a slot may fall into two buckets.
func (ag *aggregation) runSlots(s *store.OrderSlots) bool {
	add := partAdder(ag, func(p part) func(*store.OrderSlots, int, *acc) { return p.slot })
	resolve := func(dim string, in *interner) resolver { return slotResolver(s, dim, in) }
	return ag.rollUp(s.Len(), s.Start, resolve, func(i int, accs []acc) { add(s, i, accs) })
}

// rollUp adds n rows summed per slot (or, with start nil, over the whole range) into the buckets:
// rows that fail a filter are skipped, the others are added by add to the accumulators of the
// bucket and groups they fall in. The dimensions are resolved by resolve. It returns false when a
// slot may hold rows of two buckets.
func (ag *aggregation) rollUp(n int, start []int64, resolve func(dim string, in *interner) resolver, add func(i int, accs []acc)) bool {
	d := ag.d
	width := store.SlotWidth.Microseconds()
	filters := make([]resolver, len(ag.conds))
	for k, c := range ag.conds {
		filters[k] = resolve(c.dim, ag.interns[c.dim])
	}
	groupers := make([]resolver, len(ag.dims))
	for k, dim := range ag.dims {
		groupers[k] = resolve(dim, ag.interns[dim])
	}
	var buf, va, vb []int32
rows:
	for i := range n {
		for k, f := range filters {
			if c := ag.conds[k]; anyIn(f(i, buf[:0]), c.set) == c.exclude {
				continue rows
			}
		}
		bucket := 0
		if ag.byTime {
			// The slot's rows lie in [first, last], inside the range read.
			first, last := max(start[i], d.from), min(start[i]+width, d.to)-1
			if bucket = ag.bucketOf(first); bucket != ag.bucketOf(last) {
				return false
			}
			if bucket < 0 {
				continue
			}
		}
		va, vb = ag.values(groupers, 0, i, va[:0]), ag.values(groupers, 1, i, vb[:0])
		for _, a := range va {
			for _, b := range vb {
				add(i, ag.cell(a, b).accs[bucket*ag.nparts:])
			}
		}
	}
	return true
}

// productDims are the dimensions a product sum carries.
var productDims = []string{"project", "currency", "product"}

// productColumns reports whether top products can be answered from the lines summed per product, and
// with which order columns: every filter is on project, currency or product (customer_type and segment
// need each customer's history).
func (e *Engine) productColumns(o options) (slotCols, bool) {
	var cols slotCols
	if e.rowsOnly {
		return cols, false
	}
	for _, c := range o.conditions() {
		if !slices.Contains(productDims, c.dim) {
			return cols, false
		}
		cols.project = cols.project || c.dim == "project"
		cols.currency = cols.currency || c.dim == "currency"
	}
	return cols, true
}

// productSums sums the lines of [from, to) per product in PostgreSQL, and counts the orders left out
// for their currency from the order slots of the range (shared with the revenue panels). It returns no
// totals, and no error, when a product id has lines under several names: the rows path then names it
// as it reads it.
func (e *Engine) productSums(ctx context.Context, from, to time.Time, o options, cols slotCols) (*dataset, *productTotals, error) {
	d := &dataset{e: e, opts: o, from: from.UnixMicro(), to: to.UnixMicro(), now: e.now().UnixMicro()}
	// The pieces of readPieces, each summed per product; the order slots count the orders left out for
	// their currency.
	var (
		g      group
		sums   []*store.ProductSums
		pieces [][2]time.Time
	)
	g.run(func() (err error) {
		sums, pieces, err = readInPieces(e, from, to, func(from, to time.Time) (*store.ProductSums, error) {
			return e.orders.ReadProductSums(ctx, store.ProductRead{From: from, To: to, Excluded: e.settings.ExcludedStatuses,
				Currency: e.settings.Currency, ByProject: cols.project, ByCurrency: cols.currency})
		})
		return err
	})
	g.run(func() error {
		_, err := e.orderSlotPieces(ctx, d, from, to, store.OrderSlotRead{Excluded: e.settings.ExcludedStatuses,
			Currency: e.settings.Currency, ByProject: cols.project, ByCurrency: cols.currency})
		return err
	})
	if err := g.wait(); err != nil {
		return nil, nil, err
	}
	for _, piece := range pieces {
		d.read("order_lines of the orders %s summed by PostgreSQL per product%s", span(piece[0], piece[1]), slotColsText(cols))
	}
	// One name per product id, as the rows path gives each product the name of its first line read: a
	// product named differently by two lines is left to the rows path.
	p := &productTotals{}
	var named []bool
	index := map[string]int{}
	at := make([][]int, len(sums)) // per piece, per Products id: the product's index in p
	for k, s := range sums {
		at[k] = make([]int, len(s.Products.Values))
		for pid, id := range s.Products.Values {
			x, ok := index[id]
			if !ok {
				x = len(p.ids)
				index[id] = x
				p.ids, p.names, named = append(p.ids, id), append(p.names, ""), append(named, false)
			}
			at[k][pid] = x
		}
		for i, pid := range s.Product {
			x, name := at[k][pid], s.Names.Values[s.Name[i]]
			if named[x] && p.names[x] != name {
				return d, nil, nil
			}
			p.names[x], named[x] = name, true
		}
	}
	p.rev, p.qty = make([]int64, len(p.ids)), make([]int64, len(p.ids))
	type check struct {
		label   func(s *store.ProductSums, i int) string
		values  []string
		exclude bool
	}
	var checks []check
	for _, c := range o.conditions() {
		ch := check{values: c.values, exclude: c.exclude}
		switch c.dim {
		case "project":
			ch.label = func(s *store.ProductSums, i int) string { return d.nameOr(s.Projects, s.Project[i]) }
		case "currency":
			ch.label = func(s *store.ProductSums, i int) string { return d.nameOr(s.Currencies, s.Currency[i]) }
		default:
			ch.label = func(s *store.ProductSums, i int) string { return s.Names.Values[s.Name[i]] }
		}
		checks = append(checks, ch)
	}
	for k, s := range sums {
	rows:
		for i, pid := range s.Product {
			for _, c := range checks {
				if slices.Contains(c.values, c.label(s, i)) == c.exclude {
					continue rows
				}
			}
			x := at[k][pid]
			p.rev[x] += s.Amount[i]
			p.qty[x] += s.Quantity[i]
			p.totalRev += s.Amount[i]
			p.totalQty += s.Quantity[i]
		}
	}
	return d, p, nil
}

// slotColsText names the columns of a slot or product read, for Executed.
func slotColsText(cols slotCols) string {
	var by []string
	if cols.project {
		by = append(by, "project")
	}
	if cols.currency {
		by = append(by, "currency")
	}
	if len(by) == 0 {
		return ""
	}
	return " and " + strings.Join(by, ", ")
}
