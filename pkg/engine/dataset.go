package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/supportops/grafana-support-analytics/pkg/models"
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
	// rowCredits: the tickets read as for pairs, credited later for a few rows only (rowCredits).
	rowCredits       bool
	surveys          bool
	surveyTicketDims bool // survey rows need their tickets (a dimension of the ticket)
	displays         bool
	orders           bool // the orders themselves (pairs alone stream them)
	lines            bool
	ticketSegments   bool        // the segment of every ticket read (ticket and pair rows)
	surveySegments   surveyBases // the segment of the tickets surveyed in range (survey rows)
	// firstOrders: ticket segments judged from each customer's first orders ever (an order rule caps
	// what matters), instead of the orders around the range and the history before it.
	firstOrders  bool
	orderHistory bool // first-order-ever and order segments
	participants bool
	// The message summaries of the tickets created, or closed, in range.
	messagesCreated, messagesClosed bool
	// rest, when set, makes the ticket read the tickets open at an instant that another read does
	// not hold, and those alone (the rest of a queue, Engine.Tickets).
	rest *store.RestRead
	// The message summaries of every ticket read (handled_by of credited pairs and surveys).
	messagesAll bool
	// answered: the computation's tickets are those with a response answered in range, and no
	// other ticket takes part in it (CSAT metrics by a ticket dimension, a drill-down on the
	// responded basis that credits its rows only). With a cache it reads them alone (answeredRead).
	answered bool
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

// dataset holds everything read for one range, and what is derived from it. Reads and what is derived
// from them alone are shared with the other queries through the cache: never modified.
type dataset struct {
	e        *Engine
	opts     options
	from, to int64 // micros
	now      int64

	tickets *store.Tickets
	tr      store.TicketRead // what tickets holds
	// creditRead, for a read of the tickets answered in range (needs.answered), is the read the other
	// panels of the refresh share: the drill-down rows' credits come from its tickets of their
	// customers (customerCredits).
	creditRead store.TicketRead
	msgs       *ticketMessages // nil unless messages were read
	surveys    *store.Surveys
	// The survey read's bounds: it holds every response sent or answered in [surveysFrom, surveysTo).
	surveysFrom, surveysTo time.Time
	surveyTkt              []int32
	displays               *store.Displays
	orders                 *store.Orders // nil unless needs.orders
	lines                  *store.Lines
	history                *store.History
	vipTagged              *tagged // nil without VIP tags

	pairs *pairs
	// The orders attribution reads: [creditLo, creditHi).
	creditLo, creditHi time.Time
	ticketSeg          []int8
	orderSeg           []int8
	orderNew           []bool
	unconv             *unconverted // orders left out for their currency
	rates              bool         // the order store has exchange_rates

	tagsOnce   sync.Once // readVIPTags
	tagsErr    error
	slaOnce    sync.Once
	slaTargets []int64 // by ticket priority id + 1 (slaTarget)

	mu    sync.Mutex
	reads []string // what was read, for ExecutedQueryString
}

// load reads what n asks for over [from, to).
func (e *Engine) load(ctx context.Context, from, to time.Time, o options, n needs) (*dataset, error) {
	d := &dataset{e: e, opts: o, from: from.UnixMicro(), to: to.UnixMicro(), now: e.now().UnixMicro()}
	// From here on from and to are the read bounds; rows are kept to [d.from, d.to) in Go.
	from, to = e.widen(from, to)
	w := time.Duration(0)
	answered := e.answeredRead(n)
	if n.pairs || n.rowCredits {
		w = o.window
		n.created = n.created || !answered
	}
	segments := n.ticketSegments || n.surveySegments.any()
	n.firstOrders = segments && historyCap(e.settings.VIPMinOrders) > 0
	segmentOrders := segments && !n.firstOrders // segments that count the orders around the range
	n.orders = n.orders || segmentOrders
	if e.cache != nil {
		// The queries of a dashboard ask for different subsets of the same rows: with a cache they all
		// read the same superset, once. Every computation keeps its own rows in Go.
		w = o.window
	}
	helpdesk := n.created || n.closed || (n.surveys && n.surveyTicketDims) || n.pairs || n.rowCredits
	// The orders attribution credits: a window around the range. Anchored at the close, a ticket of the
	// range credits orders up to its closing + window, or up to now while open (ticket basis), and an
	// order of the range may be credited to any ticket created before it that was still open, or closed
	// less than a window before it.
	lo, hi := from.Add(-w), to.Add(w)
	closedAnchor := (n.pairs || n.rowCredits) && o.anchor == models.AnchorClosed
	var horizon time.Time // with closedAnchor: the last closing that can matter, now + window
	if closedAnchor {
		now := e.now()
		if now.Before(to) {
			now = to
		}
		_, horizon = e.widen(now, now)
		horizon = horizon.Add(w)
		if o.dateBasis != "order" {
			hi = horizon
		}
	}
	// Orders read at once, beside the helpdesk, unless ticket segments need the tickets' instants first.
	early := n.orders && !segmentOrders
	var g group
	tr := e.ticketRead(from, to, w, n)
	if closedAnchor && n.rest == nil { // supersets of the ranges ticketRead gives: created from lo, closed in range
		tr.CreatedTo = hi
		tr.ClosedFrom, tr.ClosedTo, tr.Open = lo, horizon, true
	}
	// When another panel of the refresh reads the superset (or has), it serves this one too: no
	// second read to hold, and a drill-down takes the credits its attribution panels derive. (n.created
	// matters no more: with a cache the read is the superset whatever it says.)
	if answered && e.cache.holds(ticketsKey(tr)) {
		answered = false
	}
	if answered {
		// The tickets answered in range alone, not the superset the other panels of a refresh share:
		// the CSAT panels wait for a fifth of the tickets at 365 days. The rows a drill-down shows
		// are credited through the superset's tickets of their customers (customerCredits).
		d.creditRead = tr
		tr = store.TicketRead{CreatedFrom: from, CreatedTo: from, ClosedFrom: from, ClosedTo: from, SurveysFrom: &from, SurveysTo: &to,
			Answered: true}
	}
	d.tr = tr
	if helpdesk {
		g.run(func() (err error) {
			d.tickets, err = e.helpdesk.ReadTickets(ctx, tr)
			if q := tr.Rest; q != nil {
				d.read("tickets open at %s created before %s (the others open then are in the read of the range)",
					q.At.UTC().Format(time.RFC3339), q.Of.CreatedFrom.UTC().Format(time.RFC3339))
				return err
			}
			if tr.Answered {
				d.read("tickets with a CSAT response answered %s", span(from, to))
				return err
			}
			d.read("tickets created %s, closed %s%s%s", span(tr.CreatedFrom, tr.CreatedTo), span(tr.ClosedFrom, tr.ClosedTo),
				map[bool]string{true: ", open ones created before the end", false: ""}[tr.Open],
				map[bool]string{true: ", surveyed in range", false: ""}[tr.SurveysFrom != nil])
			return err
		})
	}
	if n.surveys {
		g.run(func() (err error) {
			d.surveys, err = e.helpdesk.ReadSurveys(ctx, from, to)
			d.surveysFrom, d.surveysTo = from, to
			d.read("csat_responses sent or answered %s", span(from, to))
			return err
		})
	}
	if n.displays {
		g.run(func() (err error) {
			d.displays, err = e.helpdesk.ReadDisplays(ctx, from, to)
			d.read("chat_displays %s", span(from, to))
			return err
		})
	}
	if early {
		g.run(func() error { return d.loadOrders(ctx, lo, hi, n) })
	}
	if n.firstOrders {
		g.run(func() error { return d.readVIPTags(ctx) })
	}
	if err := g.wait(); err != nil {
		return nil, err
	}
	// What needs the tickets: their messages, the orders credited to them, their segments.
	if n.messagesCreated || n.messagesClosed || n.participants || n.messagesAll {
		g.run(func() error { return d.loadMessages(ctx, from, to, n, tr) })
	}
	if n.surveys && helpdesk {
		g.run(func() (err error) {
			if d.surveyTkt, err = d.surveyTickets(ctx); err != nil || !n.firstOrders || n.ticketSegments {
				return err
			}
			// Only surveyed tickets need a segment: only their customers' first orders are read.
			d.ticketSeg, err = d.surveySegmentsByFirsts(ctx, n.surveySegments)
			return err
		})
	}
	if n.firstOrders && n.ticketSegments {
		g.run(func() (err error) { d.ticketSeg, err = d.ticketSegmentsByFirsts(ctx); return err })
	}
	if n.orders && !early {
		g.run(func() error {
			lo, hi := d.instantBounds(lo, hi)
			return d.loadOrders(ctx, lo, hi, n)
		})
	}
	if err := g.wait(); err != nil {
		return nil, err
	}
	d.creditLo, d.creditHi = lo, hi
	if n.pairs {
		if err := d.attribute(ctx, lo, hi); err != nil {
			return nil, err
		}
	}
	if segments && !n.firstOrders {
		if err := d.segmentTickets(ctx); err != nil {
			return nil, err
		}
	}
	if n.orderHistory {
		if err := d.classifyOrders(ctx); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// answeredRead says whether a computation of n may read the tickets answered in range alone: with a
// cache (without, every computation reads only what it needs anyway), when nothing but those tickets
// takes part in it. A drill-down that credits every ticket (pairs) needs every ticket of the
// attribution's range. load still reads the superset when the cache holds it or is reading it.
func (e *Engine) answeredRead(n needs) bool {
	return e.cache != nil && n.answered && n.surveys && n.rest == nil && !n.created && !n.closed && !n.pairs && !n.participants &&
		!n.orders && !n.displays && !n.messagesCreated && !n.messagesClosed
}

// ticketRead is the ticket read of a computation: those it needs, or with a cache the superset every
// computation of the range may need (window-widened creations, closings, surveys); or the rest of a
// queue (needs.rest).
func (e *Engine) ticketRead(from, to time.Time, w time.Duration, n needs) store.TicketRead {
	if n.rest != nil {
		return store.TicketRead{CreatedFrom: from, CreatedTo: from, ClosedFrom: from, ClosedTo: from, Rest: n.rest}
	}
	tr := store.TicketRead{CreatedFrom: from, CreatedTo: from, ClosedFrom: from, ClosedTo: from}
	if n.created || e.cache != nil {
		tr.CreatedFrom, tr.CreatedTo = from.Add(-w), to.Add(w)
	}
	if n.closed || e.cache != nil {
		tr.ClosedTo = to
	}
	if n.surveys || e.cache != nil {
		tr.SurveysFrom, tr.SurveysTo = &from, &to
	}
	return tr
}

// group runs functions concurrently and returns the first error.
type group struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs error
}

func (g *group) run(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.mu.Lock()
			if g.errs == nil {
				g.errs = err
			}
			g.mu.Unlock()
		}
	}()
}

func (g *group) wait() error {
	g.wg.Wait()
	err := g.errs
	g.errs = nil
	return err
}

// read notes what was read. Reads run concurrently: the list is kept sorted, so that the same query
// always tells the same story.
func (d *dataset) read(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := fmt.Sprintf(format, args...)
	i, _ := slices.BinarySearch(d.reads, s)
	d.reads = slices.Insert(d.reads, i, s)
}

func span(from, to time.Time) string {
	if !to.After(from) {
		return "(none)"
	}
	return "[" + from.UTC().Format(time.RFC3339) + ", " + to.UTC().Format(time.RFC3339) + ")"
}

// ticketIndex finds a ticket of the read by id. It is not kept: the few uses are themselves kept.
func (d *dataset) ticketIndex() *store.StringIndex { return d.tickets.ID.Index() }

// surveyTickets maps each survey to its ticket in the ticket read (-1: not read).
func (d *dataset) surveyTickets(ctx context.Context) ([]int32, error) {
	s := d.surveys
	return derive(ctx, s, keyOf("survey tickets", readID(d.tickets)), func(context.Context) ([]int32, error) {
		idx := d.ticketIndex()
		out := make([]int32, len(s.Ticket))
		for i, id := range s.Ticket {
			out[i] = idx.LookupString(id)
		}
		return out, nil
	})
}

// ticketMessages are message summaries by ticket index of a ticket read.
type ticketMessages struct {
	firstReply []int64
	flags      []uint8
	read       *store.Messages
	row        []int32 // ticket index -> row of read, -1 none
}

func (m *ticketMessages) participants(ti int32) []int32 {
	if r := m.row[ti]; r >= 0 {
		return m.read.Participants(int(r))
	}
	return nil
}

// loadMessages reads the message summaries of the tickets created or closed in range, or surveyed
// with their participants, or of every ticket of the ticket read tr; each read once per ticket read.
func (d *dataset) loadMessages(ctx context.Context, from, to time.Time, n needs, tr store.TicketRead) error {
	r := store.MessageRead{TicketRead: store.TicketRead{CreatedFrom: from, CreatedTo: from, ClosedFrom: from, ClosedTo: from},
		Participants: n.participants}
	if n.messagesCreated {
		r.CreatedTo = to
	}
	if n.messagesClosed {
		r.ClosedTo = to
	}
	if n.participants {
		r.SurveysFrom, r.SurveysTo = &from, &to
	}
	t := d.tickets
	// With a cache every query of the ticket read reads the messages of all its tickets: one read
	// the panels of a refresh share (those of the tickets created in range and those closed in it
	// are nearly the same tickets), whatever each needs.
	all := n.messagesAll || (d.e.cache != nil && !n.participants)
	if all {
		// The tickets of the ticket read: its ranges, and the tickets it listed apart from them by id,
		// without listing them again.
		r.TicketRead, r.IDs = tr, t.Listed
		if tr.Answered || tr.Customers != nil { // read by a statement of its own: every ticket is listed
			r.TicketRead = store.TicketRead{CreatedFrom: from, CreatedTo: from, ClosedFrom: from, ClosedTo: from}
		}
		r.SurveysFrom, r.SurveysTo, r.Rest = nil, nil, nil
	}
	// First replies count on the creation basis only; a read of all the tickets has them for every
	// query that shares it.
	firstReplies := n.messagesCreated || all
	var err error
	key := keyOf("messages", r.CreatedFrom, r.CreatedTo, r.ClosedFrom, r.ClosedTo, r.Open, r.SurveysFrom != nil, r.Participants,
		all, firstReplies)
	d.msgs, err = derive(ctx, t, key, func(ctx context.Context) (*ticketMessages, error) {
		idx := d.ticketIndex()
		out := &ticketMessages{flags: make([]uint8, t.Len())}
		if firstReplies {
			out.firstReply = make([]int64, t.Len())
			for i := range out.firstReply {
				out.firstReply[i] = store.Null
			}
		}
		if !r.Participants {
			// Each row into the summaries as it arrives: a year's million rows are never held.
			err := d.e.helpdesk.ScanMessages(ctx, r, func(ticket []byte, firstReply int64, flags uint8) {
				ti := idx.LookupBytes(ticket)
				if ti < 0 {
					return // a ticket created since the ticket read
				}
				out.flags[ti] = flags
				if out.firstReply != nil {
					out.firstReply[ti] = firstReply
				}
			})
			return out, err
		}
		m, err := d.e.helpdesk.ReadMessages(ctx, r)
		if err != nil {
			return nil, err
		}
		out.read, out.row = m, make([]int32, t.Len()) // the participants of each ticket
		for i := range out.row {
			out.row[i] = -1
		}
		for i := range m.Len() {
			ti := idx.LookupString(m.Ticket.At(i))
			if ti < 0 {
				continue // a ticket created since the ticket read
			}
			out.flags[ti] = m.Flags[i]
			if out.firstReply != nil {
				out.firstReply[ti] = m.FirstReply[i]
			}
			out.row[ti] = int32(i)
		}
		return out, nil
	})
	d.read("messages of the tickets created %s, closed %s%s%s", span(r.CreatedFrom, r.CreatedTo), span(r.ClosedFrom, r.ClosedTo),
		map[bool]string{true: ", open ones created before the end", false: ""}[r.Open],
		map[bool]string{true: ", surveyed in range, with participants", false: ""}[r.Participants])
	if all {
		d.read("messages of the %d other tickets of the ticket read, by id", len(r.IDs))
	}
	return err
}

// instantBounds widens [lo, hi) to every instant a ticket's segment is judged at.
func (d *dataset) instantBounds(lo, hi time.Time) (time.Time, time.Time) {
	if d.tickets == nil {
		return lo, hi
	}
	l, h := lo.UnixMicro(), hi.UnixMicro()
	for i := range d.tickets.Len() {
		at := d.ticketInstant(i)
		l, h = min(l, at), max(h, at+1)
	}
	return time.UnixMicro(l).UTC(), time.UnixMicro(h).UTC()
}

// loadOrders reads the orders of [lo, hi), and each customer's history before lo when segments or
// first orders need it.
func (d *dataset) loadOrders(ctx context.Context, lo, hi time.Time, n needs) error {
	e := d.e
	r := store.OrderRead{From: lo, To: hi, Excluded: e.settings.ExcludedStatuses, Currency: e.settings.Currency}
	var err error
	if d.orders, err = e.orders.ReadOrders(ctx, r); err != nil {
		return err
	}
	d.read("orders %s", span(lo, hi))
	if n.lines {
		// The lines point into this orders read: they are kept on it.
		orders := d.orders
		d.lines, err = derive(ctx, orders, keyOf("lines", r.From, r.To, r.Excluded, r.Currency), func(ctx context.Context) (*store.Lines, error) {
			return e.orders.ReadLines(ctx, r, orders)
		})
		if err != nil {
			return err
		}
		d.read("order_lines of those orders")
	}
	if err := d.readRates(ctx); err != nil {
		return err
	}
	o := d.orders
	d.unconv = &unconverted{currencies: o.Currencies}
	for i, a := range o.Amount {
		if a == store.Null {
			d.unconv.add(o.Created[i], o.Currency[i])
		}
	}
	ticketHistory := n.ticketSegments && !n.firstOrders
	if !ticketHistory && !n.orderHistory {
		return nil
	}
	// The customers whose history is read: a sorted list, built once per read for every query sharing it.
	var tickets *store.Tickets
	if ticketHistory {
		tickets = d.tickets
	}
	list, err := derive(ctx, o, keyOf("history keys", readID(tickets), n.orderHistory), func(context.Context) ([]string, error) {
		return historyKeys(tickets, o, n.orderHistory), nil
	})
	if err != nil {
		return err
	}
	capOrders := historyCap(e.settings.VIPMinOrders)
	if d.history, err = e.orders.ReadHistory(ctx, lo, list, e.settings.ExcludedStatuses, e.settings.Currency, capOrders); err != nil {
		return err
	}
	if capOrders > 0 {
		d.read("order history before %s of %d customers, up to %d orders each", lo.UTC().Format(time.RFC3339), len(list), capOrders)
	} else {
		d.read("order history before %s of %d customers", lo.UTC().Format(time.RFC3339), len(list))
	}
	return d.readVIPTags(ctx)
}

// historyKeys are the customers of tickets (nil: none) and, with orders, of o: sorted, each once.
func historyKeys(tickets *store.Tickets, o *store.Orders, orders bool) []string {
	keys := map[string]struct{}{}
	if tickets != nil {
		for _, c := range tickets.Customer {
			if c >= 0 {
				keys[tickets.Customers.Values[c]] = struct{}{}
			}
		}
	}
	if orders {
		for _, k := range o.Customers.Values {
			keys[k] = struct{}{}
		}
	}
	list := make([]string, 0, len(keys))
	for k := range keys {
		list = append(list, k)
	}
	sort.Strings(list)
	return list
}

// historyCap is how many of a customer's earlier orders segments and first orders need: a customer
// is new with none, a new buyer with one, returning with two or more, and VIP at vipMinOrders
// whatever it spent. Counting further changes no segment, and spending matters only below the cap,
// where every order is counted. Without an order rule (vipMinOrders 0) the spending rule needs every
// order: no cap (0).
func historyCap(vipMinOrders int) int {
	if vipMinOrders <= 0 {
		return 0
	}
	return max(vipMinOrders, 2)
}

func (d *dataset) readRates(ctx context.Context) (err error) {
	d.rates, err = d.e.orders.Has(ctx, "exchange_rates")
	return err
}

// tagged is the read of the customers carrying one of the VIP tags.
type tagged struct {
	store.Derived
	keys map[string]bool
}

// isTagged reports whether customer key carries a VIP tag.
func (d *dataset) isTagged(key string) bool { return d.vipTagged != nil && d.vipTagged.keys[key] }

// readVIPTags reads the customers carrying a VIP tag into d.vipTagged, once per dataset however
// many of its reads ask (they may run concurrently).
func (d *dataset) readVIPTags(ctx context.Context) error {
	d.tagsOnce.Do(func() { d.tagsErr = d.readVIPTagsOnce(ctx) })
	return d.tagsErr
}

func (d *dataset) readVIPTagsOnce(ctx context.Context) (err error) {
	e, tags := d.e, d.e.settings.VIPTags
	if len(tags) == 0 {
		return nil
	}
	read := func(ctx context.Context) (*tagged, error) {
		keys, err := e.orders.ReadTaggedCustomers(ctx, tags)
		return &tagged{keys: keys}, err
	}
	if e.cache != nil {
		d.vipTagged, err = cached(ctx, e.cache, keyOf("tagged", tags), read)
	} else {
		d.vipTagged, err = read(ctx)
	}
	if err != nil {
		return err
	}
	d.read("customers tagged %s", strings.Join(tags, ", "))
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

// unconverted are the orders whose currency could not be converted: their instants and currencies.
type unconverted struct {
	at         []int64
	currency   []int32
	count      []int64 // with slots: how many orders at[i] stands for; nil: one each
	currencies *store.Dict
}

func (u *unconverted) add(at int64, currency int32) {
	u.at = append(u.at, at)
	u.currency = append(u.currency, currency)
}

// addN records n orders at once (each row counts one unless addN is used throughout).
func (u *unconverted) addN(at int64, currency int32, n int64) {
	u.add(at, currency)
	u.count = append(u.count, n)
}

// excludedNotice says which orders of the range were left out for their currency.
func (d *dataset) excludedNotice() string {
	if d.unconv == nil {
		return ""
	}
	excluded := map[string]int64{}
	total := int64(0)
	for i, at := range d.unconv.at {
		if at >= d.from && at < d.to {
			n := int64(1)
			if d.unconv.count != nil {
				n = d.unconv.count[i]
			}
			excluded[d.nameOr(d.unconv.currencies, d.unconv.currency[i])] += n
			total += n
		}
	}
	if total == 0 {
		return ""
	}
	var curs []string
	for c, n := range excluded {
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
