package engine

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// Table is the answer of a table query type (drill-down, top products, retention, live feed, variable).
type Table struct {
	Name     string
	Columns  []Column
	Notices  []string // warnings: what the user should act on
	Info     []string // what explains the rows without being a fault
	Executed string
}

// Column is one typed column. Values is a slice of one of: string, *string, time.Time, *time.Time,
// float64, *float64, int64, *int64, bool.
type Column struct {
	Key         string
	DisplayName string
	Unit        string // Grafana unit, "" for none; "currency" becomes the shop currency's unit
	Values      any
}

// tableFilters are the filters a table query applies on a kind of rows.
func (e *Engine) tableOptions(ctx context.Context, r Request, dims []string, kind string) (options, error) {
	o, err := e.options(r)
	if err != nil {
		return o, err
	}
	for dim := range o.filters {
		if !slices.Contains(dims, dim) {
			d, _ := dimensionByKey(dim)
			return o, queryErr("a %s query cannot be filtered by %s (filters.%s): it supports %s", kind, dim, d.Filter, strings.Join(dims, ", "))
		}
	}
	o.keepAdhoc(func(dim string) string {
		switch {
		case slices.Contains(dims, dim):
			return ""
		case len(dims) == 0:
			return fmt.Sprintf("a %s query cannot be filtered", kind)
		}
		return fmt.Sprintf("a %s query cannot be filtered by %s (it supports %s)", kind, dim, strings.Join(dims, ", "))
	})
	return o, nil
}

// rowFilter keeps the rows of kind f that pass every filter of o.
func (d *dataset) rowFilter(f factKind, o options) func(i int) bool {
	type check struct {
		r       resolver
		set     map[int32]bool
		exclude bool
	}
	var checks []check
	for _, c := range o.conditions() {
		in := newInterner()
		set := map[int32]bool{}
		for _, v := range c.values {
			set[in.id(v)] = true
		}
		checks = append(checks, check{d.resolve(f, c.dim, in), set, c.exclude})
	}
	var buf []int32
	return func(i int) bool {
		for _, c := range checks {
			if anyIn(c.r(i, buf[:0]), c.set) == c.exclude {
				return false
			}
		}
		return true
	}
}

var ticketDims = []string{"agent", "channel", "project", "topic", "tag", "priority", "segment", "score", "handled_by"}

// Drill-down orders and selections of the tickets query (extensions of SPEC 4 for the dashboards).
var (
	ticketSorts = []string{"newest", "lowest_csat", "revenue"}
	// answered: with a first agent response (the tickets first response times are computed over);
	// due: answered, or unanswered past their target (those the first-response SLA rate counts).
	ticketOnly = []string{"all", "open", "converted", "rated", "answered", "due"}
)

// The time bases of the tickets query: which tickets a number of the range counted (SPEC 5.6).
const (
	ticketBasisCreated   = "created"   // created in range: tickets, conversion, first response, SLA
	ticketBasisClosed    = "closed"    // closed in range: closed conversations, automation, resolution
	ticketBasisResponded = "responded" // with a CSAT response in range: CSAT, responses
	ticketBasisOpen      = "open"      // open at the range's end, whenever created: a queue
)

var ticketBases = []string{ticketBasisCreated, ticketBasisClosed, ticketBasisResponded, ticketBasisOpen}

// Tickets answers the drill-down query (SPEC 5.6): one row per ticket of the range on the query's
// basis (created in range by default) that passes the filters, newest first, at most limit rows.
func (e *Engine) Tickets(ctx context.Context, r Request) (*Table, error) {
	q := r.Query
	o, err := e.tableOptions(ctx, r, ticketDims, "tickets")
	if err != nil {
		return nil, err
	}
	sortBy, only, basis := cmp.Or(q.SortBy, "newest"), cmp.Or(q.Only, "all"), cmp.Or(q.Basis, ticketBasisCreated)
	if !slices.Contains(ticketSorts, sortBy) {
		return nil, queryErr("unknown sortBy %q for tickets: use %s", sortBy, strings.Join(ticketSorts, ", "))
	}
	if !slices.Contains(ticketOnly, only) {
		return nil, queryErr("unknown only %q for tickets: use %s", only, strings.Join(ticketOnly, ", "))
	}
	if !slices.Contains(ticketBases, basis) {
		return nil, queryErr("unknown basis %q for tickets: use %s (created: tickets created in the range; closed: closed in it; responded: with a CSAT response in it; open: open at its end, whenever created)",
			basis, strings.Join(ticketBases, ", "))
	}
	if (only == "answered" || only == "due") && basis != ticketBasisCreated {
		return nil, queryErr("only %q applies to the tickets created in the range (basis created), not to basis %s", only, basis)
	}
	// Segments, scores and first responses are read for the rows shown only, unless filtering or
	// sorting needs them for all. A queue's segments are judged for its candidates only: its tickets
	// may be old, and segmenting every ticket would read the orders since the oldest.
	segmentFilter := o.filtered("segment")
	handledFilter := o.filtered("handled_by")
	// Credits decide which rows are shown when the table keeps converted tickets or sorts by revenue:
	// every ticket is credited. Otherwise only the rows shown are, from their customers' orders alone.
	allCredits := only == "converted" || sortBy == "revenue"
	// On the responded basis, rows credited alone need only the tickets answered in range
	// (Engine.answeredRead).
	answered := basis == ticketBasisResponded && !allCredits
	n := needs{created: !answered, answered: answered, pairs: allCredits, rowCredits: !allCredits,
		ticketSegments:  segmentFilter && basis != ticketBasisOpen,
		messagesCreated: only == "answered" || only == "due" || handledFilter,
		// handled_by of tickets another basis lists (closed, responded, open) is read for them too.
		messagesAll: handledFilter && basis != ticketBasisCreated}
	switch basis {
	case ticketBasisClosed:
		n.closed = true
	case ticketBasisResponded:
		n.surveys = true
		n.participants = o.filtered("agent") && e.settings.CSATCredit == "participants"
	}
	d, err := e.load(ctx, r.From, r.To, o, n)
	if err != nil {
		return nil, err
	}
	tq := ticketsQuery{q: q, o: o, sortBy: sortBy, only: only, basis: basis, allCredits: allCredits, segmentFilter: segmentFilter}
	part, err := e.ticketRows(ctx, tq, d, true)
	if err != nil {
		return nil, err
	}
	var tab *Table
	var reads []string
	total := part.total
	if basis != ticketBasisOpen {
		if tab, err = e.ticketDetails(ctx, tq, part); err != nil {
			return nil, err
		}
		reads = d.reads
	} else {
		// A queue: the tickets of the read open at the range's end, and the rest of those open then,
		// read apart (created before the read's creations: no other panel of the refresh reads them).
		// The rest are read as open at the start of the grid cell of the instant: with the tickets
		// created from there on, which the first read holds, a superset of those open at any instant
		// of the cell, which Go keeps to the exact instant; an auto-refresh finds the same read.
		// Created more than a window before the range, they take no part in its attribution and show
		// no credit (docs/METRICS.md).
		at := r.To
		if g := e.grid(r.From, r.To); g > 0 {
			at = at.Truncate(g)
		}
		nr := n
		nr.rest = &store.RestRead{At: at, Of: d.tr, Except: d.tickets.Listed}
		nr.pairs, nr.rowCredits, nr.messagesCreated = false, false, false
		dr, err := e.load(ctx, r.From, r.To, o, nr)
		if err != nil {
			return nil, err
		}
		rest, err := e.ticketRows(ctx, tq, dr, false)
		if err != nil {
			return nil, err
		}
		// The rows shown, merged in order before their details are read.
		sides := mergeRows(sortBy, part, rest, q.Limit)
		part.rows, rest.rows = part.rows[:sides.count(0)], rest.rows[:sides.count(1)]
		tabs := [2]*Table{}
		for k, p := range []*ticketPart{part, rest} {
			if tabs[k], err = e.ticketDetails(ctx, tq, p); err != nil {
				return nil, err
			}
		}
		tab, total = interleave(tabs, sides), total+rest.total
		reads = append(slices.Clone(d.reads), dr.reads...)
		slices.Sort(reads)
		reads = slices.Compact(reads)
	}
	if total > q.Limit {
		tab.Notices = append(tab.Notices, fmt.Sprintf("showing the first %d of %d tickets: raise limit or narrow the filters to see the rest", q.Limit, total))
	}
	what := map[string]string{ticketBasisCreated: "created " + span(r.From, r.To), ticketBasisClosed: "closed " + span(r.From, r.To),
		ticketBasisResponded: "with a CSAT response " + span(r.From, r.To), ticketBasisOpen: "open at " + r.To.UTC().Format(time.RFC3339)}[basis]
	tab.Executed = fmt.Sprintf("tickets %s, sorted %s, only %s, limit %d; read: %s", what, sortBy, only, q.Limit, strings.Join(reads, "; "))
	return tab, nil
}

// ticketsQuery is a tickets query, checked.
type ticketsQuery struct {
	q                         models.Query
	o                         options
	sortBy, only, basis       string
	allCredits, segmentFilter bool
}

// ticketPart is the tickets of one read a tickets query lists: sorted, at most limit, with what
// sorts them.
type ticketPart struct {
	d        *dataset
	rows     []int
	total    int            // rows that passed, before the limit
	credits  bool           // false: every row shows none (the rest of a queue)
	scores   []int16        // by ticket: every candidate's latest score when the query sorts or filters by it, else nil
	credited *ticketCredits // when the query credits every ticket
}

// compareTickets orders a tickets table, row a of part pa against row b of part pb: lowest_csat
// puts rated tickets first, lowest score first; revenue the highest first; then, and for newest, the
// newest first (ties: greatest id). Only what the order needs is looked at.
func compareTickets(sortBy string, pa *ticketPart, a int, pb *ticketPart, b int) int {
	ta, tb := pa.d.tickets, pb.d.tickets
	switch sortBy {
	case "lowest_csat":
		sa, oka := scoreOf(pa.scores, a)
		sb, okb := scoreOf(pb.scores, b)
		if oka != okb {
			if oka {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(sa, sb); c != 0 {
			return c
		}
	case "revenue":
		if c := cmp.Compare(pb.credited.revenueOf(b), pa.credited.revenueOf(a)); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(tb.Created[b], ta.Created[a]); c != 0 {
		return c
	}
	return strings.Compare(tb.ID.At(b), ta.ID.At(a))
}

// sides says from which of two parts each row of a merged table comes (0 or 1), in order.
type sides []int8

func (s sides) count(side int8) int {
	n := 0
	for _, x := range s {
		if x == side {
			n++
		}
	}
	return n
}

// mergeRows merges the sorted rows of two parts of one query, at most limit.
func mergeRows(sortBy string, a, b *ticketPart, limit int) sides {
	var out sides
	i, j := 0, 0
	for len(out) < limit && (i < len(a.rows) || j < len(b.rows)) {
		if j == len(b.rows) || (i < len(a.rows) && compareTickets(sortBy, a, a.rows[i], b, b.rows[j]) <= 0) {
			out, i = append(out, 0), i+1
		} else {
			out, j = append(out, 1), j+1
		}
	}
	return out
}

// interleave builds the table of two parts' tables (the same columns), row by row as sides says.
func interleave(tabs [2]*Table, s sides) *Table {
	out := *tabs[0]
	out.Columns = make([]Column, len(tabs[0].Columns))
	next := [2]int{}
	at := make([][2]int, len(s)) // row k: its part and its index there
	for k, side := range s {
		at[k] = [2]int{int(side), next[side]}
		next[side]++
	}
	for c, col := range tabs[0].Columns {
		out.Columns[c] = col
		out.Columns[c].Values = pickColumn(col.Values, tabs[1].Columns[c].Values, at)
	}
	return &out
}

// ticketRows lists the tickets of d's read on the query's basis that pass its filters, sorted, at
// most limit, and how many passed. Without credits every row shows none (the rest of a queue).
func (e *Engine) ticketRows(ctx context.Context, tq ticketsQuery, d *dataset, credits bool) (*ticketPart, error) {
	q, o, sortBy, only, basis, allCredits, segmentFilter := tq.q, tq.o, tq.sortBy, tq.only, tq.basis, tq.allCredits, tq.segmentFilter
	var err error
	t := d.tickets
	var inRange func(i int) bool
	// keep applies the filters to a ticket; on the responded basis they apply to its responses, as
	// in the CSAT metrics (the CSAT credit rule for agent, the response's own score).
	keep := d.rowFilter(factTicket, withoutFilter(withoutFilter(o, "score"), "segment"))
	switch basis {
	case ticketBasisClosed:
		inRange = func(i int) bool { return t.Closed[i] != store.Null && t.Closed[i] >= d.from && t.Closed[i] < d.to }
	case ticketBasisResponded:
		answered := make([]bool, t.Len())
		s, keepSurvey := d.surveys, d.rowFilter(factSurvey, o)
		for k, at := range s.Responded {
			if ti := d.surveyTkt[k]; ti >= 0 && at != store.Null && at >= d.from && at < d.to && keepSurvey(k) {
				answered[ti] = true
			}
		}
		inRange = func(i int) bool { return answered[i] }
		keep = func(int) bool { return true }
	case ticketBasisOpen:
		inRange = func(i int) bool { return t.Created[i] < d.to && (t.Closed[i] == store.Null || t.Closed[i] >= d.to) }
	default:
		inRange = func(i int) bool { return t.Created[i] >= d.from && t.Created[i] < d.to }
	}
	if segmentFilter && basis != ticketBasisResponded && basis != ticketBasisOpen {
		keep = d.rowFilter(factTicket, withoutFilter(o, "score"))
	}
	var scores []int16
	allScores := (o.filtered("score") && basis != ticketBasisResponded) || only == "rated" || sortBy == "lowest_csat"
	if allScores {
		var all []int
		for i := range t.Len() {
			if inRange(i) {
				all = append(all, i)
			}
		}
		byRow, err := d.ticketScores(ctx, all)
		if err != nil {
			return nil, err
		}
		scores = make([]int16, t.Len()) // by ticket: candidates are compared and filtered by index
		for i := range scores {
			scores[i] = noScore
		}
		for k, i := range all {
			scores[i] = byRow[k]
		}
	}
	var credited *ticketCredits
	if allCredits && credits {
		if credited, err = d.creditsByTicket(ctx, d.pairs); err != nil {
			return nil, err
		}
	} else if allCredits {
		credited = &ticketCredits{} // none
	}
	// The score filter and dimension of a ticket are its latest CSAT score (on the responded basis,
	// that of its response in range, applied above).
	var scoreConds []condition
	if basis != ticketBasisResponded {
		scoreConds = o.on("score")
	}
	scoreOK := func(i int) bool {
		s, rated := scoreOf(scores, i)
		for _, c := range scoreConds {
			if has := rated && slices.Contains(c.values, fmt.Sprint(s)); has == c.exclude {
				return false
			}
		}
		return true
	}
	// The candidates in 32 bits: a year's drill-down has a million of them, and a refresh several
	// drill-downs at once.
	var cands []int32
	for i := range t.Len() {
		if !inRange(i) || !keep(i) || !scoreOK(i) {
			continue
		}
		switch only {
		case "open":
			if t.Closed[i] != store.Null {
				continue
			}
		case "converted":
			if orders, _ := credited.of(i); orders == 0 {
				continue
			}
		case "answered":
			if _, ok := d.firstResponse(i); !ok {
				continue
			}
		case "due":
			if d.slaState(i) == slaPending {
				continue
			}
		case "rated":
			if _, rated := scoreOf(scores, i); !rated {
				continue
			}
		}
		cands = append(cands, int32(i))
	}
	if segmentFilter && basis == ticketBasisOpen {
		if cands, err = d.keepSegments(ctx, cands, o.on("segment")); err != nil {
			return nil, err
		}
	}
	p := &ticketPart{d: d, total: len(cands), credits: credits, scores: scores, credited: credited}
	if len(cands) > q.Limit {
		selectFirst(cands, q.Limit, func(a, b int32) int { return compareTickets(sortBy, p, int(a), p, int(b)) })
		cands = cands[:q.Limit]
	}
	rows := make([]int, len(cands))
	for k, i := range cands {
		rows[k] = int(i)
	}
	slices.SortFunc(rows, func(a, b int) int { return compareTickets(sortBy, p, a, p, b) })
	p.rows = rows
	return p, nil
}

// ticketDetails reads what the rows of p show (credits, scores, segments, first responses) and builds
// their table.
func (e *Engine) ticketDetails(ctx context.Context, tq ticketsQuery, p *ticketPart) (*Table, error) {
	o, sortBy, only, basis, allCredits := tq.o, tq.sortBy, tq.only, tq.basis, tq.allCredits
	d, t, rows, credits := p.d, p.d.tickets, p.rows, p.credits
	var err error
	tab := &Table{Name: "tickets", Notices: slices.Clone(o.notices), Info: slices.Clone(o.info)}
	rowOrders, rowRevenue := make([]float64, len(rows)), make([]int64, len(rows))
	if allCredits {
		for k, i := range rows {
			rowOrders[k], rowRevenue[k] = p.credited.of(i)
		}
	} else if !credits {
		// none: rowOrders and rowRevenue stay zero
	} else if rowOrders, rowRevenue, err = d.rowCredits(ctx, rows); err != nil {
		return nil, err
	}
	// The rows' scores: those every candidate was sorted or filtered by, else read for them alone.
	scores := make([]int16, len(rows))
	if p.scores != nil {
		for k, i := range rows {
			scores[k] = p.scores[i]
		}
	} else if scores, err = d.ticketScores(ctx, rows); err != nil {
		return nil, err
	}
	segments, err := d.segmentsOf(ctx, rows)
	if err != nil {
		return nil, err
	}
	responses, business, handled, err := d.firstResponses(ctx, rows)
	if err != nil {
		return nil, err
	}
	agents := newInterner()
	var (
		id, channel, project, topic, priority, tags, agent, segment []string
		handledBy                                                   []string
		created                                                     []time.Time
		closed                                                      []*time.Time
		frt                                                         []*float64
		converted                                                   []bool
		orders                                                      []float64
		rev                                                         []float64
		score                                                       []*int64
	)
	for k, i := range rows {
		id = append(id, strings.Clone(t.ID.At(i)))
		created = append(created, time.UnixMicro(t.Created[i]).UTC())
		closed = append(closed, optTime(t.Closed[i]))
		channel = append(channel, d.nameOr(t.Channels, t.Channel[i]))
		project = append(project, d.nameOr(t.Projects, t.Project[i]))
		topic = append(topic, d.nameOr(t.Topics, t.Topic[i]))
		priority = append(priority, d.nameOr(t.Priorities, t.Priority[i]))
		tagNames := make([]string, 0, len(t.Tags(i)))
		for _, tg := range t.Tags(i) {
			tagNames = append(tagNames, t.TagNames.Values[tg])
		}
		tags = append(tags, strings.Join(tagNames, ", "))
		agent = append(agent, agents.values[d.closingAgent(i, agents)])
		segment = append(segment, segmentNames[segments[k]])
		frt = append(frt, responses[k])
		handledBy = append(handledBy, handled[k])
		converted = append(converted, rowOrders[k] > 0)
		orders = append(orders, rowOrders[k])
		rev = append(rev, float64(rowRevenue[k])/moneyScale)
		if s, ok := scoreOf(scores, k); ok {
			v := int64(s)
			score = append(score, &v)
		} else {
			score = append(score, nil)
		}
	}
	tab.Columns = []Column{
		{"id", "Ticket", "", nonNil(id)},
		{"created_at", "Created", "", nonNilT(created)},
		{"closed_at", "Closed", "", closed},
		{"channel", "Channel", "", nonNil(channel)},
		{"project", "Project", "", nonNil(project)},
		{"topic", "Topic", "", nonNil(topic)},
		{"priority", "Priority", "", nonNil(priority)},
		{"tags", "Tags", "", nonNil(tags)},
		{"agent", "Closing agent", "", nonNil(agent)},
		{"segment", "Segment", "", nonNil(segment)},
		{"first_response_seconds", "First response", unitSeconds, frt},
		{"handled_by", "Handled by", "", nonNil(handledBy)},
		{"converted", "Converted", "", converted},
		{"credited_orders", "Credited orders", unitShort, orders},
		{"attributed_revenue", "Attributed revenue", unitMoney, rev},
		{"csat_score", "CSAT score", unitShort, score},
	}
	if e.clock != nil {
		tab.Columns = slices.Insert(tab.Columns, 11, Column{"first_response_business_seconds", "First response (business hours)", unitSeconds, business})
	}
	tab.Columns = leadColumns(tab.Columns, ticketLead(sortBy, only, basis))
	return tab, nil
}

// keepSegments keeps the rows whose segment, judged for these tickets alone, passes every condition
// (one of an include filter's segments, none of an exclude filter's).
func (d *dataset) keepSegments(ctx context.Context, rows []int32, conds []condition) ([]int32, error) {
	all := make([]int, len(rows))
	for k, i := range rows {
		all[k] = int(i)
	}
	seg, err := d.segmentsOf(ctx, all)
	if err != nil {
		return nil, err
	}
	out := rows[:0]
rows:
	for k, i := range rows {
		for _, c := range conds {
			if slices.Contains(c.values, segmentNames[seg[k]]) == c.exclude {
				continue rows
			}
		}
		out = append(out, i)
	}
	return out, nil
}

// creditsByTicket is, per ticket of the read, the orders pairs p credit to it (with the linear model,
// the sum of its shares) and their revenue (its parts); kept with p.
func (d *dataset) creditsByTicket(ctx context.Context, p *pairs) (*ticketCredits, error) {
	n := d.tickets.Len()
	return derive(ctx, p, "credits", func(context.Context) (*ticketCredits, error) { return sumCredits(n, p), nil })
}

// sumCredits sums what pairs p credit to each of n tickets, each ticket's credits in the pairs' order.
func sumCredits(n int, p *pairs) *ticketCredits {
	c := &ticketCredits{at: make([]int32, n)}
	for i, ti := range p.ticket {
		k := c.at[ti]
		if k == 0 {
			c.orders, c.revenue = append(c.orders, 0), append(c.revenue, 0)
			k = int32(len(c.orders))
			c.at[ti] = k
		}
		c.orders[k-1] += p.share(i)
		c.revenue[k-1] += p.amount[i]
	}
	return c
}

// ticketCredits are the credits of the tickets of a read: those of the credited tickets alone, found
// by a position per ticket. At a year's million tickets, 4 MiB and the credited tickets' where two
// columns of every ticket took 16 MiB.
type ticketCredits struct {
	at      []int32   // by ticket: 1 + position in orders and revenue; 0 (or no at): no credit
	orders  []float64 // fractional with the linear model
	revenue []int64
}

// of is the orders credited to ticket i and their revenue.
func (c *ticketCredits) of(i int) (float64, int64) {
	if i < len(c.at) {
		if k := c.at[i]; k > 0 {
			return c.orders[k-1], c.revenue[k-1]
		}
	}
	return 0, 0
}

func (c *ticketCredits) revenueOf(i int) int64 {
	_, r := c.of(i)
	return r
}

// rowCredits credits the tickets of rows (by row: orders, fractional with the linear model, and
// revenue), and theirs only, from their customers' orders (creditsMemo); or from the pairs of every
// ticket of the read, when another query of a refresh has them or is crediting them (an attribution
// panel beside the drill-down): no order is read twice.
func (d *dataset) rowCredits(ctx context.Context, rows []int) ([]float64, []int64, error) {
	t := d.tickets
	if d.tr.Answered {
		return d.customerCredits(ctx, rows)
	}
	key := d.streamedPairsKey(d.creditLo, d.creditHi)
	p, ok, err := heldDerived[*pairs](ctx, t, key)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		m, err := derive(ctx, t, "credits memo|"+key, func(context.Context) (*creditsMemo, error) { return &creditsMemo{}, nil })
		if err != nil {
			return nil, nil, err
		}
		return m.credits(ctx, d, rows)
	}
	d.read("orders %s, credited to the tickets read", span(d.creditLo, d.creditHi))
	credited, err := d.creditsByTicket(ctx, p) // kept with the pairs: shared with the other drill-downs
	if err != nil {
		return nil, nil, err
	}
	orders, revenue := make([]float64, len(rows)), make([]int64, len(rows))
	for k, i := range rows {
		orders[k], revenue[k] = credited.of(i)
	}
	return orders, revenue, nil
}

// customerCredits credits the rows of a read of the tickets answered in range: the tickets of the
// rows' customers in the read the refresh shares (creditRead) are read, and attributed the
// customers' orders, as that read's attribution credits them (an order is only ever credited to its
// customer's tickets). The rows' tickets are among them: answered in range, they are surveyed in it.
func (d *dataset) customerCredits(ctx context.Context, rows []int) ([]float64, []int64, error) {
	t := d.tickets
	orders, revenue := make([]float64, len(rows)), make([]int64, len(rows))
	var keys []string
	seen := map[int32]bool{}
	for _, i := range rows {
		if c := t.Customer[i]; c >= 0 && !seen[c] {
			seen[c] = true
			keys = append(keys, t.Customers.Values[c])
		}
	}
	if len(keys) == 0 {
		return orders, revenue, nil
	}
	slices.Sort(keys)
	r := d.creditRead
	r.Customers = keys
	ct, err := d.e.helpdesk.ReadTickets(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	type credits struct {
		*ticketCredits
		index *store.StringIndex
	}
	o := d.opts
	c, err := derive(ctx, ct, d.streamedPairsKey(d.creditLo, d.creditHi), func(ctx context.Context) (credits, error) {
		or := store.OrderRead{From: d.creditLo, To: d.creditHi, Excluded: d.e.settings.ExcludedStatuses, Currency: d.e.settings.Currency,
			Customers: keys}
		p, err := d.streamPairs(ctx, or, ct, newAttributor(ct, o.window, o.model, o.anchor))
		if err != nil {
			return credits{}, err
		}
		return credits{sumCredits(ct.Len(), p), ct.ID.Index()}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	d.read("tickets of the %d customers of the rows shown in the read of the other panels, and their orders %s, credited to them",
		len(keys), span(d.creditLo, d.creditHi))
	for k, i := range rows {
		if j := c.index.LookupString(t.ID.At(i)); j >= 0 {
			orders[k], revenue[k] = c.of(int(j))
		}
	}
	return orders, revenue, nil
}

// pickColumn builds the values of a merged column: the k-th from a (at[k][0] == 0) or b, at index at[k][1];
// a and b are slices of one of the types a Column holds.
func pickColumn(a, b any, at [][2]int) any {
	switch a := a.(type) {
	case []string:
		return pickOf(a, b.([]string), at)
	case []time.Time:
		return pickOf(a, b.([]time.Time), at)
	case []*time.Time:
		return pickOf(a, b.([]*time.Time), at)
	case []float64:
		return pickOf(a, b.([]float64), at)
	case []*float64:
		return pickOf(a, b.([]*float64), at)
	case []bool:
		return pickOf(a, b.([]bool), at)
	case []*int64:
		return pickOf(a, b.([]*int64), at)
	}
	panic(fmt.Sprintf("tickets column of %T", a))
}

func pickOf[T any](a, b []T, at [][2]int) []T {
	out := make([]T, len(at))
	for k, x := range at {
		if x[0] == 0 {
			out[k] = a[x[1]]
		} else {
			out[k] = b[x[1]]
		}
	}
	return out
}

// ticketLead names the columns a tickets table shows right after the ticket id: the column it is
// sorted by, then the ones that say why a ticket is on the list (its basis, then its only), so a
// table as wide as a dashboard shows them without scrolling.
func ticketLead(sortBy, only, basis string) []string {
	lead := []string{"id"}
	switch sortBy {
	case "revenue":
		lead = append(lead, "attributed_revenue")
	case "lowest_csat":
		lead = append(lead, "csat_score")
	default:
		lead = append(lead, "created_at")
	}
	switch basis {
	case ticketBasisClosed:
		lead = append(lead, "closed_at")
	case ticketBasisResponded:
		lead = append(lead, "csat_score")
	case ticketBasisOpen:
		lead = append(lead, "created_at")
	}
	switch only {
	case "open":
		lead = append(lead, "closed_at")
	case "converted":
		lead = append(lead, "attributed_revenue", "credited_orders")
	case "rated":
		lead = append(lead, "csat_score")
	case "answered", "due":
		lead = append(lead, "first_response_seconds", "first_response_business_seconds")
	}
	return lead
}

// leadColumns moves the columns named in lead (those present, once each) to the front in that
// order, and keeps the others in their order after them.
func leadColumns(cols []Column, lead []string) []Column {
	out := make([]Column, 0, len(cols))
	used := make([]bool, len(cols))
	for _, key := range lead {
		if k := slices.IndexFunc(cols, func(c Column) bool { return c.Key == key }); k >= 0 && !used[k] {
			used[k] = true
			out = append(out, cols[k])
		}
	}
	for k, c := range cols {
		if !used[k] {
			out = append(out, c)
		}
	}
	return out
}

// selectFirst moves the k first rows in the order of cmp to rows[:k], in no particular order: a
// quickselect, linear where sorting a year of tickets to show a thousand is not.
func selectFirst[T int | int32](rows []T, k int, cmp func(a, b T) int) {
	lo, hi := 0, len(rows)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// median of three as pivot, moved to hi
		if cmp(rows[mid], rows[lo]) < 0 {
			rows[mid], rows[lo] = rows[lo], rows[mid]
		}
		if cmp(rows[hi], rows[lo]) < 0 {
			rows[hi], rows[lo] = rows[lo], rows[hi]
		}
		if cmp(rows[mid], rows[hi]) < 0 {
			rows[mid], rows[hi] = rows[hi], rows[mid]
		}
		pivot, store := rows[hi], lo
		for i := lo; i < hi; i++ {
			if cmp(rows[i], pivot) < 0 {
				rows[i], rows[store] = rows[store], rows[i]
				store++
			}
		}
		rows[store], rows[hi] = rows[hi], rows[store]
		switch {
		case store == k-1 || store == k:
			return
		case store < k:
			lo = store + 1
		default:
			hi = store - 1
		}
	}
}

// ticketScores reads the latest CSAT score of the tickets rows, by position in rows (noScore: none).
func (d *dataset) ticketScores(ctx context.Context, rows []int) ([]int16, error) {
	t := d.tickets
	memo, err := derive(ctx, t, "ticket scores", func(context.Context) (*scoreMemo, error) {
		known := make([]int16, t.Len())
		for i := range known {
			known[i] = unknownScore
		}
		return &scoreMemo{known: known}, nil
	})
	if err != nil {
		return nil, err
	}
	var missing []int // rows whose score is not known yet
	memo.mu.Lock()
	for _, i := range rows {
		if memo.known[i] == unknownScore {
			missing = append(missing, i)
		}
	}
	memo.mu.Unlock()
	if len(missing) > 0 {
		read, err := d.readTicketScores(ctx, missing)
		if err != nil {
			return nil, err
		}
		memo.mu.Lock()
		for k, i := range missing {
			memo.known[i] = read[k]
		}
		memo.mu.Unlock()
	}
	d.read("latest csat score of %d tickets (%d read, the others kept with the ticket read)", len(rows), len(missing))
	out := make([]int16, len(rows))
	memo.mu.Lock()
	defer memo.mu.Unlock()
	for k, i := range rows {
		out[k] = memo.known[i]
	}
	return out, nil
}

// noScore marks a ticket without a CSAT score, unknownScore one whose score was not read yet.
const (
	noScore      int16 = math.MinInt16 + 1
	unknownScore int16 = math.MinInt16
)

// scoreOf is the score at position i of scores (by ticket or by row), if there is one.
func scoreOf(scores []int16, i int) (int16, bool) {
	if scores == nil || scores[i] == noScore {
		return 0, false
	}
	return scores[i], true
}

// readTicketScores reads the latest CSAT score of the tickets rows, by position in rows (noScore:
// none). A ticket answered within the survey read the dataset holds has its latest score there,
// unless it was answered again after the read: only the responses answered after it are read for
// those tickets, which the responded_at index finds at once for a range ending near now, instead of
// every response of every ticket.
func (d *dataset) readTicketScores(ctx context.Context, rows []int) ([]int16, error) {
	t, s := d.tickets, d.surveys
	out := make([]int16, len(rows))
	for k := range out {
		out[k] = noScore
	}
	var probe []int // positions in rows of the tickets read whole
	// apply sets the scores a read of the tickets at positions ks returned.
	apply := func(ks []int, read map[string]int16) {
		for _, k := range ks {
			if sc, ok := read[t.ID.At(rows[k])]; ok {
				out[k] = sc
			}
		}
	}
	ids := func(ks []int) []string {
		out := make([]string, len(ks))
		for j, k := range ks {
			out[j] = t.ID.At(rows[k])
		}
		return out
	}
	if s != nil && d.surveyTkt != nil {
		from, to := d.surveysFrom.UnixMicro(), d.surveysTo.UnixMicro()
		slot := make([]int32, t.Len()) // ticket index -> 1 + position in rows; 0: not asked
		for k, i := range rows {
			slot[i] = int32(k) + 1
		}
		at, score := make([]int64, len(rows)), make([]int16, len(rows))
		for r, ti := range d.surveyTkt {
			resp := s.Responded[r] // Null unless answered with a score
			if ti < 0 || slot[ti] == 0 || resp == store.Null || resp < from || resp >= to {
				continue
			}
			// The latest response; ties to the lowest score, as ReadTicketScores.
			if k := slot[ti] - 1; resp > at[k] || (resp == at[k] && s.Score[r] < score[k]) || score[k] == 0 {
				at[k], score[k] = resp, s.Score[r]
			}
		}
		var later []int
		for k := range rows {
			if score[k] == 0 {
				probe = append(probe, k)
			} else {
				out[k] = score[k]
				later = append(later, k)
			}
		}
		if len(later) > 0 {
			after, err := d.e.helpdesk.ReadTicketScores(ctx, ids(later), d.surveysTo)
			if err != nil {
				return nil, err
			}
			apply(later, after)
		}
	} else {
		for k := range rows {
			probe = append(probe, k)
		}
	}
	if len(probe) > 0 {
		read, err := d.e.helpdesk.ReadTicketScores(ctx, ids(probe), time.Time{})
		if err != nil {
			return nil, err
		}
		apply(probe, read)
	}
	return out, nil
}

// scoreMemo keeps the latest CSAT score of the tickets of one ticket read, or that it has none, once
// read (by ticket index: noScore, unknownScore until read): the drill-downs of a refresh, and of the
// auto-refreshes within the read's lifetime, read each ticket's score once.
type scoreMemo struct {
	mu    sync.Mutex
	known []int16
}

// segmentsOf is the segment of each of rows: from the segments of every ticket when the dataset has
// them, else read for these tickets alone (their customers' orders before their instants).
func (d *dataset) segmentsOf(ctx context.Context, rows []int) ([]int8, error) {
	out := make([]int8, len(rows))
	if d.ticketSeg != nil {
		for k, i := range rows {
			out[k] = d.ticketSeg[i]
		}
		return out, nil
	}
	t, s := d.tickets, d.e.settings
	var keys []string
	var before []time.Time
	for _, i := range rows {
		if c := t.Customer[i]; c >= 0 {
			keys = append(keys, t.Customers.Values[c])
			before = append(before, time.UnixMicro(d.ticketInstant(i)).UTC())
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	// Past VIPMinOrders orders a customer is a VIP whatever it spent: no need to count further.
	tot, err := d.e.orders.ReadCustomerTotals(ctx, store.TotalsRead{Keys: keys, Before: before,
		Excluded: s.ExcludedStatuses, Currency: s.Currency, Tags: s.VIPTags, CapOrders: s.VIPMinOrders})
	if err != nil {
		return nil, err
	}
	d.read("order totals and tags of %d customers as of their tickets", len(keys))
	j := 0
	for k, i := range rows {
		if t.Customer[i] < 0 {
			out[k] = segUnidentified
			continue
		}
		out[k] = d.segmentOf(tot.Tagged[j], int64(tot.Count[j]), tot.Spent[j])
		j++
	}
	return out, nil
}

// firstResponses is the first response time of each of rows, in seconds, read for these tickets.
// firstResponses reads the messages of rows: their first response times, on the business clock too
// when the data source has business hours, and who handled them.
func (d *dataset) firstResponses(ctx context.Context, rows []int) (calendar, business []*float64, handled []string, err error) {
	t := d.tickets
	ids := make([]string, len(rows))
	for k, i := range rows {
		ids[k] = t.ID.At(i)
	}
	calendar, business, handled = make([]*float64, len(rows)), make([]*float64, len(rows)), make([]string, len(rows))
	for k := range handled {
		handled[k] = handledByNames[handledUnanswered]
	}
	if len(ids) == 0 {
		return calendar, business, handled, nil
	}
	m, err := d.e.helpdesk.ReadMessages(ctx, store.MessageRead{IDs: ids})
	if err != nil {
		return nil, nil, nil, err
	}
	d.read("messages of %d tickets", len(ids))
	row := make(map[string]int, m.Len())
	for r := range m.Len() {
		row[m.Ticket.At(r)] = r
	}
	for k, i := range rows {
		r, ok := row[ids[k]]
		if !ok {
			continue
		}
		handled[k] = handledByNames[handledBy(m.Flags[r])]
		if v, ok := firstResponse(m.Flags[r], m.FirstReply[r], t.Created[i]); ok {
			s := float64(v) / 1e6
			calendar[k] = &s
			if d.e.clock != nil {
				b := float64(d.e.clock.elapsed(t.Created[i], t.Created[i]+v)) / 1e6
				business[k] = &b
			}
		}
	}
	return calendar, business, handled, nil
}

func withoutFilter(o options, dim string) options {
	f := map[string][]string{}
	for k, v := range o.filters {
		if k != dim {
			f[k] = v
		}
	}
	o.filters = f
	var adhoc []condition
	for _, c := range o.adhoc {
		if c.dim != dim {
			adhoc = append(adhoc, c)
		}
	}
	o.adhoc = adhoc
	return o
}

func optTime(us int64) *time.Time {
	if us == store.Null {
		return nil
	}
	t := time.UnixMicro(us).UTC()
	return &t
}

// nonNil keeps empty columns typed and non-nil, so frames always get their fields.
func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func nonNilT(v []time.Time) []time.Time {
	if v == nil {
		return []time.Time{}
	}
	return v
}

var orderDims = []string{"customer_type", "project", "currency", "segment", "product"}

// TopProducts answers top_products (SPEC 5.5): the N products by revenue or quantity over the eligible
// orders of the range, with both figures and their share of the total.
func (e *Engine) TopProducts(ctx context.Context, r Request) (*Table, error) {
	o, err := e.tableOptions(ctx, r, orderDims, "top_products")
	if err != nil {
		return nil, err
	}
	var (
		d *dataset
		p *productTotals
	)
	if cols, ok := e.productColumns(o); ok {
		// Filtered on order columns and products only: the lines summed per product by PostgreSQL.
		if d, p, err = e.productSums(ctx, r.From, r.To, o, cols); err != nil {
			return nil, err
		}
	}
	if p == nil {
		if d, err = e.load(ctx, r.From, r.To, o, needs{orders: true, lines: true, orderHistory: true}); err != nil {
			return nil, err
		}
		p = productLines(d, o)
	}
	products := make([]int, 0, len(p.ids))
	for i := range p.ids {
		if p.rev[i] != 0 || p.qty[i] != 0 {
			products = append(products, i)
		}
	}
	by := p.rev
	if r.Query.SortBy == "quantity" {
		by = p.qty
	}
	sort.Slice(products, func(a, b int) bool {
		pa, pb := products[a], products[b]
		if by[pa] != by[pb] {
			return by[pa] > by[pb]
		}
		return p.ids[pa] < p.ids[pb]
	})
	if len(products) > r.Query.Limit {
		products = products[:r.Query.Limit]
	}
	var (
		ids, names                 []string
		revenue, revShare, qtShare []float64
		quantity                   []int64
	)
	for _, i := range products {
		ids = append(ids, p.ids[i])
		names = append(names, p.names[i])
		revenue = append(revenue, float64(p.rev[i])/moneyScale)
		quantity = append(quantity, p.qty[i])
		revShare = append(revShare, share(p.rev[i], p.totalRev))
		qtShare = append(qtShare, share(p.qty[i], p.totalQty))
	}
	tab := &Table{Name: "top_products", Notices: append(slices.Clone(o.notices), d.notices()...), Info: slices.Clone(o.info)}
	tab.Columns = []Column{
		{"product_id", "Product id", "", nonNil(ids)},
		{"product", "Product", "", nonNil(names)},
		{"revenue", "Revenue", unitMoney, revenue},
		{"quantity", "Quantity", unitShort, quantity},
		{"revenue_share", "Share of revenue", unitPercent, revShare},
		{"quantity_share", "Share of quantity", unitPercent, qtShare},
	}
	tab.Executed = fmt.Sprintf("top %d products by %s over %s; read: %s", r.Query.Limit, r.Query.SortBy, span(r.From, r.To), strings.Join(d.reads, "; "))
	return tab, nil
}

// productTotals are the revenue and quantity of each product (by product id) over the kept lines.
type productTotals struct {
	ids, names         []string
	rev, qty           []int64
	totalRev, totalQty int64
}

// productLines sums the eligible lines of the range that pass the filters, per product.
func productLines(d *dataset, o options) *productTotals {
	l := d.lines
	keep := d.rowFilter(factLine, o)
	p := &productTotals{ids: l.Products.Values, names: l.Names, rev: make([]int64, len(l.Names)), qty: make([]int64, len(l.Names))}
	for i := range l.Order {
		at := d.instant(factLine, basisOrdered, i)
		if at < d.from || at >= d.to || !d.eligible(factLine, i) || !keep(i) {
			continue
		}
		p.rev[l.Product[i]] += l.Amount[i]
		p.qty[l.Product[i]] += l.Quantity[i]
		p.totalRev += l.Amount[i]
		p.totalQty += l.Quantity[i]
	}
	return p
}

func share(part, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(part) / float64(total) * 100
}

// Retention answers retention (SPEC 5.5): customers grouped by the month (report time zone) of their
// first eligible order ever, when it falls in the range; for each cohort and each of the following
// `months` months, the share of the cohort who ordered in that month. Months after the range are empty.
func (e *Engine) Retention(ctx context.Context, r Request) (*Table, error) {
	o, err := e.tableOptions(ctx, r, []string{"project", "currency"}, "retention")
	if err != nil {
		return nil, err
	}
	d, err := e.load(ctx, r.From, r.To, o, needs{orders: true, orderHistory: true})
	if err != nil {
		return nil, err
	}
	keep := d.rowFilter(factOrder, o)
	months := r.Query.Months
	monthOf := func(us int64) int {
		t := time.UnixMicro(us).In(o.loc)
		return t.Year()*12 + int(t.Month()) - 1
	}
	firstMonth, lastMonth := monthOf(d.from), monthOf(d.to-1)
	// The start of each month of the range, then the end of the last: an order's month is found among
	// them, without a time zone conversion per order.
	bounds := make([]int64, 0, lastMonth-firstMonth+2)
	for m := firstMonth; m <= lastMonth+1; m++ {
		bounds = append(bounds, time.Date(m/12, time.Month(m%12+1), 1, 0, 0, 0, 0, o.loc).UnixMicro())
	}
	monthIn := func(us int64) int { // 0 for firstMonth
		k, _ := slices.BinarySearch(bounds, us+1)
		return k - 1
	}
	for k, b := range bounds {
		if monthOf(b) != firstMonth+k || monthOf(b-1) != firstMonth+k-1 {
			// A zone whose midnight is repeated at a month's start: convert each order instead.
			monthIn = func(us int64) int { return monthOf(us) - firstMonth }
			break
		}
	}
	ord := d.orders
	kept := func(i int) bool {
		return ord.Created[i] >= d.from && ord.Created[i] < d.to && d.eligible(factOrder, i) && keep(i) && ord.Customer[i] >= 0
	}
	// A customer's cohort is the month of its first eligible order ever; its other orders are later,
	// or at the same instant (the same month): no order needs to wait for its customer's first.
	nm := lastMonth - firstMonth + 1
	cohortOf := make([]int32, len(ord.Customers.Values))
	for c := range cohortOf {
		cohortOf[c] = -1
	}
	size := make([]int64, nm)
	for i := range ord.Len() {
		if d.orderNew[i] && kept(i) {
			m := monthIn(ord.Created[i])
			cohortOf[ord.Customer[i]] = int32(m)
			size[m]++
		}
	}
	// active[m][k]: the customers of cohort m who ordered k months later, each once (seen, a bit per
	// customer and month).
	active := make([][]int64, nm)
	for m := range active {
		active[m] = make([]int64, months+1)
	}
	seen := make([]uint64, (len(cohortOf)*(months+1)+63)/64)
	for i := range ord.Len() {
		if d.orderNew[i] || !kept(i) {
			continue
		}
		c := ord.Customer[i]
		cm := cohortOf[c]
		if cm < 0 {
			continue
		}
		if k := monthIn(ord.Created[i]) - int(cm); k >= 1 && k <= months {
			bit := int(c)*(months+1) + k
			if seen[bit/64]&(1<<(bit%64)) == 0 {
				seen[bit/64] |= 1 << (bit % 64)
				active[cm][k]++
			}
		}
	}
	var (
		labels []string
		starts []time.Time
		sizes  []int64
		cols   = make([][]*float64, months)
	)
	for m := firstMonth; m <= lastMonth; m++ {
		x := m - firstMonth
		if size[x] == 0 {
			continue
		}
		labels = append(labels, fmt.Sprintf("%04d-%02d", m/12, m%12+1))
		starts = append(starts, time.Date(m/12, time.Month(m%12+1), 1, 0, 0, 0, 0, o.loc))
		sizes = append(sizes, size[x])
		for k := 1; k <= months; k++ {
			if m+k > lastMonth {
				cols[k-1] = append(cols[k-1], nil)
				continue
			}
			v := float64(active[x][k]) / float64(size[x]) * 100
			cols[k-1] = append(cols[k-1], &v)
		}
	}
	tab := &Table{Name: "retention", Notices: append(slices.Clone(o.notices), d.notices()...), Info: slices.Clone(o.info)}
	tab.Columns = []Column{
		{"cohort", "Cohort", "", nonNil(labels)},
		{"cohort_start", "Cohort start", "", nonNilT(starts)},
		{"customers", "Customers", unitShort, nonNilI(sizes)},
	}
	for k := 1; k <= months; k++ {
		col := cols[k-1]
		if col == nil {
			col = []*float64{}
		}
		tab.Columns = append(tab.Columns, Column{fmt.Sprintf("month_%d", k), fmt.Sprintf("Month %d", k), unitPercent, col})
	}
	tab.Executed = fmt.Sprintf("retention cohorts over %s, %d months; read: %s", span(r.From, r.To), months, strings.Join(d.reads, "; "))
	return tab, nil
}

func nonNilI(v []int64) []int64 {
	if v == nil {
		return []int64{}
	}
	return v
}

// LiveFeed answers live_feed (SPEC 5.5): the latest cart events and orders of the range, newest first.
func (e *Engine) LiveFeed(ctx context.Context, r Request) (*Table, error) {
	o, err := e.tableOptions(ctx, r, nil, "live_feed")
	if err != nil {
		return nil, err
	}
	events, err := e.orders.ReadFeed(ctx, r.From, r.To, r.Query.Limit)
	if err != nil {
		return nil, err
	}
	tab := FeedTable(events)
	tab.Notices, tab.Info = o.notices, o.info
	return tab, nil
}

// FeedTable is the frame layout of live-feed events, shared by the query and the stream.
func FeedTable(events []store.FeedEvent) *Table {
	var (
		kind, id, customer, currency, status []string
		at                                   []time.Time
		amount                               []float64
	)
	for _, ev := range events {
		kind = append(kind, ev.Kind)
		at = append(at, ev.At.UTC())
		id = append(id, ev.ID)
		c := ""
		if ev.Customer != nil {
			c = *ev.Customer
		}
		customer = append(customer, c)
		amount = append(amount, float64(ev.Amount)/moneyScale)
		currency = append(currency, ev.Currency)
		status = append(status, ev.Status)
	}
	// Amounts are in their own currency: a money unit when every row has the same one, else plain
	// numbers beside the currency column (the dashboard gives them two decimals).
	amountUnit := ""
	for i, c := range currency {
		if c != currency[0] {
			amountUnit = ""
			break
		}
		if i == 0 {
			amountUnit = "currency" + c
		}
	}
	return &Table{Name: "live_feed", Columns: []Column{
		{"time", "Time", "", nonNilT(at)},
		{"kind", "Kind", "", nonNil(kind)},
		{"id", "Order", "", nonNil(id)},
		{"customer", "Customer", "", nonNil(customer)},
		{"amount", "Amount", amountUnit, nonNilF(amount)},
		{"currency", "Currency", "", nonNil(currency)},
		{"status", "Status", "", nonNil(status)},
	}}
}

func nonNilF(v []float64) []float64 {
	if v == nil {
		return []float64{}
	}
	return v
}

// Variable answers a variable query: the distinct values of a dimension in the range.
func (e *Engine) Variable(ctx context.Context, r Request) (*Table, error) {
	dim := r.Query.Dimension
	if _, ok := dimensionByKey(dim); !ok || dim == "time" {
		return nil, queryErr("unknown dimension %q for a variable: use one of %s", dim, strings.TrimPrefix(dimensionKeys(), "time, "))
	}
	if _, err := e.options(r); err != nil {
		return nil, err
	}
	var values []string
	switch dim {
	case "segment":
		values = segmentNames[:]
	case "handled_by":
		values = handledByNames[:]
	case "score":
		values = []string{"1", "2", "3", "4", "5"}
	case "customer_type":
		values = []string{"new", "returning"}
	case "currency", "product":
		v, err := e.orders.ReadOrderValues(ctx, dim, r.From, r.To, e.settings.ExcludedStatuses)
		if err != nil {
			return nil, err
		}
		values = v
	case "project":
		a, err := e.helpdesk.ReadTicketValues(ctx, dim, r.From, r.To)
		if err != nil {
			return nil, err
		}
		b, err := e.orders.ReadOrderValues(ctx, dim, r.From, r.To, e.settings.ExcludedStatuses)
		if err != nil {
			return nil, err
		}
		values = append(a, b...)
		slices.Sort(values)
		values = slices.Compact(values)
	default:
		v, err := e.helpdesk.ReadTicketValues(ctx, dim, r.From, r.To)
		if err != nil {
			return nil, err
		}
		values = v
	}
	return &Table{Name: dim, Columns: []Column{{dim, dimDisplay(dim), "", nonNil(slices.Clone(values))}},
		Executed: fmt.Sprintf("distinct %s over %s", dim, span(r.From, r.To))}, nil
}

func dimDisplay(key string) string {
	d, _ := dimensionByKey(key)
	return d.DisplayName
}

// Feed returns the orders and cart events of [from, to), newest first, for the live stream.
func (e *Engine) Feed(ctx context.Context, from, to time.Time, limit int) ([]store.FeedEvent, error) {
	return e.orders.ReadFeed(ctx, from, to, limit)
}
