package engine

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// pairs are the credited (ticket, order) pairs: each eligible order credited to at most one ticket, or
// with the linear model split among every ticket it matches.
type pairs struct {
	store.Derived // what is derived from the pairs (credits by ticket) lives and dies with them

	ticket []int32 // index in the ticket read
	amount []int64 // the order's amount, or with the linear model the ticket's part of it
	at     []int64 // the order's creation
	split  []int32 // linear model: how many tickets share the order (nil with the single-touch models: 1)
	linear bool
	unconv *unconverted
}

func (p *pairs) add(ticket int32, amount, at int64, split int) {
	if len(p.ticket) == cap(p.ticket) { // double: append grows large slices by a quarter
		n := max(len(p.ticket), 1024)
		p.ticket, p.amount, p.at = slices.Grow(p.ticket, n), slices.Grow(p.amount, n), slices.Grow(p.at, n)
		if p.linear {
			p.split = slices.Grow(p.split, n)
		}
	}
	p.ticket = append(p.ticket, ticket)
	p.amount = append(p.amount, amount)
	p.at = append(p.at, at)
	if p.linear {
		p.split = append(p.split, int32(split))
	}
}

// share is the part of its order pair i counts for: 1, or 1/n of an order split among n tickets.
func (p *pairs) share(i int) float64 {
	if p.split == nil {
		return 1
	}
	return 1 / float64(p.split[i])
}

// credit adds the pairs of one eligible order matched by tickets (in (created_at, id) order): the whole
// order to the one ticket of a single-touch model, or a part to each with the linear model.
func (p *pairs) credit(tickets []int32, amount, at int64) {
	if len(tickets) <= 1 || !p.linear {
		for _, ti := range tickets {
			p.add(ti, amount, at, 1)
		}
		return
	}
	n := len(tickets)
	for k, part := range splitAmount(amount, n) {
		p.add(tickets[k], part, at, n)
	}
}

// splitAmount splits an amount (in 1/10000 of the currency) into n parts that sum to it exactly, by the
// largest-remainder method: in whole cents when the amount is whole cents (a converted amount with
// sub-cent digits in 1/10000 units). Every part's quota is amount/n, so every remainder ties: the
// units left over go one each to the first parts, that is to the earliest tickets (created_at, then id).
func splitAmount(amount int64, n int) []int64 {
	unit := int64(100)
	if amount%unit != 0 {
		unit = 1
	}
	units, k := amount/unit, int64(n)
	base := units / k
	if units%k < 0 { // floor for a negative amount
		base--
	}
	left := units - base*k // 0 <= left < n
	parts := make([]int64, n)
	for i := range parts {
		parts[i] = base * unit
		if int64(i) < left {
			parts[i] += unit
		}
	}
	return parts
}

// groupBy lists the rows of each key, keys in [0, n) (-1: none): rows of key k are
// list[start[k]:start[k+1]], in row order. One slice for all keys instead of one per key.
func groupBy(n int, keyOf []int32, keep func(i int) bool) (start, list []int32) {
	start = make([]int32, n+1)
	for i, k := range keyOf {
		if k >= 0 && keep(i) {
			start[k+1]++
		}
	}
	for k := range n {
		start[k+1] += start[k]
	}
	list = make([]int32, start[n])
	next := append([]int32(nil), start[:n]...)
	for i, k := range keyOf {
		if k >= 0 && keep(i) {
			list[next[k]] = int32(i)
			next[k]++
		}
	}
	return start, list
}

// timelines sorts each key's rows by (created, id).
func timelines(start, list []int32, created []int64, ids *store.Strings) {
	byTime := func(x, y int32) int {
		if c := cmp.Compare(created[x], created[y]); c != 0 {
			return c
		}
		return strings.Compare(ids.At(int(x)), ids.At(int(y)))
	}
	for k := range len(start) - 1 {
		rows := list[start[k]:start[k+1]]
		if len(rows) > 1 && !slices.IsSortedFunc(rows, byTime) {
			slices.SortFunc(rows, byTime)
		}
	}
}

// attributor credits orders to the tickets of a read (SPEC 5.2, docs/METRICS.md). A ticket t matches
// order o of the same customer when t.created_at <= o.created_at < end(t): created_at + window with the
// created anchor, closed_at + window with the closed anchor (no end while t is open). last_touch takes
// the latest matching ticket (ties: greatest id), first_touch the earliest (ties: smallest id), linear
// all of them. Every ticket read takes part, whatever the query's filters.
type attributor struct {
	start, list []int32 // per ticket customer, its tickets by (created_at, id)
	created     []int64 // created[k] is the creation of ticket list[k]: searched without jumping around
	end         []int64 // end[k]: the end of ticket list[k]'s window (exclusive)
	reach       []int64 // closed anchor: the latest end among the customer's tickets up to k, to skip ended ones
	model       string
	monotone    bool // end grows with created (the created anchor): the matches are a contiguous run
	buf         []int32
}

func newAttributor(t *store.Tickets, window time.Duration, model, anchor string) *attributor {
	w := window.Microseconds()
	a := &attributor{model: model, monotone: anchor != models.AnchorClosed}
	a.start, a.list = groupBy(len(t.Customers.Values), t.Customer, func(int) bool { return true })
	timelines(a.start, a.list, t.Created, &t.ID)
	a.created = make([]int64, len(a.list))
	a.end = make([]int64, len(a.list))
	for k, ti := range a.list {
		a.created[k] = t.Created[ti]
		switch {
		case a.monotone:
			a.end[k] = t.Created[ti] + w
		case t.Closed[ti] == store.Null: // still open: the conversation goes on, every later order matches
			a.end[k] = math.MaxInt64
		default:
			a.end[k] = t.Closed[ti] + w
		}
	}
	if !a.monotone {
		a.reach = make([]int64, len(a.list))
		for c := range len(a.start) - 1 {
			for k := a.start[c]; k < a.start[c+1]; k++ {
				a.reach[k] = a.end[k]
				if k > a.start[c] {
					a.reach[k] = max(a.reach[k], a.reach[k-1])
				}
			}
		}
	}
	return a
}

// credit returns the tickets an order of ticket-side customer c created at `at` is credited to: none,
// the one of a single-touch model, or every match with linear, in (created_at, id) order. The slice is
// reused by the next call.
func (a *attributor) credit(c int32, at int64) []int32 {
	a.buf = a.buf[:0]
	if c < 0 {
		return a.buf
	}
	lo, hi := a.start[c], a.start[c+1]
	list, created, end := a.list[lo:hi], a.created[lo:hi], a.end[lo:hi]
	upper := sort.Search(len(list), func(j int) bool { return created[j] > at }) // candidates: [0, upper)
	if a.monotone {
		lower := sort.Search(upper, func(j int) bool { return end[j] > at })
		if lower == upper {
			return a.buf
		}
		switch a.model {
		case models.AttributionFirstTouch:
			a.buf = append(a.buf, list[lower])
			return a.buf
		case models.AttributionLinear:
			a.buf = append(a.buf, list[lower:upper]...)
			return a.buf
		}
		a.buf = append(a.buf, list[upper-1])
		return a.buf
	}
	// The first ticket whose window has not ended at `at`: none before first.
	reach := a.reach[lo:hi]
	first := sort.Search(upper, func(j int) bool { return reach[j] > at })
	switch a.model {
	case models.AttributionFirstTouch:
		for j := first; j < upper; j++ {
			if end[j] > at {
				a.buf = append(a.buf, list[j])
				return a.buf
			}
		}
	case models.AttributionLinear:
		for j := first; j < upper; j++ {
			if end[j] > at {
				a.buf = append(a.buf, list[j])
			}
		}
	default:
		for j := upper - 1; j >= first; j-- {
			if end[j] > at {
				a.buf = append(a.buf, list[j])
				return a.buf
			}
		}
	}
	return a.buf
}

// attribute credits the eligible orders of [lo, hi) to the tickets read: from the orders read when
// there are, else streaming them from the store, keeping only the credited ones.
func (d *dataset) attribute(ctx context.Context, lo, hi time.Time) error {
	t, o, e := d.tickets, d.orders, d.e
	model, window, anchor := d.opts.model, d.opts.window, d.opts.anchor
	linear := model == models.AttributionLinear
	var err error
	if o != nil {
		key := keyOf("pairs", readID(o), model, window, anchor)
		d.pairs, err = derive(ctx, t, key, func(context.Context) (*pairs, error) {
			a := newAttributor(t, window, model, anchor)
			toTicket := make([]int32, len(o.Customers.Values)) // order-side customer -> ticket-side
			for c, k := range o.Customers.Values {
				toTicket[c] = t.Customers.Lookup(k)
			}
			p := &pairs{linear: linear}
			for i, c := range o.Customer {
				if o.Amount[i] == store.Null || c < 0 {
					continue
				}
				p.credit(a.credit(toTicket[c], o.Created[i]), o.Amount[i], o.Created[i])
			}
			return p, nil
		})
		return err
	}
	r := store.OrderRead{From: lo, To: hi, Excluded: e.settings.ExcludedStatuses, Currency: e.settings.Currency}
	d.pairs, err = derive(ctx, t, d.streamedPairsKey(lo, hi), func(ctx context.Context) (*pairs, error) {
		return d.streamPairs(ctx, r, t, newAttributor(t, window, model, anchor))
	})
	if err != nil {
		return err
	}
	d.read("orders %s, credited to the tickets read", span(lo, hi))
	d.unconv = d.pairs.unconv
	return d.readRates(ctx)
}

// streamPairs credits the orders of r, streamed from the store, to the tickets t (a the attributor
// of t).
func (d *dataset) streamPairs(ctx context.Context, r store.OrderRead, t *store.Tickets, a *attributor) (*pairs, error) {
	p := &pairs{linear: d.opts.model == models.AttributionLinear, unconv: &unconverted{currencies: store.NewDict()}}
	err := d.e.orders.ScanOrders(ctx, r, func(x store.Order) error {
		if x.Amount == store.Null {
			p.unconv.add(x.Created, p.unconv.currencies.ID(string(x.Currency)))
			return nil
		}
		if x.Customer == nil {
			return nil
		}
		p.credit(a.credit(t.Customers.LookupBytes(x.Customer), x.Created), x.Amount, x.Created)
		return nil
	})
	return p, err
}

// streamedPairsKey keys the pairs attribute streams over [lo, hi).
func (d *dataset) streamedPairsKey(lo, hi time.Time) string {
	s := d.e.settings
	return keyOf("pairs", lo, hi, s.ExcludedStatuses, s.Currency, d.opts.model, d.opts.window, d.opts.anchor)
}

// creditsMemo keeps what the orders of [lo, hi) credit to the tickets of one ticket read, customer by
// customer as drill-downs ask for them: each customer's orders are read once for the read's lifetime,
// so that an auto-refresh, whose rows are nearly the same, reads only the customers it has not seen.
// Exact for the tickets of the customers read: an order is only ever credited to its customer's.
type creditsMemo struct {
	mu      sync.Mutex
	a       *attributor // not safe for concurrent use: under mu
	done    []bool      // by customer id
	orders  map[int32]float64
	revenue map[int32]int64
}

// credits returns the credits of the tickets of rows, by row, reading the orders of the customers of
// rows not read yet.
func (m *creditsMemo) credits(ctx context.Context, d *dataset, rows []int) ([]float64, []int64, error) {
	t, e := d.tickets, d.e
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.a == nil {
		m.a = newAttributor(t, d.opts.window, d.opts.model, d.opts.anchor)
		m.done = make([]bool, len(t.Customers.Values))
		m.orders, m.revenue = map[int32]float64{}, map[int32]int64{}
	}
	var keys []string
	var missing []int32
	seen := map[int32]bool{}
	for _, i := range rows {
		if c := t.Customer[i]; c >= 0 && !seen[c] {
			seen[c] = true
			if !m.done[c] {
				missing = append(missing, c)
				keys = append(keys, t.Customers.Values[c])
			}
		}
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		r := store.OrderRead{From: d.creditLo, To: d.creditHi, Excluded: e.settings.ExcludedStatuses, Currency: e.settings.Currency,
			Customers: keys}
		p, err := d.streamPairs(ctx, r, t, m.a)
		if err != nil {
			return nil, nil, err
		}
		for j, ti := range p.ticket { // in the pairs' order, as creditsByTicket sums them
			m.orders[ti] += p.share(j)
			m.revenue[ti] += p.amount[j]
		}
		for _, c := range missing {
			m.done[c] = true
		}
	}
	d.read("orders %s of the %d customers of the rows shown, credited to their tickets", span(d.creditLo, d.creditHi), len(seen))
	orders, revenue := make([]float64, len(rows)), make([]int64, len(rows))
	for k, i := range rows {
		orders[k], revenue[k] = m.orders[int32(i)], m.revenue[int32(i)]
	}
	return orders, revenue, nil
}

// pairTime is the instant a pair is dated by: its ticket's creation or its order's (dateBasis).
func (d *dataset) pairTime(i int) int64 {
	if d.opts.dateBasis == "order" {
		return d.pairs.at[i]
	}
	return d.tickets.Created[d.pairs.ticket[i]]
}

func (d *dataset) pairAmount(i int) int64 { return d.pairs.amount[i] }

// Segments (SPEC 5.4).
const (
	segUnidentified int8 = iota
	segProspect
	segNewBuyer
	segReturning
	segVIP
	// segUnjudged marks a ticket no query of the dataset asks the segment of (surveySegmentsByFirsts):
	// never a label.
	segUnjudged int8 = -1
)

var segmentNames = [...]string{"unidentified", "prospect", "new_buyer", "returning", "vip"}

// orderTimelines returns, per order-side customer id, its eligible orders (convertible amount)
// sorted by (created_at, id): those of customer c are list[start[c]:start[c+1]].
func (d *dataset) orderTimelines() (start, list []int32) {
	o := d.orders
	start, list = groupBy(len(o.Customers.Values), o.Customer, func(i int) bool { return o.Amount[i] != store.Null })
	timelines(start, list, o.Created, &o.ID)
	return start, list
}

// segmentOf applies the segment rules to a customer's eligible orders so far.
func (d *dataset) segmentOf(tagged bool, count int64, spent int64) int8 {
	s := d.e.settings
	if tagged || (s.VIPMinSpent > 0 && spent >= s.VIPMinSpent) ||
		(s.VIPMinOrders > 0 && count >= int64(s.VIPMinOrders)) {
		return segVIP
	}
	switch count {
	case 0:
		return segProspect
	case 1:
		return segNewBuyer
	}
	return segReturning
}

// prior is a customer's history before the detail orders.
func (d *dataset) prior(key string) (count, spent int64) {
	if d.history == nil {
		return 0, 0
	}
	if id := d.history.Customers.Lookup(key); id >= 0 {
		return int64(d.history.Count[id]), d.history.Spent[id]
	}
	return 0, 0
}

// segmentTickets judges each ticket's segment as of its closing (or creation while open), counting
// only the eligible orders created before that instant.
func (d *dataset) segmentTickets(ctx context.Context) (err error) {
	t, o := d.tickets, d.orders
	key := keyOf("ticket segments", readID(o), readID(d.history), readID(d.vipTagged))
	d.ticketSeg, err = derive(ctx, t, key, func(context.Context) ([]int8, error) {
		start, list := d.orderTimelines()
		seg := make([]int8, t.Len())
		for i, c := range t.Customer {
			if c < 0 {
				seg[i] = segUnidentified
				continue
			}
			key := t.Customers.Values[c]
			count, spent := d.prior(key)
			if oc := o.Customers.Lookup(key); oc >= 0 {
				at := d.ticketInstant(i)
				for _, oi := range list[start[oc]:start[oc+1]] {
					if o.Created[oi] >= at {
						break
					}
					count++
					spent += o.Amount[oi]
				}
			}
			seg[i] = d.segmentOf(d.isTagged(key), count, spent)
		}
		return seg, nil
	})
	return err
}

// firstsMemo keeps the first eligible orders ever of the customers of one ticket read (by its
// Customers ids), up to the cap of the segment rule (historyCap): enough to judge a ticket's segment
// at any instant. Customers are read on demand, each once for the read's lifetime, so that a query
// judging a few tickets (the surveyed ones) reads only their customers, and a later query of the same
// read only the customers still missing.
type firstsMemo struct {
	mu              sync.Mutex
	start, end      []int32 // by customer id: its orders in created and amount; start -1 until read
	created, amount []int64 // oldest first per customer; only ever appended to
}

// firstsView is the memo as of one need: valid for every customer read by then. Later reads only
// append beyond it and fill other customers.
type firstsView struct {
	start, end      []int32
	created, amount []int64
}

// need reads the first orders of the customers of want (ids, -1 none, repeats allowed) the memo does
// not hold yet, in one read, and returns a view holding every customer of want.
func (m *firstsMemo) need(ctx context.Context, d *dataset, want []int32) (firstsView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := d.tickets.Customers.Values
	if m.start == nil {
		m.start, m.end = make([]int32, len(keys)), make([]int32, len(keys))
		for c := range m.start {
			m.start[c] = -1
		}
	}
	var missing []int32
	for _, c := range want {
		if c >= 0 && m.start[c] == -1 {
			m.start[c] = -2 // listed once
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		// In key order, PostgreSQL probes the orders index leaf after leaf (a quarter faster than in
		// ticket order, measured on the bench store).
		slices.SortFunc(missing, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
		list := make([]string, len(missing))
		for k, c := range missing {
			list[k] = keys[c]
		}
		e := d.e
		capOrders := historyCap(e.settings.VIPMinOrders)
		f, err := e.orders.ReadFirstOrders(ctx, list, e.settings.ExcludedStatuses, e.settings.Currency, capOrders)
		if err != nil {
			for _, c := range missing {
				m.start[c] = -1
			}
			return firstsView{}, err
		}
		for k, c := range missing {
			lo, hi := f.Start[k], f.Start[k+1]
			m.start[c] = int32(len(m.created))
			m.created = append(m.created, f.Created[lo:hi]...)
			m.amount = append(m.amount, f.Amount[lo:hi]...)
			m.end[c] = int32(len(m.created))
		}
	}
	d.read("first orders of the %d customers of the tickets judged, up to %d each", countCustomers(want, len(keys)),
		historyCap(d.e.settings.VIPMinOrders))
	return firstsView{start: m.start, end: m.end, created: m.created, amount: m.amount}, nil
}

// countCustomers is how many distinct customers want names (ids below n, -1 none).
func countCustomers(want []int32, n int) int {
	seen := make([]bool, n)
	count := 0
	for _, c := range want {
		if c >= 0 && !seen[c] {
			seen[c], count = true, count+1
		}
	}
	return count
}

// firsts is the first-orders memo of the dataset's ticket read, kept with it under the segment rule's
// settings.
func (d *dataset) firsts(ctx context.Context) (*firstsMemo, error) {
	s := d.e.settings
	key := keyOf("first orders", s.ExcludedStatuses, s.Currency, historyCap(s.VIPMinOrders))
	return derive(ctx, d.tickets, key, func(context.Context) (*firstsMemo, error) { return &firstsMemo{}, nil })
}

// segmentsByFirsts judges the segments of tickets (indexes of the ticket read, repeats allowed) into
// seg, from their customers' first orders ever: the orders of that list created before a ticket's
// instant are all the orders the customer had made then, unless the whole list is, and then the
// customer had made at least the cap, which the order rule makes VIP whatever it spent.
func (d *dataset) segmentsByFirsts(ctx context.Context, tickets []int32, seg []int8) error {
	t := d.tickets
	m, err := d.firsts(ctx)
	if err != nil {
		return err
	}
	want := make([]int32, len(tickets))
	for k, i := range tickets {
		want[k] = t.Customer[i]
	}
	f, err := m.need(ctx, d, want)
	if err != nil {
		return err
	}
	for _, i := range tickets {
		c := t.Customer[i]
		if c < 0 {
			seg[i] = segUnidentified
			continue
		}
		at := d.ticketInstant(int(i))
		var count, spent int64
		for j := f.start[c]; j < f.end[c] && f.created[j] < at; j++ {
			count++
			spent += f.amount[j]
		}
		seg[i] = d.segmentOf(d.isTagged(t.Customers.Values[c]), count, spent)
	}
	return nil
}

// ticketSegmentsByFirsts is the segment of every ticket of the read, kept with it.
func (d *dataset) ticketSegmentsByFirsts(ctx context.Context) ([]int8, error) {
	t := d.tickets
	return derive(ctx, t, keyOf("ticket segments by first orders", readID(d.vipTagged)), func(ctx context.Context) ([]int8, error) {
		all := make([]int32, t.Len())
		for i := range all {
			all[i] = int32(i)
		}
		seg := make([]int8, t.Len())
		return seg, d.segmentsByFirsts(ctx, all, seg)
	})
}

// surveyBases are the time bases of the survey rows a query slices by segment.
type surveyBases struct{ sent, responded bool }

func (b surveyBases) any() bool { return b.sent || b.responded }

// surveySegmentsByFirsts is the segment of the tickets of the surveys sent, or answered, in range
// (as bases asks), the only ones those survey rows ask for; the other tickets are left unjudged
// (segUnjudged). Cheap beside the ticket read, it is judged again by each query, whose range may be
// the read's or within it.
func (d *dataset) surveySegmentsByFirsts(ctx context.Context, bases surveyBases) ([]int8, error) {
	s := d.surveys
	var tickets []int32
	in := func(at int64) bool { return at != store.Null && at >= d.from && at < d.to }
	for i, ti := range d.surveyTkt {
		if ti >= 0 && ((bases.sent && in(s.Sent[i])) || (bases.responded && in(s.Responded[i]))) {
			tickets = append(tickets, ti)
		}
	}
	seg := make([]int8, d.tickets.Len())
	for i := range seg {
		seg[i] = segUnjudged
	}
	return seg, d.segmentsByFirsts(ctx, tickets, seg)
}

// orderClasses are, per order, whether it is its customer's first eligible order ever, and its segment.
type orderClasses struct {
	isNew   []bool
	segment []int8
}

// classifyOrders marks each order new (its customer's first eligible order ever) or returning, and
// judges its segment as of the order, the order itself included. An order without customer is a new
// customer's order: nothing links it to an earlier one.
func (d *dataset) classifyOrders(ctx context.Context) error {
	o := d.orders
	key := keyOf("order classes", readID(d.history), readID(d.vipTagged))
	c, err := derive(ctx, o, key, func(context.Context) (*orderClasses, error) {
		start, list := d.orderTimelines()
		c := &orderClasses{isNew: make([]bool, o.Len()), segment: make([]int8, o.Len())}
		for i, cust := range o.Customer {
			if cust < 0 {
				c.isNew[i], c.segment[i] = true, segUnidentified
			}
		}
		for cust, key := range o.Customers.Values {
			count, spent := d.prior(key)
			for pos, oi := range list[start[cust]:start[cust+1]] {
				count++
				spent += o.Amount[oi]
				c.isNew[oi] = count == 1 && pos == 0
				c.segment[oi] = d.segmentOf(d.isTagged(key), count, spent)
			}
		}
		return c, nil
	})
	if err != nil {
		return err
	}
	d.orderNew, d.orderSeg = c.isNew, c.segment
	return nil
}

func (d *dataset) orderIsNew(i int) bool { return d.orderNew[i] }

// orderCustomer is a distinct-count id of the order's customer; an order without customer counts as
// its own customer.
func (d *dataset) orderCustomer(i int) int32 {
	if c := d.orders.Customer[i]; c >= 0 {
		return c
	}
	return -2 - int32(i)
}

// First response and SLA (SPEC 5.1).

func (d *dataset) firstResponse(i int) (int64, bool) {
	return firstResponse(d.msgs.flags[i], d.msgs.firstReply[i], d.tickets.Created[i])
}

// firstResponse is the time to a ticket's first agent reply; none for an outbound ticket or without one.
func firstResponse(flags uint8, firstReply, created int64) (int64, bool) {
	if flags&flagOut != 0 || firstReply == store.Null {
		return 0, false
	}
	return firstReply - created, true
}

func addFirstResponse(d *dataset, i int, a *acc) {
	if v, ok := d.firstResponse(i); ok {
		a.vals = append(a.vals, v)
	}
}

func addResolution(d *dataset, i int, a *acc) {
	t := d.tickets
	a.vals = append(a.vals, t.Closed[i]-t.Created[i])
}

// addFirstResponseBusiness: the first response time counted on the business clock (SPEC 5.3b).
func addFirstResponseBusiness(d *dataset, i int, a *acc) {
	if v, ok := d.firstResponse(i); ok {
		created := d.tickets.Created[i]
		a.vals = append(a.vals, d.e.clock.elapsed(created, created+v))
	}
}

func addResolutionBusiness(d *dataset, i int, a *acc) {
	t := d.tickets
	a.vals = append(a.vals, d.e.clock.elapsed(t.Created[i], t.Closed[i]))
}

const (
	slaPending = iota // no reply yet, target not passed (or outbound): not counted
	slaMet            // first reply within target
	slaMissed         // late reply, or target passed unanswered
)

// slaTarget is the first-response target of ticket i's priority (normal's for none or another), in
// micros: from a table by priority id, made once per computation.
func (d *dataset) slaTarget(i int) int64 {
	d.slaOnce.Do(func() {
		target := func(name string) int64 {
			t, ok := d.e.settings.SLATargets[name]
			if !ok {
				t = d.e.settings.SLATargets["normal"]
			}
			return t.Microseconds()
		}
		prios := d.tickets.Priorities.Values
		d.slaTargets = make([]int64, len(prios)+1) // [0]: no priority
		d.slaTargets[0] = target("normal")
		for k, name := range prios {
			d.slaTargets[k+1] = target(name)
		}
	})
	return d.slaTargets[d.tickets.Priority[i]+1]
}

func (d *dataset) slaState(i int) int {
	t := d.tickets
	if d.msgs.flags[i]&flagOut != 0 {
		return slaPending
	}
	target := d.slaTarget(i)
	if d.opts.slaClock == models.SLAClockBusiness {
		return d.businessSLAState(i, target)
	}
	if v, ok := d.firstResponse(i); ok {
		if v <= target {
			return slaMet
		}
		return slaMissed
	}
	if t.Created[i]+target <= d.now {
		return slaMissed
	}
	return slaPending
}

// businessSLAState judges the SLA on the business clock: the reply's business time against the
// target; unanswered, the target has passed once the business time until now is over it (a reply now
// would be late: overnight, a ticket whose clock stopped exactly on its target is still pending).
func (d *dataset) businessSLAState(i int, target int64) int {
	created := d.tickets.Created[i]
	if v, ok := d.firstResponse(i); ok {
		if d.e.clock.elapsed(created, created+v) <= target {
			return slaMet
		}
		return slaMissed
	}
	if d.e.clock.elapsed(created, d.now) > target {
		return slaMissed
	}
	return slaPending
}

// Who handled a ticket (dimension handled_by), from the kinds of its messages.
const (
	handledAutomated int8 = iota
	handledHuman
	handledMixed
	handledUnanswered
)

var handledByNames = [...]string{"automated", "human", "mixed", "unanswered"}

func handledBy(flags uint8) int8 {
	auto, human := flags&(flagBot|flagRule) != 0, flags&flagAgent != 0
	switch {
	case auto && human:
		return handledMixed
	case auto:
		return handledAutomated
	case human:
		return handledHuman
	}
	return handledUnanswered
}

func (d *dataset) isChat(i int) bool {
	c := d.tickets.Channel[i]
	return c >= 0 && d.tickets.Channels.Values[c] == "chat"
}

// instant returns the time a row is dated by on a basis, or store.Null.
func (d *dataset) instant(f factKind, b basis, i int) int64 {
	switch b {
	case basisCreated:
		return d.tickets.Created[i]
	case basisClosed:
		return d.tickets.Closed[i]
	case basisPair:
		return d.pairTime(i)
	case basisSent:
		return d.surveys.Sent[i]
	case basisResponded:
		return d.surveys.Responded[i]
	case basisDisplayed:
		return d.displays.At[i]
	case basisOrdered:
		if f == factLine {
			return d.orders.Created[d.lines.Order[i]]
		}
		return d.orders.Created[i]
	}
	return store.Null
}

// rows is the number of rows of a kind.
func (d *dataset) rows(f factKind) int {
	switch f {
	case factTicket:
		return d.tickets.Len()
	case factPair:
		return len(d.pairs.ticket)
	case factSurvey:
		return len(d.surveys.Ticket)
	case factDisplay:
		return len(d.displays.At)
	case factOrder:
		return d.orders.Len()
	case factLine:
		return len(d.lines.Order)
	}
	return 0
}

// eligible reports whether a row of an order kind has a convertible amount.
func (d *dataset) eligible(f factKind, i int) bool {
	switch f {
	case factOrder:
		return d.orders.Amount[i] != store.Null
	case factLine:
		return d.orders.Amount[d.lines.Order[i]] != store.Null && d.lines.Amount[i] != store.Null
	}
	return true
}
