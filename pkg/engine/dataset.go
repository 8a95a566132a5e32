package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/store"
)

const (
	flagAgent = store.HasAgentMessage
	flagBot   = store.HasBotMessage
	flagRule  = store.HasRuleMessage
	flagOut   = store.Outbound
)

// needs is what a computation reads.
type needs struct {
	created, closed bool // ticket time bases
	pairs           bool
	surveys         bool
	displays        bool
	orders          bool
	lines           bool
	ticketSegments  bool
	orderHistory    bool // first-order-ever and order segments
	participants    bool
	messages        bool // the tickets' message summary
}

func (n *needs) addFacts(f factKind, b basis) {
	switch f {
	case factTicket:
		if b == basisClosed {
			n.closed = true
		} else {
			n.created = true
		}
	case factPair:
		n.pairs = true
	case factSurvey:
		n.surveys = true
	case factDisplay:
		n.displays = true
	case factOrder:
		n.orders = true
	case factLine:
		n.orders, n.lines = true, true
	}
}

// dataset holds everything read for one range, and what is derived from it.
type dataset struct {
	e        *Engine
	opts     options
	from, to int64 // micros
	now      int64

	tickets   *store.Tickets
	ticketIdx map[string]int32
	surveys   *store.Surveys
	surveyTkt []int32
	displays  *store.Displays
	orders    *store.Orders
	lines     *store.Lines
	history   *store.History
	vipTagged map[string]bool

	pairs     pairs
	ticketSeg []int8
	orderSeg  []int8
	orderNew  []bool
	excluded  map[string]int // unconvertible orders in range by currency

	mu    sync.Mutex
	reads []string // what was read, for ExecutedQueryString
	rates bool     // the order store has exchange_rates
}

// load reads what n asks for over [from, to).
func (e *Engine) load(ctx context.Context, from, to time.Time, o options, n needs) (*dataset, error) {
	d := &dataset{e: e, opts: o, from: from.UnixMicro(), to: to.UnixMicro(), now: e.now().UnixMicro()}
	// From here on from and to are the read bounds; rows are kept to [d.from, d.to) in Go.
	from, to = e.widen(from, to)
	w := time.Duration(0)
	if n.pairs {
		w = o.window
		n.created = true
	}
	if n.pairs || n.orders || n.ticketSegments {
		n.orders = n.orders || n.pairs || n.ticketSegments
	}
	helpdesk := n.created || n.closed || n.surveys || n.pairs
	var wg sync.WaitGroup
	var errs [3]error
	if helpdesk {
		tr := store.TicketRead{CreatedFrom: from, CreatedTo: from, ClosedFrom: from, ClosedTo: from, Participants: n.participants, Messages: n.messages || n.participants}
		if n.created {
			tr.CreatedFrom, tr.CreatedTo = from.Add(-w), to.Add(w)
		}
		if n.closed {
			tr.ClosedTo = to
		}
		if n.surveys {
			tr.SurveysFrom, tr.SurveysTo = &from, &to
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.tickets, errs[0] = e.helpdesk.ReadTickets(ctx, tr)
			d.read("tickets created %s, closed %s%s", span(tr.CreatedFrom, tr.CreatedTo), span(tr.ClosedFrom, tr.ClosedTo),
				map[bool]string{true: ", surveyed in range", false: ""}[n.surveys])
		}()
	}
	if n.surveys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.surveys, errs[1] = e.helpdesk.ReadSurveys(ctx, from, to)
			d.read("csat_responses sent or answered %s", span(from, to))
		}()
	}
	if n.displays {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.displays, errs[2] = e.helpdesk.ReadDisplays(ctx, from, to)
			d.read("chat_displays %s", span(from, to))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if d.tickets != nil {
		d.ticketIdx = make(map[string]int32, d.tickets.Len())
		for i, id := range d.tickets.ID {
			d.ticketIdx[id] = int32(i)
		}
	}
	if d.surveys != nil {
		d.surveyTkt = make([]int32, len(d.surveys.Ticket))
		for i, id := range d.surveys.Ticket {
			t, ok := d.ticketIdx[id]
			if !ok {
				t = -1
			}
			d.surveyTkt[i] = t
		}
	}
	if n.orders {
		if err := d.loadOrders(ctx, from, to, w, n); err != nil {
			return nil, err
		}
	}
	if n.pairs {
		d.attribute()
	}
	if n.ticketSegments {
		d.segmentTickets()
	}
	if n.orderHistory {
		d.classifyOrders()
	}
	return d, nil
}

func (d *dataset) read(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reads = append(d.reads, fmt.Sprintf(format, args...))
}

func span(from, to time.Time) string {
	if !to.After(from) {
		return "(none)"
	}
	return "[" + from.UTC().Format(time.RFC3339) + ", " + to.UTC().Format(time.RFC3339) + ")"
}

// loadOrders reads the orders the computation needs: the range, widened by the attribution window on
// both sides for attribution and to every instant a ticket's segment is judged at; plus each
// customer's history before that.
func (d *dataset) loadOrders(ctx context.Context, from, to time.Time, w time.Duration, n needs) error {
	e := d.e
	lo, hi := from.Add(-w), to.Add(w)
	if n.ticketSegments && d.tickets != nil {
		for i := range d.tickets.ID {
			at := time.UnixMicro(d.ticketInstant(i))
			if at.Before(lo) {
				lo = at
			}
			if !at.Before(hi) {
				hi = at.Add(time.Microsecond)
			}
		}
	}
	r := store.OrderRead{From: lo, To: hi, Excluded: e.settings.ExcludedStatuses, Currency: e.settings.Currency}
	var err error
	if d.orders, err = e.orders.ReadOrders(ctx, r); err != nil {
		return err
	}
	d.read("orders %s", span(lo, hi))
	if n.lines {
		if d.lines, err = e.orders.ReadLines(ctx, r, d.orders); err != nil {
			return err
		}
		d.read("order_lines of those orders")
	}
	if d.rates, err = e.orders.Has(ctx, "exchange_rates"); err != nil {
		return err
	}
	d.excluded = map[string]int{}
	for i, a := range d.orders.Amount {
		if a == store.Null && d.orders.Created[i] >= d.from && d.orders.Created[i] < d.to {
			d.excluded[d.nameOr(d.orders.Currencies, d.orders.Currency[i])]++
		}
	}
	if !n.ticketSegments && !n.orderHistory {
		return nil
	}
	keys := map[string]struct{}{}
	if n.ticketSegments {
		for _, c := range d.tickets.Customer {
			if c >= 0 {
				keys[d.tickets.Customers.Values[c]] = struct{}{}
			}
		}
	}
	if n.orderHistory {
		for _, k := range d.orders.Customers.Values {
			keys[k] = struct{}{}
		}
	}
	list := make([]string, 0, len(keys))
	for k := range keys {
		list = append(list, k)
	}
	sort.Strings(list)
	if d.history, err = e.orders.ReadHistory(ctx, lo, list, e.settings.ExcludedStatuses, e.settings.Currency); err != nil {
		return err
	}
	d.read("order history before %s of %d customers", lo.UTC().Format(time.RFC3339), len(list))
	if len(e.settings.VIPTags) > 0 && (n.ticketSegments || n.orderHistory) {
		if d.vipTagged, err = e.orders.ReadTaggedCustomers(ctx, e.settings.VIPTags); err != nil {
			return err
		}
		d.read("customers tagged %s", strings.Join(e.settings.VIPTags, ", "))
	}
	return nil
}

func (d *dataset) nameOr(dict *store.Dict, id int32) string {
	if id < 0 {
		return "(none)"
	}
	return dict.Values[id]
}

// ticketInstant is when a ticket's segment is judged: its closing, or its creation while open.
func (d *dataset) ticketInstant(i int) int64 {
	if c := d.tickets.Closed[i]; c != store.Null {
		return c
	}
	return d.tickets.Created[i]
}

// excludedNotice says which orders were left out for their currency.
func (d *dataset) excludedNotice() string {
	if len(d.excluded) == 0 {
		return ""
	}
	total := 0
	var curs []string
	for c, n := range d.excluded {
		total += n
		curs = append(curs, fmt.Sprintf("%s (%d)", c, n))
	}
	sort.Strings(curs)
	how := "add an exchange_rates(currency, day, rate) relation to the order store to convert them"
	if d.rates {
		how = "exchange_rates has no rate for their day"
	}
	orders := "orders"
	if total == 1 {
		orders = "order"
	}
	return fmt.Sprintf("%d %s in a currency other than %s left out: %s; %s",
		total, orders, d.e.settings.Currency, strings.Join(curs, ", "), how)
}
