package demo

import (
	"math"
	"math/rand/v2"
)

// Details derived per order and per ticket from their own random stream: every pass over a
// table recomputes them identically, so nothing but the world's skeleton stays in memory.

type orderLine struct {
	product  int
	quantity int32
	cents    int64 // in the order's currency
}

type orderDetail struct {
	status   string
	currency string
	project  int // -1: NULL
	lines    []orderLine
	cents    int64 // total, in the order's currency
}

func (w *world) orderDetail(i int, d *orderDetail) {
	o := w.orders[i]
	r := w.rng(streamOrder, i)
	if w.end-o.at < 3*day {
		d.status = recentStatuses[recentWeights.pick(r)]
	} else {
		d.status = settledStatuses[settledWeights.pick(r)]
	}
	d.currency = w.opt.ShopCurrency
	eur := r.Float64() < 0.03
	if eur {
		d.currency = "EUR"
	}
	switch x := r.Float64(); {
	case x < 0.05:
		d.project = -1 // manual / point-of-sale orders carry no website
	case x < 0.08:
		d.project = projectWeights.pick(r)
	default:
		d.project = int(w.customers[o.cust].project)
	}
	d.lines, d.cents = d.lines[:0], 0
	n := lineCountWeights.pick(r) + 1
	for len(d.lines) < n {
		p := w.popularity.pick(r)
		if hasProduct(d.lines, p) {
			continue
		}
		q := int32(quantityWeights.pick(r) + 1)
		cents := w.products[p].cents * int64(q)
		if eur {
			cents = int64(math.Round(float64(cents) * 1e4 / float64(w.rateAt(o.at))))
		}
		d.lines = append(d.lines, orderLine{product: p, quantity: q, cents: cents})
		d.cents += cents
	}
}

func hasProduct(lines []orderLine, p int) bool {
	for _, l := range lines {
		if l.product == p {
			return true
		}
	}
	return false
}

// Message sender kinds, in the contract's words.
const (
	senderCustomer = "customer"
	senderAgent    = "agent"
	senderBot      = "bot"
	senderRule     = "rule"
)

type message struct {
	at    int64
	kind  string
	agent int // -1: none
}

type survey struct {
	sent, responded int64 // responded 0: not answered
	score           int16
	agent           int // agent assigned when sent; -1: none
}

type ticketDetail struct {
	channel, project, priority int
	topic                      int // -1: NULL
	tags                       []string
	closed                     int64 // 0: open
	closer                     int   // closing agent; -1: none
	messages                   []message
	survey                     *survey

	scratch survey
}

func (w *world) ticketDetail(i int, d *ticketDetail) {
	t := w.tickets[i]
	r := w.rng(streamTicket, i)
	d.channel = channelWeights.pick(r)
	d.project = projectWeights.pick(r)
	if t.cust >= 0 && r.Float64() < 0.9 {
		d.project = int(w.customers[t.cust].project)
	}
	d.priority = priorityWeights.pick(r)
	d.topic = topicWeights[t.kind].pick(r)
	if d.topic == len(topics) {
		d.topic = -1
	}
	d.tags = w.ticketTags(r, t, d)
	d.messages, d.closed, d.closer, d.survey = d.messages[:0], 0, -1, nil

	c := conversation{w: w, r: r, d: d, at: t.at}
	switch x := r.Float64(); {
	case x < 0.15:
		c.automated()
	case x < 0.20:
		c.outbound()
	default:
		c.inbound()
	}
	c.finish()
}

func (w *world) ticketTags(r *rand.Rand, t ticket, d *ticketDetail) []string {
	tags := []string{}
	add := func(tag string, chance float64) {
		if r.Float64() < chance {
			tags = append(tags, tag)
		}
	}
	if d.topic >= 0 {
		switch topics[d.topic] {
		case "returns":
			add("refund", 0.5)
		case "order_status":
			add("wismo", 0.6)
		case "product_question":
			add("pre-sale", 0.4)
		case "shipping":
			add("damaged", 0.15)
		}
	}
	if priorities[d.priority] == "critical" {
		tags = append(tags, "urgent")
	}
	if t.cust >= 0 && w.customers[t.cust].tags&tagVIP != 0 {
		tags = append(tags, "vip")
	}
	add("promo", 0.05)
	add("feedback", 0.04)
	return tags
}

// conversation writes a ticket's messages, closing and survey in time order.
type conversation struct {
	w  *world
	r  *rand.Rand
	d  *ticketDetail
	at int64 // time of the latest event
}

func (c *conversation) say(kind string, agent int, after int64) {
	c.at += max(after, 1)
	c.d.messages = append(c.d.messages, message{at: c.at, kind: kind, agent: agent})
}

// lognormal draws a positive delay in seconds around median.
func (c *conversation) lognormal(median, sigma float64) int64 {
	return int64(math.Exp(math.Log(median)+sigma*c.r.NormFloat64())) + 1
}

func (c *conversation) pickAgent(not int) int {
	for {
		if a := agentWeights.pick(c.r); a != not {
			return a
		}
	}
}

func (c *conversation) isChat() bool {
	ch := channels[c.d.channel]
	return ch == "chat" || ch == "phone"
}

// automated: only bots and rules answer (Gorgias' automation rate).
func (c *conversation) automated() {
	c.say(senderCustomer, -1, 0)
	kind := senderBot
	if c.r.Float64() < 0.4 {
		kind = senderRule
	}
	c.say(kind, -1, 3+c.r.Int64N(60))
	if c.r.Float64() < 0.3 {
		c.say(senderCustomer, -1, 60+c.r.Int64N(hour))
		c.say(senderBot, -1, 3+c.r.Int64N(30))
	}
	c.close(-1, c.lognormal(20*60, 1))
}

// outbound: an agent starts the conversation (excluded from first-response times).
func (c *conversation) outbound() {
	a := c.pickAgent(-1)
	c.say(senderAgent, a, 0)
	if c.r.Float64() < 0.6 {
		c.say(senderCustomer, -1, c.lognormal(5*3600, 1.2))
		if c.r.Float64() < 0.5 {
			c.say(senderAgent, a, c.replyDelay())
		}
	}
	c.close(a, c.lognormal(6*3600, 1.2))
}

func (c *conversation) inbound() {
	c.say(senderCustomer, -1, 0)
	if c.r.Float64() < 0.3 {
		c.say(senderRule, -1, 2+c.r.Int64N(60)) // auto-acknowledgement
	}
	if c.r.Float64() < 0.1 {
		c.say(senderBot, -1, 5+c.r.Int64N(40))
	}
	a := c.pickAgent(-1)
	if c.r.Float64() < 0.05 { // never answered by a human
		closer := -1
		if c.r.Float64() < 0.5 {
			closer = a
		}
		c.close(closer, c.lognormal(2*86400, 1))
		return
	}
	c.at = c.d.messages[0].at
	c.say(senderAgent, a, c.firstResponseDelay())
	rounds := roundWeights.pick(c.r)
	transfer := rounds > 0 && c.r.Float64() < 0.1
	for k := range rounds {
		if transfer && k == 0 {
			a = c.transfer(a)
		}
		c.say(senderCustomer, -1, c.lognormal(2*3600, 1.2))
		c.say(senderAgent, a, c.replyDelay())
	}
	c.close(a, c.closeDelay())
}

// transfer hands the ticket to another agent. Half the time the ticket had been closed by
// the first agent and surveyed before the customer reopened it: the survey's agent then
// differs from the final closing agent.
func (c *conversation) transfer(from int) int {
	if c.r.Float64() < 0.5 {
		firstClose := c.at + c.lognormal(3600, 1)
		s := &c.d.scratch
		*s = survey{sent: firstClose + 1800 + c.r.Int64N(3*3600), agent: from}
		c.answer(s, c.d.topic)
		c.d.survey = s
		c.at = s.sent // the customer's next message reopens the ticket
	}
	return c.pickAgent(from)
}

var (
	roundWeights = newWeighted(40, 35, 15, 10) // customer-agent exchanges after the first reply
	// median first response per channel (email, chat, phone, social), seconds
	firstResponseMedian = []float64{3 * 3600, 90, 60, 1.5 * 3600}
)

func (c *conversation) firstResponseDelay() int64 {
	median := firstResponseMedian[c.d.channel]
	sigma := 1.2
	if c.isChat() {
		sigma = 0.8
	}
	return c.lognormal(median*priorityUrgency[c.d.priority], sigma)
}

func (c *conversation) replyDelay() int64 {
	if c.isChat() {
		return c.lognormal(120, 0.8)
	}
	return c.lognormal(2*3600, 1.1)
}

func (c *conversation) closeDelay() int64 {
	if c.isChat() {
		return c.lognormal(10*60, 0.8)
	}
	return c.lognormal(4*3600, 1)
}

func (c *conversation) close(agent int, after int64) {
	if c.r.Float64() < 0.07 { // waiting on the customer
		return
	}
	c.d.closed, c.d.closer = c.at+after, agent
	if c.d.survey == nil && c.r.Float64() < 0.6 {
		s := &c.d.scratch
		*s = survey{sent: c.d.closed + 1800 + c.r.Int64N(3*3600), agent: agent}
		c.answer(s, c.d.topic)
		c.d.survey = s
	}
}

func (c *conversation) answer(s *survey, topic int) {
	if c.r.Float64() < 0.4 {
		s.responded = s.sent + c.lognormal(2*3600, 1.3)
		s.score = int16(scoreWeights(s.agent, topic).pick(c.r) + 1)
	}
}

// finish cuts everything that would happen after the end of the data: the world stops at End.
func (c *conversation) finish() {
	end := c.w.end
	d := c.d
	n := 0
	for _, m := range d.messages {
		if m.at < end {
			d.messages[n] = m
			n++
		}
	}
	d.messages = d.messages[:n]
	if d.closed >= end {
		d.closed, d.closer = 0, -1
	}
	if s := d.survey; s != nil {
		switch {
		case s.sent >= end:
			d.survey = nil
		case s.responded >= end:
			s.responded, s.score = 0, 0
		}
	}
	if d.closed == 0 && d.survey != nil && d.survey.sent > d.messages[len(d.messages)-1].at {
		d.survey = nil // surveyed after the last message of a ticket not closed yet: not reopened yet
	}
}
