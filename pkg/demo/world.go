package demo

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// The world is the skeleton of the data, kept compact in memory (a few tens of bytes per
// customer, order and ticket): who exists, when each order and ticket happened. Everything
// else (order lines, messages, surveys, ...) is derived from a random stream of its own per
// order or ticket while the rows stream into COPY, so it never sits in memory.

const (
	hour = int64(3600)
	day  = 24 * hour

	maxOrdersPerCustomer = 300 // default cap of Size.MaxOrders
	buyerShare           = 0.8 // customers with at least one order; the others are prospects
)

// Random stream ids: each derived entity draws from its own (seed, stream, index) generator.
const (
	streamWorld uint64 = iota + 1
	streamOrder
	streamTicket
	streamCart
	streamDisplays
)

// Customer tag flags.
const (
	tagVIP uint8 = 1 << iota
	tagGold
	tagSubscriber
)

type customer struct {
	created int64
	orders  int32
	project uint8
	tags    uint8
}

type order struct {
	at   int64
	cust int32
}

// Ticket kinds: how a ticket relates to the customer's orders.
const (
	kindBefore uint8 = iota // a question shortly before an order (what attribution finds)
	kindAfter               // about an order already placed
	kindRandom              // from a known customer, unrelated to any order
	kindAnon                // from an unidentified visitor
)

type ticket struct {
	at   int64
	cust int32 // -1: unidentified
	kind uint8
}

type world struct {
	opt        Options
	start, end int64 // the period, unix seconds, [start, end)

	customers []customer
	orders    []order  // sorted by time; the index is the order's number
	tickets   []ticket // sorted by time; the index is the ticket's number

	products   []product
	popularity weighted
	rateDay0   int64   // unix day of rates[0]
	rates      []int64 // EUR rate (shop currency per EUR) x 10^4, per day
}

func newWorld(opt Options) *world {
	w := &world{opt: opt, end: opt.End.Unix()}
	w.start = w.end - int64(opt.Days)*day
	r := w.rng(streamWorld, 0)
	w.products, w.popularity = newProducts(r)
	w.makeCustomers(r)
	w.makeTickets(r)
	w.makeRates(r)
	return w
}

func (w *world) rng(stream uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(w.opt.Seed, stream<<56^uint64(i)))
}

// makeCustomers draws customers and the times of their orders.
func (w *world) makeCustomers(r *rand.Rand) {
	n := w.opt.Customers
	counts := orderCounts(r, n, w.opt.Orders, w.opt.MaxOrders)
	w.customers = make([]customer, n)
	w.orders = make([]order, 0, w.opt.Orders)
	for i := range w.customers {
		c := &w.customers[i]
		c.orders = counts[i]
		c.project = uint8(projectWeights.pick(r))
		c.created = w.customerCreated(r, c.orders)
		c.tags = customerTags(r, c.orders)
		if c.orders == 0 {
			continue
		}
		first := c.created + r.Int64N(20*60)
		if r.Float64() < 0.3 {
			first = c.created + r.Int64N(45*day)
		}
		if first >= w.end {
			first = c.created + r.Int64N(w.end-c.created)
		}
		w.orders = append(w.orders, order{at: first, cust: int32(i)})
		for range c.orders - 1 {
			w.orders = append(w.orders, order{at: w.randTime(r, first, w.end), cust: int32(i)})
		}
	}
	slices.SortStableFunc(w.orders, func(a, b order) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.cust, b.cust))
	})
}

// Heavy buyers are old customers; the others join over the whole period or shortly before it.
func (w *world) customerCreated(r *rand.Rand, orders int32) int64 {
	switch {
	case orders >= 5:
		return w.randTime(r, w.start-365*day, w.start+60*day)
	case r.Float64() < 0.3:
		return w.randTime(r, w.start-365*day, w.start)
	}
	return w.randTime(r, w.start, w.end-hour)
}

func customerTags(r *rand.Rand, orders int32) uint8 {
	var tags uint8
	vipChance, goldChance := 0.012, 0.04
	if orders >= 8 {
		vipChance, goldChance = 0.35, 0.15
	}
	if r.Float64() < vipChance {
		tags |= tagVIP
	}
	if r.Float64() < goldChance {
		tags |= tagGold
	}
	if r.Float64() < 0.15 {
		tags |= tagSubscriber
	}
	return tags
}

// orderCounts gives each customer a number of orders summing to total: prospects have none,
// buyers follow a power law truncated at maxOrders (most buy once, a few up to maxOrders times).
func orderCounts(r *rand.Rand, customers, total, maxOrders int) []int32 {
	buyers := min(int(float64(customers)*buyerShare), total)
	dist := powerLaw(maxOrders, float64(total)/float64(buyers))
	counts := make([]int32, customers)
	sum := 0
	// Stratified draws (one per quantile slice) keep the sum close to the mean even with a
	// heavy tail, so the nudging below stays small.
	for j, i := range r.Perm(customers)[:buyers] {
		counts[i] = int32(dist.quantile((float64(j)+r.Float64())/float64(buyers)) + 1)
		sum += int(counts[i])
	}
	// Nudge random buyers until the total is exact.
	for sum != total {
		i := r.IntN(customers)
		switch {
		case sum < total && counts[i] > 0 && counts[i] < int32(maxOrders):
			counts[i]++
			sum++
		case sum > total && counts[i] > 1:
			counts[i]--
			sum--
		}
	}
	return counts
}

// powerLaw returns P(k) ~ k^-s over k = 1..kmax (as indexes 0..kmax-1) with the given mean.
func powerLaw(kmax int, mean float64) weighted {
	weights := func(s float64) ([]float64, float64) {
		ws := make([]float64, kmax)
		var sum, moment float64
		for k := 1; k <= kmax; k++ {
			ws[k-1] = math.Pow(float64(k), -s)
			sum += ws[k-1]
			moment += float64(k) * ws[k-1]
		}
		return ws, moment / sum
	}
	lo, hi := 0.0, 20.0 // the mean falls as s grows
	for range 60 {
		mid := (lo + hi) / 2
		if _, m := weights(mid); m > mean {
			lo = mid
		} else {
			hi = mid
		}
	}
	ws, _ := weights((lo + hi) / 2)
	return newWeighted(ws...)
}

// makeTickets places tickets around orders (before and after them), at random for known
// customers, and from unidentified visitors.
func (w *world) makeTickets(r *rand.Rand) {
	n := w.opt.Tickets
	w.tickets = make([]ticket, 0, n)
	kinds := newWeighted(25, 30, 25, 20) // before, after, random, anonymous
	for len(w.tickets) < n {
		if t, ok := w.newTicket(r, uint8(kinds.pick(r))); ok {
			w.tickets = append(w.tickets, t)
		}
	}
	slices.SortStableFunc(w.tickets, func(a, b ticket) int { return cmp.Compare(a.at, b.at) })
}

func (w *world) newTicket(r *rand.Rand, kind uint8) (ticket, bool) {
	t := ticket{cust: -1, kind: kind}
	switch kind {
	case kindBefore:
		o := w.orders[r.IntN(len(w.orders))]
		lead := 5*60 + r.Int64N(72*hour-6*60) // within the 72 h attribution window
		if r.Float64() < 0.1 {
			lead = 72*hour + r.Int64N(24*hour) // just outside it
		}
		t.at, t.cust = o.at-lead, o.cust
	case kindAfter:
		o := w.orders[r.IntN(len(w.orders))]
		t.at, t.cust = o.at+30*60+r.Int64N(14*day), o.cust
	case kindRandom:
		t.cust = int32(r.IntN(len(w.customers)))
		t.at = w.randTime(r, max(w.start, w.customers[t.cust].created), w.end)
	default:
		t.at = w.randTime(r, w.start, w.end)
	}
	return t, t.at >= w.start && t.at < w.end
}

// makeRates fills the EUR rate for every day from the first order to the end: a random walk
// around 1.08 shop-currency units per euro.
func (w *world) makeRates(r *rand.Rand) {
	first := w.start
	if len(w.orders) > 0 {
		first = min(first, w.orders[0].at)
	}
	w.rateDay0 = first/day - 1
	days := int(w.end/day - w.rateDay0 + 1)
	w.rates = make([]int64, days)
	rate := 1.08
	for i := range w.rates {
		rate = min(max(rate+0.004*r.NormFloat64(), 0.98), 1.22)
		w.rates[i] = int64(math.Round(rate * 1e4))
	}
}

// rateAt is the EUR rate (x 10^4) of the day of unix time t.
func (w *world) rateAt(t int64) int64 {
	i := min(max(int(t/day-w.rateDay0), 0), len(w.rates)-1)
	return w.rates[i]
}

// Activity by hour (UTC) and by weekday (Sunday first): busy office hours, calm weekends.
var (
	hourActivity = [24]float64{0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.7, 1, 1, 1, 0.95,
		0.9, 0.95, 1, 1, 0.95, 0.9, 0.85, 0.8, 0.7, 0.55, 0.4, 0.25}
	weekdayActivity = [7]float64{0.6, 1, 1, 0.95, 0.95, 0.9, 0.7}
)

// activity is the relative traffic at unix time t, with the November-December peak.
func activity(t int64) float64 {
	a := hourActivity[t/hour%24] * weekdayActivity[(t/day+4)%7] // 1970-01-01 was a Thursday
	if m, d := monthDay(t); (m == time.November && d >= 20) || (m == time.December && d <= 24) {
		a *= 1.6
	}
	return a
}

const maxActivity = 1.6

func monthDay(t int64) (time.Month, int) {
	_, m, d := time.Unix(t, 0).UTC().Date()
	return m, d
}

// randTime draws a time in [lo, hi) following activity.
func (w *world) randTime(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	t := lo + r.Int64N(hi-lo)
	for range 30 {
		if r.Float64()*maxActivity < activity(t) {
			break
		}
		t = lo + r.Int64N(hi-lo)
	}
	return t
}

// Identifiers of the generated entities.

func customerKey(i int32) string {
	return "customer" + strconv.Itoa(int(i)+1) + "@example.com"
}

func orderID(i int) string  { return strconv.Itoa(10_000_001 + i) }
func ticketID(i int) string { return strconv.Itoa(50_000_001 + i) }

func unixTime(t int64) time.Time { return time.Unix(t, 0).UTC() }
