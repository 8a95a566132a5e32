package engine

import (
	"math"
	"math/bits"
	"slices"
	"sort"

	"github.com/supportops/grafana-support-analytics/pkg/store"
)

// Units, as Grafana names them. unitMoney becomes the shop currency's unit (currencyUSD, ...).
const (
	unitShort   = "short"
	unitPercent = "percent"
	unitSeconds = "s"
	unitMoney   = "currency"
)

// Dimension is one way to slice a metric (SPEC 4); Filter is its key in the query's filters.
type Dimension struct {
	Key         string `json:"key"`
	DisplayName string `json:"displayName"`
	Filter      string `json:"filter,omitempty"`
	Side        string `json:"side"`
	Description string `json:"description"`
}

// Dimensions is the dimension table.
var Dimensions = []Dimension{
	{"time", "Time", "", "all", "Calendar buckets (hour, day, week, month) in the report time zone."},
	{"agent", "Agent", "agents", "ticket", "The ticket's closing agent ((open) while open, (none) when closed without one); for CSAT, see the CSAT credit rule."},
	{"channel", "Channel", "channels", "ticket", "The ticket's channel (email, chat, phone, social, ...)."},
	{"project", "Project", "projects", "ticket and order", "The brand or website of the ticket, or of the order."},
	{"topic", "Topic", "topics", "ticket", "The ticket's topic ((none) when empty)."},
	{"tag", "Tag", "tags", "ticket", "A ticket counts once under each of its tags ((none) without tags)."},
	{"priority", "Priority", "priorities", "ticket", "low, normal, high, critical."},
	{"segment", "Segment", "segments", "ticket and order", "prospect, new_buyer, returning, vip or unidentified, judged at the time of the ticket (or order)."},
	{"score", "CSAT score", "scores", "csat", "The response's score, 1 to 5."},
	{"customer_type", "Customer type", "customer_types", "order", "new (the customer's first eligible order ever) or returning."},
	{"currency", "Currency", "currencies", "order", "The order's own currency (amounts are still in the shop currency)."},
	{"product", "Product", "products", "order line", "The product name of an order line (order-line metrics only)."},
	{"handled_by", "Handled by", "handledBy", "ticket", "Who answered the ticket: automated (bot or rule messages only), human (agent messages only), mixed (both) or unanswered (none)."},
}

// factKind is the kind of row a metric counts.
type factKind int

const (
	factTicket  factKind = iota // one per ticket
	factPair                    // one per credited (ticket, order) pair
	factSurvey                  // one per CSAT survey
	factDisplay                 // one per chat_displays row
	factOrder                   // one per eligible order
	factLine                    // one per line of an eligible order
)

// dims lists the dimensions (besides time) each kind of row carries.
var factDims = map[factKind][]string{
	factTicket:  {"agent", "channel", "project", "topic", "tag", "priority", "segment", "handled_by"},
	factPair:    {"agent", "channel", "project", "topic", "tag", "priority", "segment", "handled_by"},
	factSurvey:  {"agent", "channel", "project", "topic", "tag", "priority", "segment", "score", "handled_by"},
	factDisplay: {"project", "channel"},
	factOrder:   {"customer_type", "project", "currency", "segment"},
	factLine:    {"customer_type", "project", "currency", "segment", "product"},
}

// basis is the instant of a row that decides whether it is in range, and its time bucket.
type basis int

const (
	basisCreated   basis = iota // ticket created_at
	basisClosed                 // ticket closed_at
	basisPair                   // the pair's date basis: its ticket's creation or its order's
	basisSent                   // survey sent_at
	basisResponded              // survey responded_at
	basisDisplayed              // chat display displayed_at
	basisOrdered                // order created_at
)

// acc accumulates one part of a metric for one group and bucket.
type acc struct {
	n    int64
	frac float64 // fractional counts: the order shares of the linear attribution model
	sum  int64
	vals []int64
	set  map[int32]struct{}
}

func (a *acc) distinct(id int32) {
	if a.set == nil {
		a.set = map[int32]struct{}{}
	}
	a.set[id] = struct{}{}
}

// part is one aggregate a metric is made of: which rows, on which time basis, adding what.
type part struct {
	facts    factKind
	basis    basis
	add      func(d *dataset, i int, a *acc)
	messages bool // reads the tickets' message summary (first reply, who wrote)
	// sample, when set, names the samples the part collects: the parts of a query that collect the
	// same samples on the same rows share one accumulator (percentiles of one duration).
	sample string
	// slot, when set, adds row i of the orders summed per slot (slots.go) as add adds each of its
	// orders: the part is a pure order aggregate, which PostgreSQL can sum.
	slot func(s *store.OrderSlots, i int, a *acc)
	// survey, when set, adds row i of the surveys counted per slot (survey_slots.go) as add adds each of its
	// surveys.
	survey func(s *store.SurveySlots, i int, a *acc)
}

// Metric is one row of the catalog. Adding a metric means adding a row here.
type Metric struct {
	Key         string   `json:"key"`
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	Family      string   `json:"family"`
	Unit        string   `json:"unit"`
	Store       string   `json:"store"`
	TimeBasis   string   `json:"timeBasis"`
	Dimensions  []string `json:"dimensions"`

	parts []part
	value func(a []*acc) (float64, bool)
	only  []string // when set, the dimensions (besides time) it supports, narrower than its rows'
	// business: counts business hours, so it needs the businessHours setting (SPEC 5.3b).
	business bool
}

func count(a []*acc) (float64, bool)    { return float64(a[0].n), true }
func money(a []*acc) (float64, bool)    { return float64(a[0].sum) / moneyScale, true }
func distinct(a []*acc) (float64, bool) { return float64(len(a[0].set)), true }

func percentOf(num, den float64) (float64, bool) {
	if den == 0 {
		return 0, false
	}
	return num / den * 100, true
}

func ratioN(a []*acc) (float64, bool) { return percentOf(float64(a[0].n), float64(a[1].n)) }

func percentile(p float64) func(a []*acc) (float64, bool) {
	return func(a []*acc) (float64, bool) {
		v := a[0].vals
		if len(v) == 0 {
			return 0, false
		}
		rank := int(math.Ceil(p / 100 * float64(len(v))))
		if rank < 1 {
			rank = 1
		}
		return float64(nthSmallest(v, rank-1)) / 1e6, true
	}
}

// nthSmallest returns the k-th smallest of v (0-based), reordering v: a quickselect with three-way
// partitions (many equal durations cost nothing), which sorts what is left when it keeps choosing
// poor pivots. A percentile of n values then costs O(n), where sorting them costs O(n log n).
func nthSmallest(v []int64, k int) int64 {
	lo, hi := 0, len(v) // k is in v[lo:hi]
	for budget := 2*bits.Len(uint(len(v))) + 8; hi-lo > 16; budget-- {
		if budget == 0 {
			slices.Sort(v[lo:hi])
			return v[k]
		}
		a, b, c := v[lo], v[lo+(hi-lo)/2], v[hi-1]
		pivot := max(min(a, b), min(max(a, b), c)) // the median of the three
		// v[lo:lt] < pivot, v[lt:i] == pivot, v[gt:hi] > pivot
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch x := v[i]; {
			case x < pivot:
				v[lt], v[i] = v[i], v[lt]
				lt++
				i++
			case x > pivot:
				gt--
				v[gt], v[i] = v[i], v[gt]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return pivot
		}
	}
	slices.Sort(v[lo:hi])
	return v[k]
}

// wilsonLower is the lower bound of the 95% Wilson score interval of pos successes out of n, in %.
func wilsonLower(pos, n int64) (float64, bool) {
	if n == 0 {
		return 0, false
	}
	const z = 1.959963984540054
	nf := float64(n)
	p := float64(pos) / nf
	z2 := z * z
	centre := p + z2/(2*nf)
	margin := z * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return (centre - margin) / (1 + z2/nf) * 100, true
}

func one(a *acc) { a.n++ }
func addIf(ok bool, a *acc) {
	if ok {
		a.n++
	}
}

// Row adders.
var anyTicket = func(d *dataset, i int, a *acc) { one(a) }

// addOrderShare counts a credited pair's order: one, or its share of an order split by the linear model.
func addOrderShare(d *dataset, i int, a *acc) {
	if d.pairs.split == nil {
		a.n++
		return
	}
	a.frac += d.pairs.share(i)
}

// orderShares is the number of orders counted by addOrderShare, fractional with the linear model.
func orderShares(a *acc) float64 { return float64(a.n) + a.frac }

func ticketsPart(b basis, add func(d *dataset, i int, a *acc)) part {
	return part{facts: factTicket, basis: b, add: add}
}

// sampled names the samples p collects (part.sample).
func sampled(p part, sample string) part {
	p.sample = sample
	return p
}

// messagesPart is a ticket part that needs the tickets' messages.
func messagesPart(b basis, add func(d *dataset, i int, a *acc)) part {
	p := ticketsPart(b, add)
	p.messages = true
	return p
}

func surveyPart(b basis, add func(d *dataset, i int, a *acc)) part {
	return part{facts: factSurvey, basis: b, add: add}
}

func orderPart(add func(d *dataset, i int, a *acc)) part {
	return part{facts: factOrder, basis: basisOrdered, add: add}
}

// slotPart is an order part that can also add the orders of a slot at once.
func slotPart(p part, slot func(s *store.OrderSlots, i int, a *acc)) part {
	p.slot = slot
	return p
}

// surveySlotPart is a survey part that can also add the surveys of a slot at once: those of its own
// time basis.
func surveySlotPart(p part, add func(s *store.SurveySlots, i int, a *acc)) part {
	responded := p.basis == basisResponded
	p.survey = func(s *store.SurveySlots, i int, a *acc) {
		if s.Responded[i] == responded {
			add(s, i, a)
		}
	}
	return p
}

var (
	closedTickets  = ticketsPart(basisClosed, anyTicket)
	createdTickets = ticketsPart(basisCreated, anyTicket)
	// ticketsOfRange counts nothing: it makes the tickets created in range (that pass the filters) the
	// population of the attribution metrics, so that their groups are those tickets' values whatever
	// else the query asks for: an agent whose tickets converted nothing shows 0, not no row.
	ticketsOfRange = ticketsPart(basisCreated, func(*dataset, int, *acc) {})
	pairOrders     = part{facts: factPair, basis: basisPair, add: addOrderShare}
	pairRevenue    = part{facts: factPair, basis: basisPair, add: func(d *dataset, i int, a *acc) { a.sum += d.pairAmount(i) }}
	pairTickets    = part{facts: factPair, basis: basisPair, add: func(d *dataset, i int, a *acc) { a.distinct(d.pairs.ticket[i]) }}
	surveysSent    = surveySlotPart(surveyPart(basisSent, func(d *dataset, i int, a *acc) { one(a) }),
		func(s *store.SurveySlots, i int, a *acc) { a.n += s.Surveys[i] })
	answeredOfSent = surveySlotPart(surveyPart(basisSent, func(d *dataset, i int, a *acc) { addIf(d.surveys.Score[i] > 0, a) }),
		func(s *store.SurveySlots, i int, a *acc) { a.n += s.Answered[i] })
	responses = surveySlotPart(surveyPart(basisResponded, func(d *dataset, i int, a *acc) { one(a) }),
		func(s *store.SurveySlots, i int, a *acc) { a.n += s.Surveys[i] })
	positive = surveySlotPart(surveyPart(basisResponded, func(d *dataset, i int, a *acc) { addIf(d.surveys.Score[i] >= 4, a) }),
		func(s *store.SurveySlots, i int, a *acc) { a.n += s.Positive[i] })
	scoreSum = surveySlotPart(surveyPart(basisResponded, func(d *dataset, i int, a *acc) { a.sum += int64(d.surveys.Score[i]) }),
		func(s *store.SurveySlots, i int, a *acc) { a.sum += s.ScoreSum[i] })
	orderCount = slotPart(orderPart(func(d *dataset, i int, a *acc) { one(a) }),
		func(s *store.OrderSlots, i int, a *acc) { a.n += s.Orders[i] })
	orderRevenue = slotPart(orderPart(func(d *dataset, i int, a *acc) { a.sum += d.orders.Amount[i] }),
		func(s *store.OrderSlots, i int, a *acc) { a.sum += s.Amount[i] })
	newRevenue = orderPart(func(d *dataset, i int, a *acc) {
		if d.orderIsNew(i) {
			a.sum += d.orders.Amount[i]
		}
	})
)

// Catalog is the metric table: validation, the query editor, the docs and the frames all read it.
var Catalog = []*Metric{
	// Tickets (helpdesk).
	{Key: "tickets", DisplayName: "Tickets", Family: "tickets", Unit: unitShort, Store: "helpdesk", TimeBasis: "ticket created_at",
		Description: "Tickets created in the range.",
		parts:       []part{createdTickets}, value: count},
	{Key: "closed_tickets", DisplayName: "Closed conversations", Family: "tickets", Unit: unitShort, Store: "helpdesk", TimeBasis: "ticket closed_at",
		Description: "Tickets closed in the range.",
		parts:       []part{closedTickets}, value: count},
	{Key: "first_response_seconds_p50", DisplayName: "First response time (median)", Family: "tickets", Unit: unitSeconds, Store: "helpdesk", TimeBasis: "ticket created_at",
		Description: "Median, by nearest rank, of the time from a ticket's creation to the first message of a human agent. Bots and rules do not count; tickets an agent started (outbound) or with no agent reply are left out.",
		parts:       []part{sampled(messagesPart(basisCreated, addFirstResponse), "first response")}, value: percentile(50)},
	{Key: "first_response_seconds_p90", DisplayName: "First response time (90th percentile)", Family: "tickets", Unit: unitSeconds, Store: "helpdesk", TimeBasis: "ticket created_at",
		Description: "90th percentile, by nearest rank, of the first response time (same tickets as the median).",
		parts:       []part{sampled(messagesPart(basisCreated, addFirstResponse), "first response")}, value: percentile(90)},
	{Key: "first_response_sla_rate", DisplayName: "First response SLA rate", Family: "tickets", Unit: unitPercent, Store: "helpdesk", TimeBasis: "ticket created_at",
		Description: "Tickets whose first agent reply came within the target of their priority (slaTargets) / tickets that got a reply or whose target has already passed unanswered. Outbound tickets are left out. With the business SLA clock (slaClock, setting or query field) the targets count business seconds.",
		parts: []part{messagesPart(basisCreated, func(d *dataset, i int, a *acc) { addIf(d.slaState(i) == slaMet, a) }),
			messagesPart(basisCreated, func(d *dataset, i int, a *acc) { addIf(d.slaState(i) != slaPending, a) })},
		value: ratioN},
	{Key: "resolution_seconds_p50", DisplayName: "Resolution time (median)", Family: "tickets", Unit: unitSeconds, Store: "helpdesk", TimeBasis: "ticket closed_at",
		Description: "Median, by nearest rank, of closed_at - created_at over the tickets closed in the range.",
		parts:       []part{sampled(ticketsPart(basisClosed, addResolution), "resolution")}, value: percentile(50)},
	{Key: "resolution_seconds_p90", DisplayName: "Resolution time (90th percentile)", Family: "tickets", Unit: unitSeconds, Store: "helpdesk", TimeBasis: "ticket closed_at",
		Description: "90th percentile, by nearest rank, of closed_at - created_at over the tickets closed in the range.",
		parts:       []part{sampled(ticketsPart(basisClosed, addResolution), "resolution")}, value: percentile(90)},
	{Key: "first_response_business_seconds_p50", DisplayName: "First response time in business hours (median)", Family: "tickets", Unit: unitSeconds, Store: "helpdesk", TimeBasis: "ticket created_at",
		Description: "Median, by nearest rank, of the first response time counting only the seconds inside the team's business hours (businessHours); same tickets as first_response_seconds_p50. A ticket created while closed starts its clock at the next opening.",
		parts:       []part{sampled(messagesPart(basisCreated, addFirstResponseBusiness), "first response, business")}, value: percentile(50), business: true},
	{Key: "first_response_business_seconds_p90", DisplayName: "First response time in business hours (90th percentile)", Family: "tickets", Unit: unitSeconds, Store: "helpdesk", TimeBasis: "ticket created_at",
		Description: "90th percentile, by nearest rank, of the first response time in business hours (same tickets as the median).",
		parts:       []part{sampled(messagesPart(basisCreated, addFirstResponseBusiness), "first response, business")}, value: percentile(90), business: true},
	{Key: "resolution_business_seconds_p50", DisplayName: "Resolution time in business hours (median)", Family: "tickets", Unit: unitSeconds, Store: "helpdesk", TimeBasis: "ticket closed_at",
		Description: "Median, by nearest rank, of the time from creation to closing counting only the seconds inside the team's business hours (businessHours), over the tickets closed in the range.",
		parts:       []part{sampled(ticketsPart(basisClosed, addResolutionBusiness), "resolution, business")}, value: percentile(50), business: true},
	{Key: "resolution_business_seconds_p90", DisplayName: "Resolution time in business hours (90th percentile)", Family: "tickets", Unit: unitSeconds, Store: "helpdesk", TimeBasis: "ticket closed_at",
		Description: "90th percentile, by nearest rank, of the resolution time in business hours, over the tickets closed in the range.",
		parts:       []part{sampled(ticketsPart(basisClosed, addResolutionBusiness), "resolution, business")}, value: percentile(90), business: true},
	{Key: "billable_tickets", DisplayName: "Billable tickets", Family: "tickets", Unit: unitShort, Store: "helpdesk", TimeBasis: "ticket created_at",
		Description: "Tickets created in the range that received at least one message from an agent, a bot or a rule.",
		parts: []part{messagesPart(basisCreated, func(d *dataset, i int, a *acc) {
			addIf(d.msgs.flags[i]&(flagAgent|flagBot|flagRule) != 0, a)
		})}, value: count},
	{Key: "automation_rate", DisplayName: "Automation rate", Family: "tickets", Unit: unitPercent, Store: "helpdesk", TimeBasis: "ticket closed_at",
		Description: "Closed tickets answered only by bots or rules (at least one such message, no agent message) / closed tickets.",
		parts: []part{messagesPart(basisClosed, func(d *dataset, i int, a *acc) {
			f := d.msgs.flags[i]
			addIf(f&(flagBot|flagRule) != 0 && f&flagAgent == 0, a)
		}), closedTickets}, value: ratioN},
	{Key: "bot_response_rate", DisplayName: "Bot response rate", Family: "tickets", Unit: unitPercent, Store: "helpdesk", TimeBasis: "ticket closed_at",
		Description: "Closed tickets with at least one bot message / closed tickets.",
		parts: []part{messagesPart(basisClosed, func(d *dataset, i int, a *acc) { addIf(d.msgs.flags[i]&flagBot != 0, a) }),
			closedTickets}, value: ratioN},
	{Key: "engagement_rate", DisplayName: "Engagement rate", Family: "tickets", Unit: unitPercent, Store: "helpdesk", TimeBasis: "ticket created_at / displayed_at",
		Description: "Chat tickets created in the range / chat-widget displays in the range (needs the optional chat_displays relation).",
		parts: []part{ticketsPart(basisCreated, func(d *dataset, i int, a *acc) { addIf(d.isChat(i), a) }),
			{facts: factDisplay, basis: basisDisplayed, add: func(d *dataset, i int, a *acc) { a.n += d.displays.Count[i] }}},
		value: ratioN, only: []string{"project"}},

	// Attribution (both stores).
	{Key: "converted_tickets", DisplayName: "Tickets converted", Family: "attribution", Unit: unitShort, Store: "both", TimeBasis: "attribution dateBasis",
		Description: "Tickets of the range credited with at least one order (with the linear model: with a share of at least one order).",
		parts:       []part{pairTickets, ticketsOfRange}, value: distinct},
	{Key: "ticket_conversion_rate", DisplayName: "Conversion rate", Family: "attribution", Unit: unitPercent, Store: "both", TimeBasis: "attribution dateBasis / ticket created_at",
		Description: "Tickets converted / tickets created in the range.",
		parts:       []part{pairTickets, createdTickets},
		value:       func(a []*acc) (float64, bool) { return percentOf(float64(len(a[0].set)), float64(a[1].n)) }},
	{Key: "attributed_orders", DisplayName: "Orders from support", Family: "attribution", Unit: unitShort, Store: "both", TimeBasis: "attribution dateBasis",
		Description: "Eligible orders credited to a ticket of the range (each order to at most one ticket; with the linear model each ticket counts its share of the order, 1/n of an order matched by n tickets).",
		parts:       []part{pairOrders, ticketsOfRange}, value: func(a []*acc) (float64, bool) { return orderShares(a[0]), true }},
	{Key: "attributed_revenue", DisplayName: "Total sales from support", Family: "attribution", Unit: unitMoney, Store: "both", TimeBasis: "attribution dateBasis",
		Description: "Sum of the totals of the orders credited to tickets of the range, in the shop currency (with the linear model: of the tickets' parts, which sum to each order's total to the cent).",
		parts:       []part{pairRevenue, ticketsOfRange}, value: money},
	{Key: "attributed_average_basket", DisplayName: "Average basket from support", Family: "attribution", Unit: unitMoney, Store: "both", TimeBasis: "attribution dateBasis",
		Description: "Total sales from support / orders from support.",
		parts:       []part{pairRevenue, pairOrders, ticketsOfRange},
		value: func(a []*acc) (float64, bool) {
			orders := orderShares(a[1])
			if orders == 0 {
				return 0, false
			}
			return float64(a[0].sum) / moneyScale / orders, true
		}},
	{Key: "conversation_conversion_rate", DisplayName: "Conversation conversion rate", Family: "attribution", Unit: unitPercent, Store: "both", TimeBasis: "attribution dateBasis / ticket closed_at",
		Description: "Orders from support / conversations closed in the range (the synthesis report's transactions / closed conversations).",
		parts:       []part{pairOrders, closedTickets, ticketsOfRange},
		value:       func(a []*acc) (float64, bool) { return percentOf(orderShares(a[0]), float64(a[1].n)) }},

	// CSAT (helpdesk).
	{Key: "surveys_sent", DisplayName: "Surveys sent", Family: "csat", Unit: unitShort, Store: "helpdesk", TimeBasis: "survey sent_at",
		Description: "CSAT surveys sent in the range.",
		parts:       []part{surveysSent}, value: count},
	{Key: "responses", DisplayName: "CSAT responses", Family: "csat", Unit: unitShort, Store: "helpdesk", TimeBasis: "survey responded_at",
		Description: "Surveys answered (with a score) in the range.",
		parts:       []part{responses}, value: count,
		only: []string{"agent", "channel", "project", "topic", "tag", "priority", "segment", "score", "handled_by"}},
	{Key: "response_rate", DisplayName: "Response rate", Family: "csat", Unit: unitPercent, Store: "helpdesk", TimeBasis: "survey sent_at",
		Description: "Of the surveys sent in the range, those answered / those sent.",
		parts:       []part{answeredOfSent, surveysSent}, value: ratioN},
	{Key: "csat", DisplayName: "CSAT", Family: "csat", Unit: unitPercent, Store: "helpdesk", TimeBasis: "survey responded_at",
		Description: "(Responses scored 4 + responses scored 5) / responses x 100.",
		parts:       []part{positive, responses}, value: ratioN},
	{Key: "csat_average", DisplayName: "Average CSAT score", Family: "csat", Unit: unitShort, Store: "helpdesk", TimeBasis: "survey responded_at",
		Description: "Mean score of the responses (1 to 5).",
		parts:       []part{scoreSum, responses},
		value: func(a []*acc) (float64, bool) {
			if a[1].n == 0 {
				return 0, false
			}
			return float64(a[0].sum) / float64(a[1].n), true
		}},
	{Key: "csat_lower_bound", DisplayName: "CSAT (lower bound)", Family: "csat", Unit: unitPercent, Store: "helpdesk", TimeBasis: "survey responded_at",
		Description: "Lower bound of the 95% Wilson score interval of the share of 4-5 scores: a dip on a handful of responses stays low-confidence, so alerts on it do not fire on three unlucky responses.",
		parts:       []part{positive, responses},
		value:       func(a []*acc) (float64, bool) { return wilsonLower(a[0].n, a[1].n) }},

	// Orders (order store).
	{Key: "revenue", DisplayName: "Revenue", Family: "orders", Unit: unitMoney, Store: "orders", TimeBasis: "order created_at",
		Description: "Sum of the totals of eligible orders, in the shop currency.",
		parts:       []part{orderRevenue}, value: money},
	{Key: "orders", DisplayName: "Orders", Family: "orders", Unit: unitShort, Store: "orders", TimeBasis: "order created_at",
		Description: "Eligible orders.",
		parts:       []part{orderCount}, value: count},
	{Key: "average_order_value", DisplayName: "Average order value", Family: "orders", Unit: unitMoney, Store: "orders", TimeBasis: "order created_at",
		Description: "Revenue / orders.",
		parts:       []part{orderRevenue, orderCount},
		value: func(a []*acc) (float64, bool) {
			if a[1].n == 0 {
				return 0, false
			}
			return float64(a[0].sum) / moneyScale / float64(a[1].n), true
		}},
	{Key: "items_sold", DisplayName: "Items sold", Family: "orders", Unit: unitShort, Store: "orders", TimeBasis: "order created_at",
		Description: "Sum of the quantities of the lines of eligible orders.",
		parts:       []part{{facts: factLine, basis: basisOrdered, add: func(d *dataset, i int, a *acc) { a.n += d.lines.Quantity[i] }}},
		value:       count},
	{Key: "ordering_customers", DisplayName: "Ordering customers", Family: "orders", Unit: unitShort, Store: "orders", TimeBasis: "order created_at",
		Description: "Distinct customers with at least one eligible order in the range.",
		parts:       []part{orderPart(func(d *dataset, i int, a *acc) { a.distinct(d.orderCustomer(i)) })}, value: distinct},
	{Key: "new_customers", DisplayName: "New customers", Family: "orders", Unit: unitShort, Store: "orders", TimeBasis: "order created_at",
		Description: "Customers whose first eligible order ever falls in the range.",
		parts:       []part{orderPart(func(d *dataset, i int, a *acc) { addIf(d.orderIsNew(i), a) })}, value: count},
	{Key: "new_customer_revenue", DisplayName: "New customer revenue", Family: "orders", Unit: unitMoney, Store: "orders", TimeBasis: "order created_at",
		Description: "Revenue of the orders that are their customer's first eligible order ever.",
		parts:       []part{newRevenue}, value: money},
	{Key: "returning_customer_revenue", DisplayName: "Returning customer revenue", Family: "orders", Unit: unitMoney, Store: "orders", TimeBasis: "order created_at",
		Description: "Revenue of the orders that are not their customer's first eligible order.",
		parts: []part{orderPart(func(d *dataset, i int, a *acc) {
			if !d.orderIsNew(i) {
				a.sum += d.orders.Amount[i]
			}
		})}, value: money},
	{Key: "new_customer_revenue_share", DisplayName: "New customer revenue share", Family: "orders", Unit: unitPercent, Store: "orders", TimeBasis: "order created_at",
		Description: "New customer revenue / revenue.",
		parts:       []part{newRevenue, orderRevenue},
		value:       func(a []*acc) (float64, bool) { return percentOf(float64(a[0].sum), float64(a[1].sum)) }},
}

const moneyScale = 10000

var metricsByKey = map[string]*Metric{}

func init() {
	for _, m := range Catalog {
		m.Dimensions = append([]string{"time"}, m.supported()...)
		metricsByKey[m.Key] = m
	}
}

// supported is the intersection of the dimensions its rows carry, narrowed by only.
func (m *Metric) supported() []string {
	var out []string
	for _, d := range Dimensions {
		if d.Key == "time" {
			continue
		}
		ok := true
		for _, p := range m.parts {
			if !slices.Contains(factDims[p.facts], d.Key) {
				ok = false
			}
		}
		if m.only != nil && !slices.Contains(m.only, d.Key) {
			ok = false
		}
		if ok {
			out = append(out, d.Key)
		}
	}
	return out
}

// Supports reports whether the metric can be sliced or filtered by dim.
func (m *Metric) Supports(dim string) bool { return slices.Contains(m.Dimensions, dim) }

// Lookup finds a metric by key.
func Lookup(key string) (*Metric, bool) {
	m, ok := metricsByKey[key]
	return m, ok
}

// MetricKeys lists every metric key, sorted.
func MetricKeys() []string {
	keys := make([]string, 0, len(Catalog))
	for _, m := range Catalog {
		keys = append(keys, m.Key)
	}
	sort.Strings(keys)
	return keys
}

// dimensionByKey finds a dimension, by key or by its filter key.
func dimensionByKey(key string) (Dimension, bool) {
	for _, d := range Dimensions {
		if d.Key == key {
			return d, true
		}
	}
	return Dimension{}, false
}
