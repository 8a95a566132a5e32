package engine

import (
	"sort"

	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// pairs are the credited (ticket, order) pairs: each eligible order credited to at most one ticket.
type pairs struct {
	ticket []int32
	order  []int32
}

// ticketsByCustomer returns, per ticket-side customer id, the ticket indexes sorted by (created_at, id).
func (d *dataset) ticketsByCustomer() [][]int32 {
	t := d.tickets
	by := make([][]int32, len(t.Customers.Values))
	for i, c := range t.Customer {
		if c >= 0 {
			by[c] = append(by[c], int32(i))
		}
	}
	for _, list := range by {
		sort.Slice(list, func(a, b int) bool {
			x, y := list[a], list[b]
			if t.Created[x] != t.Created[y] {
				return t.Created[x] < t.Created[y]
			}
			return t.ID[x] < t.ID[y]
		})
	}
	return by
}

// attribute credits each eligible order to at most one matching ticket (SPEC 5.2). A ticket t matches
// order o of the same customer when t.created_at <= o.created_at < t.created_at + window; last_touch
// takes the latest such ticket (ties: greatest id), first_touch the earliest (ties: smallest id).
// Every ticket read takes part, whatever the query's filters.
func (d *dataset) attribute() {
	t, o := d.tickets, d.orders
	by := d.ticketsByCustomer()
	w := d.opts.window.Microseconds()
	first := d.opts.model == "first_touch"
	for oi := range o.ID {
		if o.Amount[oi] == store.Null || o.Customer[oi] < 0 {
			continue
		}
		tc := t.Customers.Lookup(o.Customers.Values[o.Customer[oi]])
		if tc < 0 {
			continue
		}
		list, at := by[tc], o.Created[oi]
		var k int
		if first {
			// the earliest ticket with created + w > at
			k = sort.Search(len(list), func(j int) bool { return t.Created[list[j]]+w > at })
			if k == len(list) || t.Created[list[k]] > at {
				continue
			}
		} else {
			// the latest ticket with created <= at
			k = sort.Search(len(list), func(j int) bool { return t.Created[list[j]] > at }) - 1
			if k < 0 || t.Created[list[k]]+w <= at {
				continue
			}
		}
		d.pairs.ticket = append(d.pairs.ticket, list[k])
		d.pairs.order = append(d.pairs.order, int32(oi))
	}
}

// pairTime is the instant a pair is dated by: its ticket's creation or its order's (dateBasis).
func (d *dataset) pairTime(i int) int64 {
	if d.opts.dateBasis == "order" {
		return d.orders.Created[d.pairs.order[i]]
	}
	return d.tickets.Created[d.pairs.ticket[i]]
}

func (d *dataset) pairAmount(i int) int64 { return d.orders.Amount[d.pairs.order[i]] }

// Segments (SPEC 5.4).
const (
	segUnidentified int8 = iota
	segProspect
	segNewBuyer
	segReturning
	segVIP
)

var segmentNames = [...]string{"unidentified", "prospect", "new_buyer", "returning", "vip"}

// orderTimelines returns, per order-side customer id, its eligible orders (convertible amount)
// sorted by (created_at, id).
func (d *dataset) orderTimelines() [][]int32 {
	o := d.orders
	by := make([][]int32, len(o.Customers.Values))
	for i, c := range o.Customer {
		if c >= 0 && o.Amount[i] != store.Null {
			by[c] = append(by[c], int32(i))
		}
	}
	for _, list := range by {
		sort.Slice(list, func(a, b int) bool {
			x, y := list[a], list[b]
			if o.Created[x] != o.Created[y] {
				return o.Created[x] < o.Created[y]
			}
			return o.ID[x] < o.ID[y]
		})
	}
	return by
}

// segmentOf applies the segment rules to a customer's eligible orders so far.
func (d *dataset) segmentOf(key string, count int64, spent int64) int8 {
	s := d.e.settings
	if d.vipTagged[key] || (s.VIPMinSpent > 0 && spent >= s.VIPMinSpent) ||
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
func (d *dataset) segmentTickets() {
	t, o := d.tickets, d.orders
	lines := d.orderTimelines()
	d.ticketSeg = make([]int8, t.Len())
	for i, c := range t.Customer {
		if c < 0 {
			d.ticketSeg[i] = segUnidentified
			continue
		}
		key := t.Customers.Values[c]
		count, spent := d.prior(key)
		if oc := o.Customers.Lookup(key); oc >= 0 {
			at := d.ticketInstant(i)
			for _, oi := range lines[oc] {
				if o.Created[oi] >= at {
					break
				}
				count++
				spent += o.Amount[oi]
			}
		}
		d.ticketSeg[i] = d.segmentOf(key, count, spent)
	}
}

// classifyOrders marks each order new (its customer's first eligible order ever) or returning, and
// judges its segment as of the order, the order itself included. An order without customer is a new
// customer's order: nothing links it to an earlier one.
func (d *dataset) classifyOrders() {
	o := d.orders
	lines := d.orderTimelines()
	d.orderNew = make([]bool, o.Len())
	d.orderSeg = make([]int8, o.Len())
	for i, c := range o.Customer {
		if c < 0 {
			d.orderNew[i], d.orderSeg[i] = true, segUnidentified
		}
	}
	for c, list := range lines {
		key := o.Customers.Values[c]
		count, spent := d.prior(key)
		for pos, oi := range list {
			count++
			spent += o.Amount[oi]
			d.orderNew[oi] = count == 1 && pos == 0
			d.orderSeg[oi] = d.segmentOf(key, count, spent)
		}
	}
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
	t := d.tickets
	if t.Flags[i]&flagOut != 0 || t.FirstReply[i] == store.Null {
		return 0, false
	}
	return t.FirstReply[i] - t.Created[i], true
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

const (
	slaPending = iota // no reply yet, target not passed (or outbound): not counted
	slaMet            // first reply within target
	slaMissed         // late reply, or target passed unanswered
)

func (d *dataset) slaTarget(i int) int64 {
	name := "normal"
	if p := d.tickets.Priority[i]; p >= 0 {
		name = d.tickets.Priorities.Values[p]
	}
	target, ok := d.e.settings.SLATargets[name]
	if !ok {
		target = d.e.settings.SLATargets["normal"]
	}
	return target.Microseconds()
}

func (d *dataset) slaState(i int) int {
	t := d.tickets
	if t.Flags[i]&flagOut != 0 {
		return slaPending
	}
	target := d.slaTarget(i)
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
		return len(d.pairs.order)
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
