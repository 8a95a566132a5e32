package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// Result is the answer to a metrics query, before it becomes frames.
type Result struct {
	Metrics  []*Metric
	Currency string      // the shop currency, for money units
	Interval string      // bucket size when grouped by time
	Times    []time.Time // bucket starts, nil without time
	Dims     []string    // group-by dimensions besides time, in query order
	Groups   []Group
	Compare  string   // none, previous_period, previous_year
	Notices  []string // warnings: what the user should act on
	Info     []string // what explains the numbers without being a fault
	Executed string
}

// Group is one combination of dimension values, with one value per metric and bucket (a single
// "bucket" without time). A nil value means "no data to divide by" (a ratio over zero, a percentile
// of nothing).
type Group struct {
	Labels   []string     // one per Dims
	Values   [][]*float64 // [metric][bucket]
	Previous [][]*float64 // with compare: the same, over the previous period
}

// cell holds the accumulators of one combination of dimension values: accs[bucket*nparts+part].
type cell struct {
	a, b int32
	accs []acc
}

// aggregation is the computation of a metrics query over one dataset.
type aggregation struct {
	d       *dataset
	metrics []*Metric
	dims    []string // non-time group dims
	byTime  bool
	buckets *buckets
	interns map[string]*interner
	conds   []rowCond                 // every filter, as output ids
	allowed map[string]map[int32]bool // the values a group dimension keeps: those its include filters name
	nparts  int
	slot    [][]int           // by metric and part: its accumulator among the nparts of a bucket
	nb      int               // buckets (1 without time)
	grid    [][]*cell         // by output ids [a][b], grown on demand: no hashing per row
	cells   []*cell           // in order of creation
	shift   func(int64) int64 // compared range: see alignment
}

// bucketOf is the bucket of a row dated at; a compared row goes where its shifted instant falls (a
// 29 February a year back lands on 1 March: the last bucket holds it when that is past the range).
func (ag *aggregation) bucketOf(at int64) int {
	if ag.shift == nil {
		return ag.buckets.index(at)
	}
	at = ag.shift(at)
	if i := ag.buckets.index(at); i >= 0 {
		return i
	}
	if at < ag.buckets.start[0] {
		return 0
	}
	return ag.buckets.len() - 1
}

// Metrics answers a metrics query.
func (e *Engine) Metrics(ctx context.Context, r Request) (*Result, error) {
	metrics, o, err := e.plan(ctx, r)
	if err != nil {
		return nil, err
	}
	res := &Result{Metrics: metrics, Currency: e.settings.Currency, Compare: r.Query.Compare,
		Notices: slices.Clone(o.notices), Info: append(slices.Clone(r.Query.Notices), o.info...)}
	byTime := slices.Contains(r.Query.GroupBy, "time")
	for _, g := range r.Query.GroupBy {
		if g != "time" {
			res.Dims = append(res.Dims, g)
		}
	}
	cur, err := e.aggregate(ctx, metrics, res.Dims, byTime, r.From, r.To, o, nil)
	if err != nil {
		return nil, err
	}
	if byTime {
		res.Interval = o.interval
		res.Times = cur.buckets.times
		if n := cur.buckets.partialNotice(o.interval, r.From, r.To, o.loc); n != "" {
			res.Info = append(res.Info, n)
		}
	}
	res.Groups = cur.groups()
	res.capSeries() // limits.go: at most MaxSeries groups, with a notice
	res.Notices = append(res.Notices, cur.d.notices()...)
	reads := cur.d.reads
	if r.Query.Compare != "none" {
		from, to := previousRange(r.From, r.To, r.Query.Compare, o.loc)
		align := &alignment{from: r.From, to: r.To, shift: shiftForward(r.From, r.To, r.Query.Compare, o.loc)}
		prev, err := e.aggregate(ctx, metrics, res.Dims, byTime, from, to, o, align)
		if err != nil {
			return nil, err
		}
		res.attachPrevious(prev.groups())
		reads = append(reads, prev.d.reads...)
	}
	res.Executed = executed(r, o, reads)
	return res, nil
}

// previousRange is the range compared against: same length just before, or the same dates a year
// earlier (calendar year in the report time zone).
func previousRange(from, to time.Time, compare string, loc *time.Location) (time.Time, time.Time) {
	if compare == "previous_year" {
		return from.In(loc).AddDate(-1, 0, 0), to.In(loc).AddDate(-1, 0, 0)
	}
	return from.Add(-to.Sub(from)), from
}

// alignment puts the rows of the compared range into the buckets of the current range, so that each
// bucket's previous value is the same stretch of time shifted back: a March bucket compared with the
// previous 31 days gets all of them, not the days of January they start with.
type alignment struct {
	from, to time.Time         // the current range
	shift    func(int64) int64 // an instant of the compared range -> its instant in the current range
}

// shiftForward undoes previousRange on one instant (micros).
func shiftForward(from, to time.Time, compare string, loc *time.Location) func(int64) int64 {
	if compare == "previous_year" {
		return func(us int64) int64 { return time.UnixMicro(us).In(loc).AddDate(1, 0, 0).UnixMicro() }
	}
	d := to.Sub(from).Microseconds()
	return func(us int64) int64 { return us + d }
}

func executed(r Request, o options, reads []string) string {
	filters := ""
	for _, c := range o.adhoc {
		filters += "; ad hoc filter " + c.text
	}
	return fmt.Sprintf("metrics %s grouped by [%s] over %s in %s (%s buckets); attribution %s, window %s, anchor %s, date basis %s%s; read: %s",
		strings.Join(r.Query.Metrics, ", "), strings.Join(r.Query.GroupBy, ", "), span(r.From, r.To), o.loc,
		o.interval, o.model, o.window, o.anchor, o.dateBasis, filters, strings.Join(reads, "; "))
}

// needsOf is what the metrics read, given the dimensions they are sliced and filtered by.
func needsOf(metrics []*Metric, dims []string, o options, csatCredit string) needs {
	var n needs
	sliced := map[string]bool{}
	for _, dim := range dims {
		sliced[dim] = true
	}
	for _, dim := range o.filteredDims() {
		sliced[dim] = true
	}
	// Survey rows need their tickets for every dimension but the score: the agent too, when a
	// response names none. (A filter set to All, an empty list, is no filter.)
	for dim := range sliced {
		n.surveyTicketDims = n.surveyTicketDims || dim != "score"
	}
	// Responses answered in range alone need only their tickets (Engine.answeredRead).
	n.answered = len(metrics) > 0
	for _, m := range metrics {
		for _, p := range m.parts {
			n.answered = n.answered && p.facts == factSurvey && p.basis == basisResponded
			n.addFacts(p.facts, p.basis)
			if p.messages && p.basis == basisClosed {
				n.messagesClosed = true
			} else if p.messages {
				n.messagesCreated = true
			}
			switch p.facts {
			case factTicket, factPair, factSurvey:
				if p.facts == factSurvey && p.basis == basisSent {
					n.surveySegments.sent = n.surveySegments.sent || sliced["segment"]
				} else if p.facts == factSurvey {
					n.surveySegments.responded = n.surveySegments.responded || sliced["segment"]
				} else {
					n.ticketSegments = n.ticketSegments || sliced["segment"]
				}
				n.messagesAll = n.messagesAll || sliced["handled_by"]
			case factOrder, factLine:
				n.orderHistory = true
			}
			if p.facts == factSurvey && sliced["agent"] && csatCredit == "participants" {
				n.participants = true
			}
		}
	}
	return n
}

func (e *Engine) aggregate(ctx context.Context, metrics []*Metric, dims []string, byTime bool, from, to time.Time, o options,
	align *alignment) (*aggregation, error) {
	if cols, ok := e.slotColumns(metrics, dims, o); ok {
		// Pure order aggregates: summed in PostgreSQL (slots.go), unless a slot straddles a bucket.
		ag, err := e.aggregateSlots(ctx, metrics, dims, byTime, from, to, o, align, cols)
		if err != nil || ag != nil {
			return ag, err
		}
	}
	if r, ok := e.surveySlotRead(metrics, dims, byTime, o); ok && e.cache == nil {
		// CSAT counts and sums: counted in PostgreSQL (survey_slots.go), unless a slot straddles a bucket.
		// Only without a cache (alert rules, one query at a time): through a cache the panels of a
		// dashboard share one survey read, and the ticket read when a ticket dimension is asked, where
		// each would send its own aggregate.
		ag, err := e.aggregateSurveySlots(ctx, metrics, dims, byTime, from, to, o, align, r)
		if err != nil || ag != nil {
			return ag, err
		}
	}
	d, err := e.load(ctx, from, to, o, needsOf(metrics, dims, o, e.settings.CSATCredit))
	if err != nil {
		return nil, err
	}
	ag := newAggregation(d, metrics, dims, byTime, from, to, o, align)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ag.run()
	return ag, nil
}

// newAggregation prepares the accumulation of metrics over d: dimension interners, filters as
// output ids, buckets.
func newAggregation(d *dataset, metrics []*Metric, dims []string, byTime bool, from, to time.Time, o options,
	align *alignment) *aggregation {
	ag := &aggregation{d: d, metrics: metrics, dims: dims, byTime: byTime, interns: map[string]*interner{},
		allowed: map[string]map[int32]bool{}, nb: 1}
	for _, dim := range dims {
		ag.interns[dim] = newInterner()
	}
	for _, c := range o.conditions() {
		in, ok := ag.interns[c.dim]
		if !ok {
			in = newInterner()
			ag.interns[c.dim] = in
		}
		set := map[int32]bool{}
		for _, v := range c.values {
			set[in.id(v)] = true
		}
		ag.conds = append(ag.conds, rowCond{dim: c.dim, set: set, exclude: c.exclude})
		if c.exclude {
			continue
		}
		// A row passed every include filter on the dimension; it is counted under each of its values
		// that one of them names (a ticket tagged refund and vip, filtered on both, under both).
		union := map[int32]bool{}
		for id := range ag.allowed[c.dim] {
			union[id] = true
		}
		for id := range set {
			union[id] = true
		}
		ag.allowed[c.dim] = union
	}
	if byTime {
		bf, bt := from, to
		if align != nil {
			bf, bt, ag.shift = align.from, align.to, align.shift
		}
		ag.buckets = newBuckets(bf, bt, o.interval, o.loc, d.e.settings.WeekStart)
		ag.nb = ag.buckets.len()
	}
	// Parts that collect the same samples (a median and a 90th percentile of one duration) share one
	// accumulator: the samples are held once.
	type shared struct {
		facts  factKind
		basis  basis
		sample string
	}
	samples := map[shared]int{}
	for _, m := range metrics {
		slots := make([]int, len(m.parts))
		for pi, p := range m.parts {
			key := shared{p.facts, p.basis, p.sample}
			if s, ok := samples[key]; ok && p.sample != "" {
				slots[pi] = s
				continue
			}
			slots[pi] = ag.nparts
			if p.sample != "" {
				samples[key] = ag.nparts
			}
			ag.nparts++
		}
		ag.slot = append(ag.slot, slots)
	}
	return ag
}

// pass is the parts that read the same rows on the same time basis: each row is visited once for all.
type pass struct {
	facts factKind
	basis basis
	parts []int // global part indexes
	add   []func(d *dataset, i int, a *acc)
}

func (ag *aggregation) passes() []*pass {
	var out []*pass
	seen := make([]bool, ag.nparts)
	for mi, m := range ag.metrics {
		for pi, p := range m.parts {
			idx := ag.slot[mi][pi]
			if seen[idx] { // a shared accumulator is added to once
				continue
			}
			seen[idx] = true
			var ps *pass
			for _, x := range out {
				if x.facts == p.facts && x.basis == p.basis {
					ps = x
				}
			}
			if ps == nil {
				ps = &pass{facts: p.facts, basis: p.basis}
				out = append(out, ps)
			}
			ps.parts = append(ps.parts, idx)
			ps.add = append(ps.add, p.add)
		}
	}
	return out
}

func (ag *aggregation) run() {
	d := ag.d
	for _, ps := range ag.passes() {
		filters := make([]resolver, len(ag.conds))
		for k, c := range ag.conds {
			filters[k] = d.resolve(ps.facts, c.dim, ag.interns[c.dim])
		}
		groupers := make([]resolver, len(ag.dims))
		for k, dim := range ag.dims {
			groupers[k] = d.resolve(ps.facts, dim, ag.interns[dim])
		}
		var buf, va, vb []int32
		n := d.rows(ps.facts)
	rows:
		for i := 0; i < n; i++ {
			at := d.instant(ps.facts, ps.basis, i)
			if at == store.Null || at < d.from || at >= d.to || !d.eligible(ps.facts, i) {
				continue
			}
			for k, f := range filters {
				if c := ag.conds[k]; anyIn(f(i, buf[:0]), c.set) == c.exclude {
					continue rows
				}
			}
			bucket := 0
			if ag.byTime {
				if bucket = ag.bucketOf(at); bucket < 0 {
					continue
				}
			}
			va, vb = ag.values(groupers, 0, i, va[:0]), ag.values(groupers, 1, i, vb[:0])
			for _, a := range va {
				for _, b := range vb {
					slot := ag.cell(a, b).accs[bucket*ag.nparts:]
					for k, p := range ps.parts {
						ps.add[k](d, i, &slot[p])
					}
				}
			}
		}
	}
}

// values are row i's output ids for group dimension k (filtered), or a single 0 without that dim.
func (ag *aggregation) values(groupers []resolver, k, i int, buf []int32) []int32 {
	if k >= len(groupers) {
		return append(buf, 0)
	}
	vals := groupers[k](i, buf)
	set, ok := ag.allowed[ag.dims[k]]
	if !ok {
		return vals
	}
	out := vals[:0]
	for _, v := range vals {
		if set[v] {
			out = append(out, v)
		}
	}
	return out
}

// rowCond is a condition on one dimension, as output ids: a row passes when it has one of set's values,
// or with exclude when it has none.
type rowCond struct {
	dim     string
	set     map[int32]bool
	exclude bool
}

func anyIn(vals []int32, set map[int32]bool) bool {
	for _, v := range vals {
		if set[v] {
			return true
		}
	}
	return false
}

// cell returns the accumulators of dimension values (a, b), made on first use.
func (ag *aggregation) cell(a, b int32) *cell {
	for int(a) >= len(ag.grid) {
		ag.grid = append(ag.grid, nil)
	}
	row := ag.grid[a]
	for int(b) >= len(row) {
		row = append(row, nil)
	}
	ag.grid[a] = row
	c := row[b]
	if c == nil {
		c = &cell{a: a, b: b, accs: make([]acc, ag.nb*ag.nparts)}
		row[b] = c
		ag.cells = append(ag.cells, c)
	}
	return c
}

// groups turns the accumulators into values: every group seen, every bucket, zero-filled.
func (ag *aggregation) groups() []Group {
	combos := slices.Clone(ag.cells)
	if len(ag.dims) == 0 && len(combos) == 0 {
		combos = append(combos, &cell{accs: make([]acc, ag.nb*ag.nparts)}) // a total is always one row, zero when nothing happened
	}
	label := func(k int, id int32) string {
		if k >= len(ag.dims) {
			return ""
		}
		return ag.interns[ag.dims[k]].values[id]
	}
	sort.Slice(combos, func(x, y int) bool {
		cx, cy := combos[x], combos[y]
		if lx, ly := label(0, cx.a), label(0, cy.a); lx != ly {
			return lx < ly
		}
		return label(1, cx.b) < label(1, cy.b)
	})
	nb := ag.nb
	out := make([]Group, 0, len(combos))
	for _, c := range combos {
		g := Group{Values: make([][]*float64, len(ag.metrics))}
		for k := range ag.dims {
			g.Labels = append(g.Labels, label(k, []int32{c.a, c.b}[k]))
		}
		for mi, m := range ag.metrics {
			g.Values[mi] = make([]*float64, nb)
			for bi := 0; bi < nb; bi++ {
				slot := c.accs[bi*ag.nparts:]
				parts := make([]*acc, len(m.parts))
				for pi := range m.parts {
					parts[pi] = &slot[ag.slot[mi][pi]]
				}
				if v, ok := m.value(parts); ok {
					g.Values[mi][bi] = &v
				}
			}
		}
		out = append(out, g)
	}
	return out
}

// attachPrevious pairs each group with the same labels of the previous period, bucket by bucket.
func (r *Result) attachPrevious(prev []Group) {
	byLabel := map[string]Group{}
	for _, g := range prev {
		byLabel[strings.Join(g.Labels, "\x00")] = g
	}
	for gi := range r.Groups {
		g := &r.Groups[gi]
		p, ok := byLabel[strings.Join(g.Labels, "\x00")]
		g.Previous = make([][]*float64, len(g.Values))
		for mi := range g.Values {
			g.Previous[mi] = make([]*float64, len(g.Values[mi]))
			if !ok {
				// Nothing of this group happened before: counts and sums are 0, ratios have no value.
				for bi := range g.Previous[mi] {
					g.Previous[mi][bi] = emptyValue(r.Metrics[mi])
				}
				continue
			}
			for bi := range g.Values[mi] {
				if bi < len(p.Values[mi]) {
					g.Previous[mi][bi] = p.Values[mi][bi]
				}
			}
		}
	}
}

// emptyValue is a metric's value over no rows.
func emptyValue(m *Metric) *float64 {
	parts := make([]*acc, len(m.parts))
	for i := range parts {
		parts[i] = &acc{}
	}
	if v, ok := m.value(parts); ok {
		return &v
	}
	return nil
}

// notices are what the dataset left out.
func (d *dataset) notices() []string {
	if n := d.excludedNotice(); n != "" {
		return []string{n}
	}
	return nil
}
