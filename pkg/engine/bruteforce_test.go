package engine_test

// A deliberately naive reference of SPEC 5, written from the SPEC alone (not from the engine): every
// number is recomputed with nested loops over the whole data set, strings and time.Time, so that it
// shares no code or shortcut with the engine. property_test.go compares the two on random data.

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

type bfTicket struct {
	ID, Key                           string // Key "" = NULL (unidentified visitor)
	Channel, Project, Topic, Priority string // Topic "" = NULL
	Tags                              []string
	Created                           time.Time
	Closed                            *time.Time
	Agent                             string // closing agent, "" = NULL
}

type bfMessage struct {
	Ticket      string
	Sent        time.Time
	Kind, Agent string
}

type bfSurvey struct {
	Ticket    string
	Sent      time.Time
	Responded *time.Time
	Score     int    // 0 = NULL (not answered)
	Agent     string // "" = NULL
}

type bfCustomer struct {
	Key     string
	Created time.Time
	Tags    []string
}

type bfOrder struct {
	ID, Key  string // Key "" = NULL (docs/METRICS.md: a new customer of its own)
	Created  time.Time
	Status   string
	Cents    int64
	Currency string
	Project  string // "" = NULL
}

type bfLine struct {
	Order, Product string
	Qty            int
	Cents          int64
}

type bfRate struct {
	Currency, Day string // Day: YYYY-MM-DD
	Rate          int64  // in 1/10000
}

type bfData struct {
	Customers []bfCustomer
	Tickets   []bfTicket
	Messages  []bfMessage
	Surveys   []bfSurvey
	Orders    []bfOrder
	Lines     []bfLine
	Rates     []bfRate
}

// bfConfig is the part of the settings the reference needs (the SPEC 3 defaults unless a seed
// changes them).
type bfConfig struct {
	Currency     string
	Excluded     []string
	VIPMinSpent  int64 // whole currency units
	VIPMinOrders int
	VIPTags      []string
	SLA          map[string]time.Duration
	Now          time.Time
	Model        string // attributionModel setting
	Anchor       string // attributionAnchor setting
	Hours        bfHours
	SLAClock     string // the slaClock setting: calendar | business
}

// bfHours are the team's opening hours (SPEC 5.3b): per weekday, [start, end) in seconds after the
// local midnight; holidays are local dates.
type bfHours struct {
	Loc      *time.Location
	Week     map[time.Weekday][][2]int
	Holidays []string
}

// open reports whether the team's wall clock at instant at shows an opening hour of a working day.
func (h bfHours) open(at time.Time) bool {
	w := at.In(h.Loc)
	if slices.Contains(h.Holidays, w.Format("2006-01-02")) {
		return false
	}
	sec := w.Hour()*3600 + w.Minute()*60 + w.Second()
	for _, iv := range h.Week[w.Weekday()] {
		if sec >= iv[0] && sec < iv[1] {
			return true
		}
	}
	return false
}

// bfQuery is one query as the reference sees it.
type bfQuery struct {
	Metrics  []string
	GroupBy  []string
	Filters  map[string][]string // dimension key -> accepted values
	Excluded map[string][]string // dimension key -> excluded values (ad hoc filters !=|)
	Window   time.Duration
	Model    string // last_touch | first_touch | linear
	Anchor   string // created | closed
	Basis    string // ticket | order
	Loc      *time.Location
	Interval string // hour | day | week
	From, To time.Time
	Defaults bool   // leave attribution and time zone to the settings (which the fields above then hold)
	Limit    int    // drill-down row limit, 0 for the default
	SLAClock string // the query's slaClock, "" for the setting's
}

type bfRef struct {
	d   *bfData
	cfg bfConfig
	// memo caches pure functions of the data (dimensions of an item, credited pairs), only to keep
	// the nested loops fast enough to run on every test run.
	memo map[string]any
}

func bfMemo[T any](r *bfRef, key string, compute func() T) T {
	if v, ok := r.memo[key]; ok {
		return v.(T)
	}
	if r.memo == nil {
		r.memo = map[string]any{}
	}
	v := compute()
	r.memo[key] = v
	return v
}

// Money is kept in 1/10000 of the shop currency (the rounding unit of conversions).
const bfMoneyScale = 10000

// amount returns an order's amount in the shop currency and whether the order is eligible (SPEC 5.2,
// 5.7): a counted status and a handled currency. A foreign amount is converted with the rate of the
// order's UTC day and rounded half up to 0.0001.
func (r *bfRef) amount(o bfOrder) (int64, bool) {
	if slices.Contains(r.cfg.Excluded, o.Status) {
		return 0, false
	}
	if o.Currency == r.cfg.Currency {
		return o.Cents * 100, true
	}
	day := o.Created.UTC().Format("2006-01-02")
	for _, rt := range r.d.Rates {
		if rt.Currency == o.Currency && rt.Day == day {
			micro := o.Cents * rt.Rate // cents x 1/10000 = 1/1000000
			return (micro + 50) / 100, true
		}
	}
	return 0, false
}

func (r *bfRef) eligible(o bfOrder) bool {
	_, ok := r.amount(o)
	return ok
}

func (r *bfRef) ticket(id string) bfTicket {
	for _, t := range r.d.Tickets {
		if t.ID == id {
			return t
		}
	}
	panic("no ticket " + id)
}

// matches: ticket t matches eligible order o (SPEC 5.2, issue 12 item 2): same customer (not NULL),
// t.created_at <= o.created_at, and o.created_at before the end of t's window: t.created_at + window
// (anchor created), t.closed_at + window (anchor closed), no end while t is open (anchor closed:
// docs/METRICS.md, the conversation is still going on).
func (r *bfRef) matches(t bfTicket, o bfOrder, q bfQuery) bool {
	if t.Key == "" || t.Key != o.Key || o.Created.Before(t.Created) {
		return false
	}
	if q.Anchor == "closed" {
		return t.Closed == nil || o.Created.Before(t.Closed.Add(q.Window))
	}
	return o.Created.Before(t.Created.Add(q.Window))
}

// bfCredit is one ticket's credit for an order: the money (1/10000 units) and the share of the order.
type bfCredit struct {
	ticket string
	money  int64
	share  float64
}

// credits: who an eligible order is credited to. last/first touch: the whole order to one ticket;
// linear (issue 12 item 3): every matching ticket gets 1/n of the order, the money split in cents
// (1/10000 units when the amount has sub-cent digits) by the largest-remainder method: every quota
// is total/n, so every remainder ties and the leftover cents go one each to the earliest tickets
// (created_at, then id), as docs/METRICS.md says.
func (r *bfRef) credits(o bfOrder, q bfQuery) []bfCredit {
	amt, ok := r.amount(o)
	if !ok {
		return nil
	}
	var matched []bfTicket
	for _, t := range r.d.Tickets {
		if r.matches(t, o, q) {
			matched = append(matched, t)
		}
	}
	if len(matched) == 0 {
		return nil
	}
	if q.Model != "linear" {
		best := matched[0]
		for _, t := range matched[1:] {
			if r.better(t, best, q.Model) {
				best = t
			}
		}
		return []bfCredit{{best.ID, amt, 1}}
	}
	sort.Slice(matched, func(i, j int) bool {
		a, b := matched[i], matched[j]
		return a.Created.Before(b.Created) || (a.Created.Equal(b.Created) && a.ID < b.ID)
	})
	unit := int64(100)
	if amt%100 != 0 {
		unit = 1
	}
	n := int64(len(matched))
	total := amt / unit // the generator's amounts are positive
	var out []bfCredit
	given := int64(0)
	for i, t := range matched {
		part := total / n
		if int64(i) < total%n {
			part++
		}
		given += part
		out = append(out, bfCredit{t.ID, part * unit, 1 / float64(n)})
	}
	if given != total {
		panic("the reference's split does not add up")
	}
	return out
}

func (r *bfRef) better(a, b bfTicket, model string) bool {
	if model == "first_touch" {
		return a.Created.Before(b.Created) || (a.Created.Equal(b.Created) && a.ID < b.ID)
	}
	return a.Created.After(b.Created) || (a.Created.Equal(b.Created) && a.ID > b.ID)
}

// segmentAt applies SPEC 5.4 to a customer at an instant: only eligible orders strictly before it.
func (r *bfRef) segmentAt(key string, at time.Time) string {
	return r.segmentOf(key, func(o bfOrder) bool { return o.Created.Before(at) })
}

// segmentOf applies the segment rules to a customer's eligible orders that pass counted.
func (r *bfRef) segmentOf(key string, counted func(bfOrder) bool) string {
	if key == "" {
		return "unidentified"
	}
	count, spent := 0, int64(0)
	for _, o := range r.d.Orders {
		if a, ok := r.amount(o); ok && o.Key == key && counted(o) {
			count++
			spent += a
		}
	}
	vipTag := false
	for _, c := range r.d.Customers {
		if c.Key == key {
			for _, tag := range c.Tags {
				vipTag = vipTag || slices.Contains(r.cfg.VIPTags, tag)
			}
		}
	}
	switch {
	case vipTag || (r.cfg.VIPMinSpent > 0 && spent >= r.cfg.VIPMinSpent*bfMoneyScale) ||
		(r.cfg.VIPMinOrders > 0 && count >= r.cfg.VIPMinOrders): // a criterion set to 0 is disabled
		return "vip"
	case count == 0:
		return "prospect"
	case count == 1:
		return "new_buyer"
	}
	return "returning"
}

func (r *bfRef) orderSegment(o bfOrder) string {
	return r.segmentOf(o.Key, func(p bfOrder) bool {
		return p.Created.Before(o.Created) || (p.Created.Equal(o.Created) && p.ID <= o.ID)
	})
}

func (r *bfRef) ticketSegment(t bfTicket) string {
	if t.Closed != nil {
		return r.segmentAt(t.Key, *t.Closed)
	}
	return r.segmentAt(t.Key, t.Created)
}

// isNew: the order is its customer's first eligible order ever, in (created_at, id) order; an
// order without customer_key always is (docs/METRICS.md).
func (r *bfRef) isNew(o bfOrder) bool {
	if !r.eligible(o) {
		return false
	}
	if o.Key == "" {
		return true
	}
	for _, p := range r.d.Orders {
		if p.Key == o.Key && r.eligible(p) && (p.Created.Before(o.Created) || (p.Created.Equal(o.Created) && p.ID < o.ID)) {
			return false
		}
	}
	return true
}

// firstResponse: seconds to the first agent message at or after created_at; ok is false for
// outbound tickets (the earliest message is an agent's) and tickets without an agent reply. The
// generator never puts two messages at a ticket's earliest instant, so "earliest" is unambiguous.
func (r *bfRef) firstResponse(t bfTicket) (secs float64, replied, outbound bool) {
	var earliest *bfMessage
	var reply *time.Time
	for i, m := range r.d.Messages {
		if m.Ticket != t.ID {
			continue
		}
		if earliest == nil || m.Sent.Before(earliest.Sent) {
			earliest = &r.d.Messages[i]
		}
		if m.Kind == "agent" && !m.Sent.Before(t.Created) && (reply == nil || m.Sent.Before(*reply)) {
			s := m.Sent
			reply = &s
		}
	}
	if earliest != nil && earliest.Kind == "agent" {
		return 0, false, true
	}
	if reply == nil {
		return 0, false, false
	}
	return reply.Sub(t.Created).Seconds(), true, false
}

// business is the time in [from, to) during which the team was open, in seconds: every generated
// instant and opening boundary is on a whole minute, so reading the wall clock once a minute is exact.
func (r *bfRef) business(from, to time.Time) float64 {
	return bfMemo(r, fmt.Sprint("business ", from.Unix(), " ", to.Unix()), func() float64 {
		n := 0
		for m := from; m.Before(to); m = m.Add(time.Minute) {
			if r.cfg.Hours.open(m) {
				n++
			}
		}
		return float64(n * 60)
	})
}

// handledBy: who answered the ticket, from the kinds of its messages.
func (r *bfRef) handledBy(t bfTicket) string {
	kinds := r.messageKinds(t)
	auto, human := kinds["bot"] || kinds["rule"], kinds["agent"]
	switch {
	case auto && human:
		return "mixed"
	case auto:
		return "automated"
	case human:
		return "human"
	}
	return "unanswered"
}

func (r *bfRef) messageKinds(t bfTicket) map[string]bool {
	kinds := map[string]bool{}
	for _, m := range r.d.Messages {
		if m.Ticket == t.ID {
			kinds[m.Kind] = true
		}
	}
	return kinds
}

func bfAgentLabel(t bfTicket) string {
	switch {
	case t.Closed == nil:
		return "(open)"
	case t.Agent == "":
		return "(none)"
	}
	return t.Agent
}

func bfOr(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func (r *bfRef) ticketDims(t bfTicket) map[string][]string {
	return bfMemo(r, "ticket "+t.ID, func() map[string][]string { return r.computeTicketDims(t) })
}

func (r *bfRef) computeTicketDims(t bfTicket) map[string][]string {
	tags := t.Tags
	if len(tags) == 0 {
		tags = []string{"(none)"}
	}
	return map[string][]string{
		"agent": {bfAgentLabel(t)}, "channel": {t.Channel}, "project": {t.Project},
		"topic": {bfOr(t.Topic, "(none)")}, "tag": tags, "priority": {t.Priority},
		"segment": {r.ticketSegment(t)}, "handled_by": {r.handledBy(t)},
	}
}

// surveyDims: the ticket's dimensions, with the CSAT agent rule (closing_agent credit): the
// survey's own agent when set, else the ticket's closing agent.
func (r *bfRef) surveyDims(s bfSurvey) map[string][]string {
	return bfMemo(r, "survey "+s.Ticket+s.Sent.String(), func() map[string][]string { return r.computeSurveyDims(s) })
}

func (r *bfRef) computeSurveyDims(s bfSurvey) map[string][]string {
	dims := maps.Clone(r.ticketDims(r.ticket(s.Ticket)))
	if s.Agent != "" {
		dims["agent"] = []string{s.Agent}
	}
	return dims
}

// orderDims. Decision (SPEC ambiguity, matched to the engine): an order's segment counts the
// customer's eligible orders up to and including itself, in (created_at, id) order, so that a
// first order is a new_buyer's, not a prospect's; a NULL project is "(none)" like a missing topic.
func (r *bfRef) orderDims(o bfOrder) map[string][]string {
	return bfMemo(r, "order "+o.ID, func() map[string][]string { return r.computeOrderDims(o) })
}

func (r *bfRef) computeOrderDims(o bfOrder) map[string][]string {
	ct := "returning"
	if r.isNew(o) {
		ct = "new"
	}
	return map[string][]string{
		"project": {bfOr(o.Project, "(none)")}, "segment": {r.orderSegment(o)},
		"customer_type": {ct}, "currency": {o.Currency},
	}
}

// bfCell is one (group, bucket) of a result: dimension labels and the instants it covers.
type bfCell struct {
	labels   map[string]string
	from, to time.Time
}

func (c bfCell) has(at time.Time) bool { return !at.Before(c.from) && at.Before(c.to) }

// selects: the item passes the query's filters (any of its values listed, for each key) and carries
// the cell's labels. Decision (SPEC is silent; TestSpecTagDimension fixes it): a filter also
// restricts the groups of its own dimension, so a ticket tagged billing and urgent, filtered on
// billing and grouped by tag, counts under billing only.
func (c bfCell) selects(q bfQuery, dims map[string][]string) bool {
	for key, accepted := range q.Filters {
		ok := false
		for _, v := range dims[key] {
			ok = ok || slices.Contains(accepted, v)
		}
		if !ok {
			return false
		}
	}
	// An excluding ad hoc filter leaves the item out when any of its values is excluded.
	for key, excluded := range q.Excluded {
		for _, v := range dims[key] {
			if slices.Contains(excluded, v) {
				return false
			}
		}
	}
	for key, label := range c.labels {
		if accepted, filtered := q.Filters[key]; filtered && !slices.Contains(accepted, label) {
			return false
		}
		if !slices.Contains(dims[key], label) {
			return false
		}
	}
	return true
}

// bfPair is a credited (ticket, order) pair, with the ticket's money and share of the order.
type bfPair struct {
	t     bfTicket
	o     bfOrder
	money int64
	share float64
}

func (r *bfRef) pairs(q bfQuery) []bfPair {
	return bfMemo(r, fmt.Sprint("pairs ", q.Window, q.Model, q.Anchor), func() []bfPair { return r.computePairs(q) })
}

func (r *bfRef) computePairs(q bfQuery) []bfPair {
	var out []bfPair
	for _, o := range r.d.Orders {
		for _, c := range r.credits(o, q) {
			out = append(out, bfPair{r.ticket(c.ticket), o, c.money, c.share})
		}
	}
	return out
}

func (p bfPair) at(q bfQuery) time.Time {
	if q.Basis == "order" {
		return p.o.Created
	}
	return p.t.Created
}

// bfAgg collects what one metric needs in one cell.
type bfAgg struct {
	n, num   int     // item count and numerator count
	shares   float64 // order shares of the credited pairs (1 each, 1/n with the linear model)
	money    int64
	samples  []float64
	distinct map[string]bool
	any      bool // some item fell in the cell (the engine must show the group)
}

// value computes one metric in one cell. It returns nil for "nothing to divide by".
func (r *bfRef) value(metric string, q bfQuery, c bfCell) (*float64, bool) {
	a := &bfAgg{distinct: map[string]bool{}}
	den := &bfAgg{distinct: map[string]bool{}}
	switch metric {
	case "tickets", "billable_tickets", "first_response_seconds_p50", "first_response_seconds_p90", "first_response_sla_rate",
		"first_response_business_seconds_p50", "first_response_business_seconds_p90":
		r.createdTickets(metric, q, c, a)
	case "closed_tickets", "resolution_seconds_p50", "resolution_seconds_p90", "automation_rate", "bot_response_rate",
		"resolution_business_seconds_p50", "resolution_business_seconds_p90":
		r.closedTickets(metric, q, c, a)
	case "converted_tickets", "attributed_orders", "attributed_revenue", "attributed_average_basket":
		r.attributed(q, c, a)
	case "ticket_conversion_rate":
		r.attributed(q, c, a)
		r.createdTickets("tickets", q, c, den)
	case "conversation_conversion_rate":
		r.attributed(q, c, a)
		r.closedTickets("closed_tickets", q, c, den)
	case "surveys_sent", "response_rate":
		r.surveys(q, c, a, true)
	case "responses", "csat", "csat_average", "csat_lower_bound":
		r.surveys(q, c, a, false)
	default:
		r.orders(metric, q, c, a)
	}
	return bfFinish(metric, a, den), a.any || den.any
}

func (r *bfRef) createdTickets(metric string, q bfQuery, c bfCell, a *bfAgg) {
	for _, t := range r.d.Tickets {
		if !c.has(t.Created) || !c.selects(q, r.ticketDims(t)) {
			continue
		}
		a.any = true
		kinds := r.messageKinds(t)
		secs, replied, outbound := r.firstResponse(t)
		switch metric {
		case "tickets":
			a.n++
		case "billable_tickets":
			if kinds["agent"] || kinds["bot"] || kinds["rule"] {
				a.n++
			}
		case "first_response_seconds_p50", "first_response_seconds_p90":
			if replied {
				a.samples = append(a.samples, secs)
			}
		case "first_response_business_seconds_p50", "first_response_business_seconds_p90":
			if replied {
				a.samples = append(a.samples, r.business(t.Created, t.Created.Add(time.Duration(secs)*time.Second)))
			}
		case "first_response_sla_rate":
			target, ok := r.cfg.SLA[t.Priority]
			if !ok { // docs/METRICS.md: a priority without a target uses the normal one
				target = r.cfg.SLA["normal"]
			}
			if outbound {
				continue
			}
			if cmp.Or(q.SLAClock, r.cfg.SLAClock) == "business" {
				// SPEC 5.3b: targets count business seconds. Decision (docs/METRICS.md): unanswered, the
				// target has passed once the business time until now is over it.
				if replied && r.business(t.Created, t.Created.Add(time.Duration(secs)*time.Second)) <= target.Seconds() {
					a.num++
				}
				if replied || r.business(t.Created, r.cfg.Now) > target.Seconds() {
					a.n++
				}
				continue
			}
			// Decision: "within the target" includes a reply exactly at the target; "now" is off
			// the hour grid so "already passed" has no tie.
			if replied && secs <= target.Seconds() {
				a.num++
			}
			if replied || r.cfg.Now.Sub(t.Created) > target {
				a.n++
			}
		}
	}
}

func (r *bfRef) closedTickets(metric string, q bfQuery, c bfCell, a *bfAgg) {
	for _, t := range r.d.Tickets {
		if t.Closed == nil || !c.has(*t.Closed) || !c.selects(q, r.ticketDims(t)) {
			continue
		}
		a.any = true
		a.n++
		kinds := r.messageKinds(t)
		switch metric {
		case "resolution_seconds_p50", "resolution_seconds_p90":
			a.samples = append(a.samples, t.Closed.Sub(t.Created).Seconds())
		case "resolution_business_seconds_p50", "resolution_business_seconds_p90":
			a.samples = append(a.samples, r.business(t.Created, *t.Closed))
		case "automation_rate":
			if (kinds["bot"] || kinds["rule"]) && !kinds["agent"] {
				a.num++
			}
		case "bot_response_rate":
			if kinds["bot"] {
				a.num++
			}
		}
	}
}

// attributed: the credited pairs of the cell. The population of the attribution metrics (issue 12
// item 6, docs/METRICS.md) is the tickets created in the cell that pass the filters, plus the
// tickets of the pairs counted: each makes its group present, with 0 where nothing was credited.
func (r *bfRef) attributed(q bfQuery, c bfCell, a *bfAgg) {
	for _, t := range r.d.Tickets {
		if c.has(t.Created) && c.selects(q, r.ticketDims(t)) {
			a.any = true
		}
	}
	for _, p := range r.pairs(q) {
		if !c.has(p.at(q)) || !c.selects(q, r.ticketDims(p.t)) {
			continue
		}
		a.any = true
		a.n++
		a.shares += p.share
		a.money += p.money
		a.distinct[p.t.ID] = true
	}
}

func (r *bfRef) surveys(q bfQuery, c bfCell, a *bfAgg, bySent bool) {
	for _, s := range r.d.Surveys {
		at := s.Responded
		if bySent {
			at = &s.Sent
		} else if s.Score == 0 {
			continue
		}
		if at == nil || !c.has(*at) || !c.selects(q, r.surveyDims(s)) {
			continue
		}
		a.any = true
		a.n++
		if s.Score != 0 {
			a.samples = append(a.samples, float64(s.Score))
		}
		if s.Score >= 4 {
			a.num++
		}
	}
}

func (r *bfRef) orders(metric string, q bfQuery, c bfCell, a *bfAgg) {
	for _, o := range r.d.Orders {
		amt, ok := r.amount(o)
		if !ok || !c.has(o.Created) || !c.selects(q, r.orderDims(o)) {
			continue
		}
		a.any = true
		isNew := r.isNew(o)
		switch metric {
		case "revenue", "orders", "average_order_value":
			a.n++
			a.money += amt
		case "items_sold":
			for _, l := range r.d.Lines {
				if l.Order == o.ID {
					a.n += l.Qty
				}
			}
		case "ordering_customers": // an order without customer_key is one customer of its own
			a.distinct[bfOr(o.Key, "order "+o.ID)] = true
		case "new_customers", "new_customer_revenue", "new_customer_revenue_share":
			a.money += amt
			if isNew {
				a.n++
				a.num++
				a.samples = append(a.samples, float64(amt))
			}
		case "returning_customer_revenue":
			if !isNew {
				a.money += amt
			}
		default:
			panic("the reference lacks metric " + metric)
		}
	}
}

func bfFinish(metric string, a, den *bfAgg) *float64 {
	f := func(v float64) *float64 { return &v }
	ratio := func(num, d float64) *float64 {
		if d == 0 {
			return nil
		}
		return f(100 * num / d)
	}
	switch metric {
	case "tickets", "closed_tickets", "billable_tickets", "surveys_sent", "responses",
		"orders", "items_sold", "new_customers":
		return f(float64(a.n))
	case "attributed_orders":
		return f(a.shares)
	case "converted_tickets", "ordering_customers":
		return f(float64(len(a.distinct)))
	case "attributed_revenue", "revenue", "returning_customer_revenue":
		return f(float64(a.money) / bfMoneyScale)
	case "new_customer_revenue":
		return f(bfSum(a.samples) / bfMoneyScale)
	case "new_customer_revenue_share":
		return ratio(bfSum(a.samples), float64(a.money))
	case "attributed_average_basket":
		if a.shares == 0 {
			return nil
		}
		return f(float64(a.money) / bfMoneyScale / a.shares)
	case "average_order_value":
		if a.n == 0 {
			return nil
		}
		return f(float64(a.money) / bfMoneyScale / float64(a.n))
	case "first_response_seconds_p50", "resolution_seconds_p50", "first_response_business_seconds_p50", "resolution_business_seconds_p50":
		return bfNearestRank(a.samples, 50)
	case "first_response_seconds_p90", "resolution_seconds_p90", "first_response_business_seconds_p90", "resolution_business_seconds_p90":
		return bfNearestRank(a.samples, 90)
	case "first_response_sla_rate", "automation_rate", "bot_response_rate", "csat":
		return ratio(float64(a.num), float64(a.n))
	case "response_rate":
		return ratio(float64(len(a.samples)), float64(a.n))
	case "csat_average":
		if a.n == 0 {
			return nil
		}
		return f(bfSum(a.samples) / float64(a.n))
	case "csat_lower_bound":
		return bfWilsonLower(a.num, a.n)
	case "ticket_conversion_rate":
		return ratio(float64(len(a.distinct)), float64(den.n))
	case "conversation_conversion_rate":
		return ratio(a.shares, float64(den.n))
	}
	panic("the reference lacks metric " + metric)
}

func bfSum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// bfNearestRank: the smallest value with at least p% of the values at or below it.
func bfNearestRank(v []float64, p int) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	rank := (p*len(s) + 99) / 100
	if rank < 1 {
		rank = 1
	}
	x := s[rank-1]
	return &x
}

// bfWilsonLower: lower bound of the 95% Wilson score interval, in percent. Decision: z is the exact
// two-sided 95% normal quantile, not the rounded 1.96 (they differ at the 1e-3 level).
func bfWilsonLower(pos, n int) *float64 {
	if n == 0 {
		return nil
	}
	const z = 1.959963984540054
	nn, p := float64(n), float64(pos)/float64(n)
	lower := (p + z*z/(2*nn) - z*math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn))) / (1 + z*z/nn) * 100
	return &lower
}

// buckets returns the calendar buckets of [from, to) in the query's zone (weeks start on Monday).
func (q bfQuery) buckets() []time.Time {
	floor := func(t time.Time) time.Time {
		if q.Interval == "hour" { // every zone used has whole-hour offsets
			return t.Truncate(time.Hour)
		}
		y, m, d := t.In(q.Loc).Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, q.Loc)
		if q.Interval == "week" {
			back := (int(day.Weekday()) + 6) % 7
			day = time.Date(y, m, d-back, 0, 0, 0, 0, q.Loc)
		}
		return day
	}
	var out []time.Time
	for b := floor(q.From); b.Before(q.To); b = q.next(b) {
		out = append(out, b)
	}
	return out
}

func (q bfQuery) next(b time.Time) time.Time {
	if q.Interval == "hour" {
		return b.Add(time.Hour)
	}
	y, m, d := b.In(q.Loc).Date()
	if q.Interval == "week" {
		return time.Date(y, m, d+7, 0, 0, 0, 0, q.Loc)
	}
	return time.Date(y, m, d+1, 0, 0, 0, 0, q.Loc)
}

// labelUniverse lists every value each dimension takes anywhere in the data.
func (r *bfRef) labelUniverse() map[string][]string {
	seen := map[string]map[string]bool{}
	add := func(dims map[string][]string) {
		for k, vs := range dims {
			if seen[k] == nil {
				seen[k] = map[string]bool{}
			}
			for _, v := range vs {
				seen[k][v] = true
			}
		}
	}
	for _, t := range r.d.Tickets {
		add(r.ticketDims(t))
	}
	for _, s := range r.d.Surveys {
		add(r.surveyDims(s))
	}
	for _, o := range r.d.Orders {
		add(r.orderDims(o))
	}
	out := map[string][]string{}
	for k, vs := range seen {
		for v := range vs {
			out[k] = append(out[k], v)
		}
		sort.Strings(out[k])
	}
	return out
}

// bfTicketRow is one expected drill-down row (SPEC 5.6).
type bfTicketRow struct {
	Closed         *time.Time
	Agent, Segment string
	FirstResponse  *float64
	Business       *float64 // the first response in business hours
	HandledBy      string
	Converted      bool
	Credited       float64 // order shares
	Revenue        float64
	Score          *int64
}

// ticketRows: the tickets created in range that pass the filters, with their credited orders (all
// of them: the drill-down lists tickets, so every pair of a listed ticket counts).
func (r *bfRef) ticketRows(q bfQuery) map[string]bfTicketRow {
	all := bfCell{from: q.From, to: q.To}
	out := map[string]bfTicketRow{}
	pairs := r.pairs(q)
	for _, t := range r.d.Tickets {
		if !all.has(t.Created) || !all.selects(q, r.ticketDims(t)) {
			continue
		}
		row := bfTicketRow{Closed: t.Closed, Agent: bfAgentLabel(t), Segment: r.ticketSegment(t), HandledBy: r.handledBy(t)}
		if secs, ok, _ := r.firstResponse(t); ok {
			row.FirstResponse = &secs
			b := r.business(t.Created, t.Created.Add(time.Duration(secs)*time.Second))
			row.Business = &b
		}
		money := int64(0)
		for _, p := range pairs {
			if p.t.ID == t.ID {
				money += p.money
				row.Credited += p.share
				row.Converted = true
			}
		}
		row.Revenue = float64(money) / bfMoneyScale
		for _, s := range r.d.Surveys {
			if s.Ticket == t.ID && s.Score != 0 {
				score := int64(s.Score)
				row.Score = &score
			}
		}
		out[t.ID] = row
	}
	return out
}

func bfKey(labels []string) string { return strings.Join(labels, "\x00") }
