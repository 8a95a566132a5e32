package engine_test

// Property test: random data and random queries, every value the engine returns compared with the
// brute-force reference of bruteforce_test.go. Times sit on whole hours so that equal timestamps
// and values exactly on range, bucket and window edges happen often.

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
)

var (
	// bfBase is the start of the generated data (a window with both EU and US DST changes).
	bfBase = time.Date(2024, 10, 20, 0, 0, 0, 0, time.UTC)
	// bfHorizon: every generated instant is at most this many hours after bfBase, before "now".
	bfHorizon = 19 * 24
	bfNow     = bfBase.Add(time.Duration(bfHorizon)*time.Hour + 30*time.Minute)

	bfAgents     = []string{"alice", "bob", "carol"}
	bfTicketTags = []string{"billing", "urgent", "returns"}
	bfZones      = []string{"UTC", "Europe/Paris", "America/New_York"}
	bfSLA        = map[string]time.Duration{"critical": time.Hour, "high": 4 * time.Hour, "normal": 24 * time.Hour,
		"low": 48 * time.Hour}

	bfTicketMetrics = []string{"tickets", "closed_tickets", "first_response_seconds_p50", "first_response_seconds_p90",
		"first_response_sla_rate", "resolution_seconds_p50", "resolution_seconds_p90", "billable_tickets",
		"automation_rate", "bot_response_rate", "first_response_business_seconds_p50", "first_response_business_seconds_p90",
		"resolution_business_seconds_p50", "resolution_business_seconds_p90"}
	bfAttributionMetrics = []string{"converted_tickets", "ticket_conversion_rate", "attributed_orders",
		"attributed_revenue", "attributed_average_basket", "conversation_conversion_rate"}
	bfCSATMetrics  = []string{"surveys_sent", "responses", "response_rate", "csat", "csat_average", "csat_lower_bound"}
	bfOrderMetrics = []string{"revenue", "orders", "average_order_value", "items_sold", "ordering_customers",
		"new_customers", "new_customer_revenue", "returning_customer_revenue", "new_customer_revenue_share"}
	bfTicketDims = []string{"agent", "channel", "project", "topic", "tag", "priority", "segment", "handled_by"}
	bfOrderDims  = []string{"project", "segment", "customer_type", "currency"}
)

const bfQueriesPerSeed = 40

// -bf.seeds runs more seeds than CI does (go test ./pkg/engine -run TestProperty -bf.seeds=200).
var bfSeeds = flag.Int("bf.seeds", 8, "seeds of the engine's property test")

func TestPropertyEngineMatchesBruteForce(t *testing.T) {
	db := newEnv(t, nil).db // one database, reloaded per seed: creating one costs more than the queries
	// The canonical table requires a customer_key, but users' mapping views may yield NULL, which
	// docs/METRICS.md decides (a new customer of its own): the generator makes some.
	db.Exec(t, "ALTER TABLE orders ALTER COLUMN customer_key DROP NOT NULL")
	for seed := range uint64(*bfSeeds) {
		t.Run(fmt.Sprint("seed", seed+1), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed+1, 0x5eed))
			d := bfGenerate(rng)
			cfg, jsonData := bfSettings(rng, d, seed%2 == 1)
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("settings %v, now %s, data:\n%s", jsonData, bfNow.Format(time.RFC3339), d.dump())
				}
			})
			env := envOn(t, db, jsonData)
			bfLoad(env, d)
			ref := &bfRef{d: d, cfg: cfg}
			// Each query is checked direct, as alert rules run, and through a read cache shared by the
			// seed's queries, as a dashboard's panels run (reads shared, answered tickets read alone).
			eng := env.engine(bfNow)
			cached := env.engine(bfNow).Cached(engine.NewCache(time.Hour, 64))
			universe := ref.labelUniverse()
			for i := range bfQueriesPerSeed {
				q := bfRandomQuery(rng, universe)
				if q.Defaults {
					q.Model, q.Anchor = cfg.Model, cfg.Anchor
				}
				if i%12 == 11 {
					q.Limit = 1 + rng.IntN(8)
				}
				for k, e := range []*engine.Engine{eng, cached} {
					name := fmt.Sprintf("seed %d query %d%s", seed+1, i, []string{"", " (cached)"}[k])
					if i%6 == 5 {
						bfCheckTickets(t, e, ref, q, name)
						continue
					}
					bfCheckMetrics(t, e, ref, q, universe, name)
				}
			}
		})
	}
}

// bfSettings varies the VIP rule per seed so that every segment occurs and each VIP threshold is
// met exactly: either the order count decides (spend threshold out of reach), or the spend
// threshold is what one customer has spent after two or three orders.
func bfSettings(rng *rand.Rand, d *bfData, byCount bool) (bfConfig, map[string]any) {
	cfg := bfConfig{
		Currency: "USD", Excluded: []string{"cancelled", "refunded", "voided"},
		VIPMinSpent: 100000, VIPMinOrders: 3 + rng.IntN(2),
		VIPTags: []string{"vip", "gold"},
		SLA:     bfSLA, Now: bfNow,
	}
	if spent := bfSpentAfter(&bfRef{d: d, cfg: cfg}, "c0", 2+rng.IntN(2)); spent > 0 && !byCount {
		cfg.VIPMinSpent, cfg.VIPMinOrders = spent, 5
	}
	var hours map[string]any
	cfg.Hours, hours = bfGenerateHours(rng)
	cfg.SLAClock = bfPick(rng, []string{"calendar", "business"})
	// The attribution settings, which queries with Defaults use.
	cfg.Model, cfg.Anchor = bfPick(rng, []string{"last_touch", "linear", "first_touch"}), bfPick(rng, []string{"created", "closed"})
	return cfg, map[string]any{"vipMinSpent": cfg.VIPMinSpent, "vipMinOrders": cfg.VIPMinOrders, "vipTags": cfg.VIPTags,
		"businessHours": hours, "slaClock": cfg.SLAClock, "attributionModel": cfg.Model, "attributionAnchor": cfg.Anchor}
}

var bfWeekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// bfGenerateHours draws the team's opening hours (SPEC 5.3b) in a zone with a DST change in the data
// window: per weekday closed, open all day, open across the hour DST skips or repeats, an office day
// with a lunch break, or one interval on the half hour; and up to two holidays in the window.
func bfGenerateHours(rng *rand.Rand) (bfHours, map[string]any) {
	loc, _ := time.LoadLocation(bfPick(rng, bfZones))
	h := bfHours{Loc: loc, Week: map[time.Weekday][][2]int{}}
	week := map[string]any{}
	const half = 1800
	for wd := range 7 {
		var ivs [][2]int
		switch rng.IntN(6) {
		case 1:
			ivs = [][2]int{{0, 86400}}
		case 2:
			ivs = [][2]int{{3600, 3 * 3600}}
		case 3:
			start := half * rng.IntN(47)
			ivs = [][2]int{{start, start + half*(1+rng.IntN(48-start/half))}}
		case 4, 5:
			ivs = [][2]int{{9 * 3600, 12*3600 + half}, {13*3600 + half*rng.IntN(3), 18 * 3600}}
		}
		if len(ivs) == 0 && wd == 6 && len(h.Week) == 0 {
			ivs = [][2]int{{9 * 3600, 18 * 3600}} // open some time in the week
		}
		if len(ivs) == 0 {
			continue
		}
		h.Week[time.Weekday(wd)] = ivs
		var pairs [][]string
		for _, iv := range ivs {
			pairs = append(pairs, []string{fmt.Sprintf("%02d:%02d", iv[0]/3600, iv[0]%3600/60), fmt.Sprintf("%02d:%02d", iv[1]/3600, iv[1]%3600/60)})
		}
		week[bfWeekdays[wd]] = pairs
	}
	for range rng.IntN(3) {
		h.Holidays = append(h.Holidays, bfBase.AddDate(0, 0, rng.IntN(20)).Format("2006-01-02"))
	}
	return h, map[string]any{"timezone": loc.String(), "week": week, "holidays": append([]string{}, h.Holidays...)}
}

// bfSpentAfter: a customer's spend after its first n eligible orders, in whole units; 0 when it has
// fewer orders or the sum has cents.
func bfSpentAfter(r *bfRef, key string, n int) int64 {
	var amounts []int64
	for _, o := range slices.SortedFunc(slices.Values(r.d.Orders), func(a, b bfOrder) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	}) {
		if amt, ok := r.amount(o); ok && o.Key == key {
			amounts = append(amounts, amt)
		}
	}
	if len(amounts) < n {
		return 0
	}
	sum := int64(0)
	for _, a := range amounts[:n] {
		sum += a
	}
	if sum%bfMoneyScale != 0 {
		return 0
	}
	return sum / bfMoneyScale
}

func bfHour(h int) time.Time { return bfBase.Add(time.Duration(h) * time.Hour) }

func bfPick[T any](rng *rand.Rand, v []T) T { return v[rng.IntN(len(v))] }

func bfChance(rng *rand.Rand, pct int) bool { return rng.IntN(100) < pct }

func bfGenerate(rng *rand.Rand) *bfData {
	d := &bfData{}
	keys := bfGenerateCustomers(rng, d)
	bfGenerateTickets(rng, d, keys)
	bfGenerateOrders(rng, d, keys)
	return d
}

// bfGenerateCustomers returns the customer keys tickets and orders use: shop customers, one key
// with orders but no customer row, and one helpdesk-only key.
func bfGenerateCustomers(rng *rand.Rand, d *bfData) []string {
	n := 5 + rng.IntN(4)
	var keys []string
	for i := range n {
		c := bfCustomer{Key: fmt.Sprintf("c%d", i), Created: bfHour(-500 + rng.IntN(400))}
		// c0 (whose spend sets the VIP threshold) untagged, c1 subscriber, c2 gold, c3 vip, then random.
		tags := [][]string{nil, {"subscriber"}, {"gold", "subscriber"}, {"vip"}, nil, nil}
		if i < 4 {
			c.Tags = tags[i]
		} else {
			c.Tags = bfPick(rng, tags[1:])
		}
		d.Customers = append(d.Customers, c)
		keys = append(keys, c.Key)
	}
	return append(keys, "ghost")
}

func bfGenerateTickets(rng *rand.Rand, d *bfData, keys []string) {
	n := 30 + rng.IntN(31)
	for i := range n {
		t := bfTicket{ID: fmt.Sprintf("t%03d", i), Channel: bfPick(rng, []string{"email", "chat", "phone"}),
			Project: bfPick(rng, []string{"shopA", "shopB"}), Topic: bfPick(rng, []string{"", "shipping", "refund"}),
			Priority: bfPick(rng, []string{"low", "normal", "high", "critical"}), Created: bfHour(rng.IntN(bfHorizon))}
		if bfChance(rng, 20) { // close to "now": SLA targets not passed yet
			t.Created = bfHour(bfHorizon - rng.IntN(48))
		}
		if !bfChance(rng, 15) {
			t.Key = bfPick(rng, append(keys, "helpdesk-only"))
		}
		if i > 0 && bfChance(rng, 15) { // same customer, same instant: attribution ties
			prev := d.Tickets[rng.IntN(i)]
			t.Key, t.Created = prev.Key, prev.Created
		}
		for _, tag := range bfTicketTags {
			if bfChance(rng, 30) {
				t.Tags = append(t.Tags, tag)
			}
		}
		if closed := t.Created.Add(time.Duration(rng.IntN(73)) * time.Hour); bfChance(rng, 75) && !closed.After(bfHour(bfHorizon)) {
			t.Closed = &closed
			if !bfChance(rng, 15) {
				t.Agent = bfPick(rng, bfAgents)
			}
		}
		d.Tickets = append(d.Tickets, t)
		bfGenerateMessages(rng, d, t)
		bfGenerateSurvey(rng, d, t)
	}
}

// bfGenerateMessages: the first message is alone at its instant (at or after created_at); later
// ones are strictly after it and may tie with each other.
func bfGenerateMessages(rng *rand.Rand, d *bfData, t bfTicket) {
	first := t.Created.Add(time.Duration(rng.IntN(7)) * time.Hour)
	for j := range rng.IntN(5) {
		m := bfMessage{Ticket: t.ID, Sent: first}
		if j == 0 {
			m.Kind = bfPick(rng, []string{"customer", "customer", "customer", "customer", "agent", "bot", "rule"})
		} else {
			m.Sent = first.Add(time.Duration(1+rng.IntN(30)) * time.Hour)
			m.Kind = bfPick(rng, []string{"customer", "customer", "agent", "agent", "bot", "rule"})
			if atTarget := t.Created.Add(bfSLA[t.Priority]); bfChance(rng, 30) && atTarget.After(first) {
				m.Sent, m.Kind = atTarget, "agent" // a reply exactly on the SLA target
			}
		}
		if m.Sent.After(bfHour(bfHorizon)) {
			continue
		}
		if m.Kind == "agent" {
			m.Agent = bfPick(rng, bfAgents)
		}
		d.Messages = append(d.Messages, m)
	}
}

func bfGenerateSurvey(rng *rand.Rand, d *bfData, t bfTicket) {
	if t.Closed == nil || !bfChance(rng, 60) {
		return
	}
	s := bfSurvey{Ticket: t.ID, Sent: t.Closed.Add(time.Duration(rng.IntN(5)) * time.Hour)}
	if s.Sent.After(bfHour(bfHorizon)) {
		return
	}
	if responded := s.Sent.Add(time.Duration(rng.IntN(25)) * time.Hour); bfChance(rng, 70) && !responded.After(bfHour(bfHorizon)) {
		s.Responded = &responded
		s.Score = bfPick(rng, []int{1, 2, 3, 4, 4, 5, 5, 5})
	}
	if bfChance(rng, 40) {
		s.Agent = bfPick(rng, bfAgents)
	}
	d.Surveys = append(d.Surveys, s)
}

func bfGenerateOrders(rng *rand.Rand, d *bfData, keys []string) {
	var identified []bfTicket
	for _, t := range d.Tickets {
		if t.Key != "" && t.Key != "helpdesk-only" {
			identified = append(identified, t)
		}
	}
	n := 30 + rng.IntN(31)
	for i := range n {
		o := bfOrder{ID: fmt.Sprintf("o%03d", i), Key: bfPick(rng, keys), Created: bfHour(-240 + rng.IntN(bfHorizon+241)),
			Status:   bfPick(rng, []string{"paid", "paid", "paid", "paid", "paid", "shipped", "pending", "cancelled", "refunded", "voided"}),
			Cents:    int64(500 + rng.IntN(40000)),
			Currency: "USD", Project: bfPick(rng, []string{"", "shopA", "shopB"})}
		if bfChance(rng, 55) && len(identified) > 0 {
			bfNearTicket(rng, &o, bfPick(rng, identified))
		}
		if i > 0 && bfChance(rng, 10) { // same customer, same instant: (created_at, id) order matters
			prev := d.Orders[rng.IntN(i)]
			o.Key, o.Created = prev.Key, prev.Created
		}
		// Round amounts in the shop currency (always for some customers) make lifetime spend hit the
		// VIP threshold exactly.
		if round := strings.ContainsAny(o.Key, "024"); round || bfChance(rng, 40) {
			o.Cents = bfPick(rng, []int64{5000, 10000, 15000, 25000})
		} else if bfChance(rng, 30) {
			o.Currency = "EUR"
			if bfChance(rng, 30) { // at UTC midnight: the rate is the new day's, whatever the zone
				o.Created = o.Created.Truncate(24 * time.Hour)
			}
		}
		if o.Created.After(bfHour(bfHorizon)) {
			o.Created = bfHour(bfHorizon)
		}
		if bfChance(rng, 6) { // no customer_key (a tie above may also copy an earlier order's NULL key)
			o.Key = ""
		}
		d.Orders = append(d.Orders, o)
	}
	bfTieFirstOrders(rng, d, n)
	for i, o := range d.Orders {
		for j := range 1 + rng.IntN(3) {
			d.Lines = append(d.Lines, bfLine{Order: o.ID, Product: fmt.Sprintf("p%d", (i+j)%5), Qty: 1 + rng.IntN(3),
				Cents: int64(100 + rng.IntN(10000))})
		}
	}
	for day := -11; day <= 20; day++ {
		if bfChance(rng, 60) {
			rate := bfRate{Currency: "EUR", Day: bfBase.AddDate(0, 0, day).Format("2006-01-02"), Rate: int64(10500 + rng.IntN(1000))}
			if bfChance(rng, 40) { // x.xx50: odd cents convert to exactly half of the rounding unit
				rate.Rate = rate.Rate/100*100 + 50
			}
			d.Rates = append(d.Rates, rate)
		}
	}
}

// bfNearTicket puts an order near a ticket of its customer, often exactly on a window edge or on
// the instant the ticket's segment is judged.
func bfNearTicket(rng *rand.Rand, o *bfOrder, t bfTicket) {
	o.Key = t.Key
	o.Created = t.Created.Add(time.Duration(bfPick(rng, []int{0, 0, 24, 72, -1, rng.IntN(80)})) * time.Hour)
	if t.Closed != nil && bfChance(rng, 30) { // at the close, or on a window edge of the closed anchor
		o.Created = t.Closed.Add(time.Duration(bfPick(rng, []int{0, 0, 24, 72, -1, 23, 71})) * time.Hour)
	}
	if t.Closed == nil && bfChance(rng, 15) { // long after an open ticket's creation
		o.Created = t.Created.Add(time.Duration(80+rng.IntN(100)) * time.Hour)
	}
}

// bfTieFirstOrders adds, for a few customers, a paid order at the instant of their earliest order
// (made paid too): which one is "first ever" then depends on the id. Customers whose history starts
// inside the data window are preferred, so that queries see the tie.
func bfTieFirstOrders(rng *rand.Rand, d *bfData, next int) {
	first := map[string]int{}
	for i, o := range d.Orders {
		if j, ok := first[o.Key]; !ok || o.Created.Before(d.Orders[j].Created) {
			first[o.Key] = i
		}
	}
	var late, all []int
	for _, i := range first {
		all = append(all, i)
		if !d.Orders[i].Created.Before(bfBase) {
			late = append(late, i)
		}
	}
	slices.Sort(all)
	slices.Sort(late)
	for k := range 3 {
		pool := late
		if len(pool) == 0 {
			pool = all
		}
		i := bfPick(rng, pool)
		d.Orders[i].Status, d.Orders[i].Currency = "paid", "USD"
		tie := d.Orders[i]
		tie.ID = fmt.Sprintf("o%03d", next+k)
		if bfChance(rng, 50) { // the smaller id on the tie
			tie.ID = fmt.Sprintf("o0%d%s", k, d.Orders[i].ID[1:])
		}
		d.Orders = append(d.Orders, tie)
	}
}

// dump lists the data set, one row a line, for reproducing a failure in a fixture test.
func (d *bfData) dump() string {
	var b strings.Builder
	at := func(t time.Time) string { return t.UTC().Format("01-02T15Z") }
	opt := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return at(*t)
	}
	for _, c := range d.Customers {
		fmt.Fprintf(&b, "customer %s tags=%v\n", c.Key, c.Tags)
	}
	for _, t := range d.Tickets {
		fmt.Fprintf(&b, "ticket %s key=%q %s/%s/%q/%s tags=%v created=%s closed=%s agent=%q\n", t.ID, t.Key, t.Channel,
			t.Project, t.Topic, t.Priority, t.Tags, at(t.Created), opt(t.Closed), t.Agent)
	}
	for _, m := range d.Messages {
		fmt.Fprintf(&b, "message %s %s %s %q\n", m.Ticket, at(m.Sent), m.Kind, m.Agent)
	}
	for _, s := range d.Surveys {
		fmt.Fprintf(&b, "survey %s sent=%s responded=%s score=%d agent=%q\n", s.Ticket, at(s.Sent), opt(s.Responded), s.Score, s.Agent)
	}
	for _, o := range d.Orders {
		fmt.Fprintf(&b, "order %s key=%q %s %s %s %s project=%q\n", o.ID, o.Key, at(o.Created), o.Status, bfMoney(o.Cents),
			o.Currency, o.Project)
	}
	for _, r := range d.Rates {
		fmt.Fprintf(&b, "rate %s %s %d/10000\n", r.Currency, r.Day, r.Rate)
	}
	return b.String()
}

func bfMoney(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

func bfNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// bfInsert runs one multi-row INSERT of rows (each a list of column values).
func bfInsert(env *testEnv, table, columns string, rows [][]any) {
	if len(rows) == 0 {
		return
	}
	var values []string
	var args []any
	for _, row := range rows {
		var ph []string
		for _, v := range row {
			args = append(args, v)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		values = append(values, "("+strings.Join(ph, ",")+")")
	}
	env.exec("INSERT INTO "+table+" ("+columns+") VALUES "+strings.Join(values, ","), args...)
}

func bfLoad(env *testEnv, d *bfData) {
	env.exec("TRUNCATE customers, tickets, messages, csat_responses, orders, order_lines, exchange_rates")
	var rows [][]any
	for _, c := range d.Customers {
		rows = append(rows, []any{c.Key, c.Created, append([]string{}, c.Tags...)})
	}
	bfInsert(env, "customers", "customer_key, created_at, tags", rows)
	rows = nil
	for _, t := range d.Tickets {
		rows = append(rows, []any{t.ID, bfNull(t.Key), t.Channel, t.Project, bfNull(t.Topic), t.Priority,
			append([]string{}, t.Tags...), t.Created, t.Closed, bfNull(t.Agent)})
	}
	bfInsert(env, "tickets", "id, customer_key, channel, project, topic, priority, tags, created_at, closed_at, closing_agent", rows)
	rows = nil
	for _, m := range d.Messages {
		rows = append(rows, []any{m.Ticket, m.Sent, m.Kind, bfNull(m.Agent)})
	}
	bfInsert(env, "messages", "ticket_id, sent_at, sender_kind, agent", rows)
	rows = nil
	for _, s := range d.Surveys {
		var score any
		if s.Score != 0 {
			score = s.Score
		}
		rows = append(rows, []any{s.Ticket, s.Sent, s.Responded, score, bfNull(s.Agent)})
	}
	bfInsert(env, "csat_responses", "ticket_id, sent_at, responded_at, score, agent", rows)
	rows = nil
	for _, o := range d.Orders {
		rows = append(rows, []any{o.ID, bfNull(o.Key), o.Created, o.Status, bfMoney(o.Cents), o.Currency, bfNull(o.Project)})
	}
	bfInsert(env, "orders", "id, customer_key, created_at, status, total, currency, project", rows)
	rows = nil
	for _, l := range d.Lines {
		rows = append(rows, []any{l.Order, l.Product, "Product " + l.Product, l.Qty, bfMoney(l.Cents)})
	}
	bfInsert(env, "order_lines", "order_id, product_id, product_name, quantity, line_total", rows)
	rows = nil
	for _, r := range d.Rates {
		rows = append(rows, []any{r.Currency, r.Day, fmt.Sprintf("%d.%04d", r.Rate/10000, r.Rate%10000)})
	}
	bfInsert(env, "exchange_rates", "currency, day, rate", rows)
}

// bfRandomQuery draws metrics of one side (helpdesk or orders), a grouping, filters, attribution
// options, zone, interval and a range on the hour grid.
func bfRandomQuery(rng *rand.Rand, universe map[string][]string) bfQuery {
	var pool, dims []string
	switch rng.IntN(5) {
	case 0:
		pool, dims = bfTicketMetrics, bfTicketDims
	case 1:
		pool, dims = bfAttributionMetrics, bfTicketDims
	case 2:
		pool, dims = bfCSATMetrics, bfTicketDims
	case 3:
		pool, dims = bfOrderMetrics, bfOrderDims
	default:
		pool, dims = slices.Concat(bfTicketMetrics, bfAttributionMetrics, bfCSATMetrics), bfTicketDims
	}
	q := bfQuery{Filters: map[string][]string{}, Window: time.Duration(bfPick(rng, []int{24, 72})) * time.Hour,
		Model: bfPick(rng, []string{"last_touch", "first_touch", "linear"}), Anchor: bfPick(rng, []string{"created", "closed"}),
		Basis:    bfPick(rng, []string{"ticket", "order"}),
		Interval: bfPick(rng, []string{"day", "day", "week"})}
	q.Loc, _ = time.LoadLocation(bfPick(rng, bfZones))
	for _, i := range rng.Perm(len(pool))[:1+rng.IntN(min(4, len(pool)))] {
		q.Metrics = append(q.Metrics, pool[i])
	}
	d := bfShuffle(rng, dims)
	switch rng.IntN(6) {
	case 1:
		q.GroupBy = []string{"time"}
	case 2:
		q.GroupBy = []string{d[0]}
	case 3:
		q.GroupBy = []string{"time", d[0]}
	case 4:
		q.GroupBy = []string{d[0], "time"}
	case 5:
		q.GroupBy = []string{d[0], d[1]}
	}
	for _, key := range bfShuffle(rng, dims)[:rng.IntN(3)] {
		values := universe[key]
		for _, j := range rng.Perm(len(values))[:1+rng.IntN(min(2, len(values)))] {
			q.Filters[key] = append(q.Filters[key], values[j])
		}
	}
	from := -30 + rng.IntN(bfHorizon+30)
	if bfChance(rng, 30) { // a range on the zone's midnights
		y, m, dd := bfHour(from).In(q.Loc).Date()
		q.From = time.Date(y, m, dd, 0, 0, 0, 0, q.Loc)
	} else {
		q.From = bfHour(from)
	}
	q.To = q.From.Add(time.Duration(1+rng.IntN(10*24)) * time.Hour)
	if q.To.Sub(q.From) <= 48*time.Hour && bfChance(rng, 50) {
		q.Interval = "hour"
	}
	if bfChance(rng, 15) { // the data source's defaults: 72 h, the seed's model and anchor, ticket basis, UTC
		q.Defaults, q.Window, q.Basis, q.Loc = true, 72*time.Hour, "ticket", time.UTC
	}
	q.SLAClock = bfPick(rng, []string{"", "calendar", "business"})
	// Drawn last, so that the queries above are those of the seeds before ad hoc filters existed.
	if bfChance(rng, 25) { // an excluding ad hoc filter, maybe on a key the query also filters by
		key := bfPick(rng, dims)
		if values := universe[key]; len(values) > 0 {
			q.Excluded = map[string][]string{key: {bfPick(rng, values)}}
		}
	}
	return q
}

// bfShuffle permutes dimensions, putting the ones with the most rules (segment, tag, customer type)
// first half of the time.
func bfShuffle(rng *rand.Rand, dims []string) []string {
	out := slices.Clone(dims)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if bfChance(rng, 50) {
		slices.SortStableFunc(out, func(a, b string) int {
			rich := func(s string) bool { return s == "segment" || s == "tag" || s == "customer_type" }
			return cmp.Compare(bfBool(rich(b)), bfBool(rich(a)))
		})
	}
	return out
}

func bfBool(b bool) int {
	if b {
		return 1
	}
	return 0
}

var bfFilterKeys = map[string]string{"agent": "agents", "channel": "channels", "project": "projects", "topic": "topics",
	"tag": "tags", "priority": "priorities", "segment": "segments", "customer_type": "customer_types",
	"currency": "currencies", "handled_by": "handledBy"}

func (q bfQuery) json(queryType string) string {
	filters := map[string][]string{}
	for k, v := range q.Filters {
		filters[bfFilterKeys[k]] = v
	}
	query := map[string]any{"queryType": queryType, "metrics": q.Metrics, "groupBy": q.GroupBy,
		"interval": q.Interval, "filters": filters, "limit": q.Limit}
	var adhoc []map[string]any
	for k, v := range q.Excluded {
		adhoc = append(adhoc, map[string]any{"key": k, "operator": "!=|", "value": "", "values": v})
	}
	if adhoc != nil {
		query["adhocFilters"] = adhoc
	}
	if q.SLAClock != "" {
		query["slaClock"] = q.SLAClock
	}
	if !q.Defaults {
		query["timezone"] = q.Loc.String()
		query["attribution"] = map[string]any{"windowHours": q.Window.Hours(), "model": q.Model, "dateBasis": q.Basis,
			"anchor": q.Anchor}
	}
	raw, err := json.Marshal(query)
	if err != nil {
		panic(err)
	}
	return string(raw)
}

func (q bfQuery) describe() string {
	return fmt.Sprintf("range [%s, %s) query %s", q.From.UTC().Format(time.RFC3339), q.To.UTC().Format(time.RFC3339),
		q.json("metrics"))
}

func bfCheckMetrics(t *testing.T, eng *engine.Engine, ref *bfRef, q bfQuery, universe map[string][]string, name string) {
	t.Helper()
	name = name + ": " + q.describe()
	res, err := eng.Metrics(ctx, engine.Request{Query: parse(t, q.json("metrics")), From: q.From, To: q.To})
	require.NoError(t, err, name)
	dims := slices.DeleteFunc(slices.Clone(q.GroupBy), func(s string) bool { return s == "time" })
	require.Equal(t, len(dims), len(res.Dims), "%s: dims %v", name, res.Dims)
	if len(dims) > 0 {
		require.Equal(t, dims, res.Dims, name)
	}
	cells := bfCells(t, q, res, name)
	got := map[string]engine.Group{}
	for _, g := range res.Groups {
		_, dup := got[bfKey(g.Labels)]
		require.False(t, dup, "%s: group %v twice", name, g.Labels)
		got[bfKey(g.Labels)] = g
	}
	for _, labels := range bfCombinations(dims, universe, res.Groups) {
		for i := range cells {
			cells[i].labels = map[string]string{}
			for di, dim := range dims {
				cells[i].labels[dim] = labels[di]
			}
		}
		g, present := got[bfKey(labels)]
		bfCheckGroup(t, ref, q, cells, g, present, bfGroupName(dims, labels), name)
	}
}

// bfGroupName names a group by its dimensions, as "[tag=billing segment=vip]".
func bfGroupName(dims, labels []string) string {
	parts := make([]string, len(dims))
	for i, dim := range dims {
		parts[i] = dim + "=" + labels[i]
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// bfCells are the buckets of the result (the whole range without time), checked against the
// calendar buckets of the reference.
func bfCells(t *testing.T, q bfQuery, res *engine.Result, name string) []bfCell {
	if !slices.Contains(q.GroupBy, "time") {
		return []bfCell{{from: q.From, to: q.To}}
	}
	want := q.buckets()
	require.Equal(t, len(want), len(res.Times), "%s: buckets %v, got %v", name, want, res.Times)
	var cells []bfCell
	for i, b := range want {
		// A bucket is stamped at its calendar start, or at the range's start when the range cuts it.
		stamp := bfLater(b, q.From)
		require.True(t, stamp.Equal(res.Times[i]), "%s: bucket %d is stamped %s, got %s", name, i, stamp, res.Times[i])
		cells = append(cells, bfCell{from: bfLater(b, q.From), to: bfEarlier(q.next(b), q.To)})
	}
	return cells
}

// bfCheckGroup compares one group's values. The groups are exactly the values present in the
// populations of the query's metrics (issue 12 item 6): a group the engine left out must have no data
// at all, and a group it shows must have some, in some metric and bucket. Failures name the metric,
// group and bucket first, then the query (where).
func bfCheckGroup(t *testing.T, ref *bfRef, q bfQuery, cells []bfCell, g engine.Group, present bool, group, where string) {
	t.Helper()
	if present {
		require.Len(t, g.Values, len(q.Metrics), "group %s\n%s", group, where)
	}
	populated := false
	defer func() {
		if present && !populated && group != "[]" {
			require.Failf(t, "group without population", "group %s: the engine shows it, but no row of any metric's population has its values\n%s",
				group, where)
		}
	}()
	for mi, metric := range q.Metrics {
		for bi, cell := range cells {
			want, hasData := ref.value(metric, q, cell)
			populated = populated || hasData
			at := fmt.Sprintf("metric %s, group %s, bucket %s", metric, group, bfSpan(cell))
			if !present {
				if hasData {
					require.Failf(t, "group missing", "%s: reference %s (the group has data), engine: no such group\n%s",
						at, bfShow(want), where)
				}
				continue
			}
			require.Len(t, g.Values[mi], len(cells), "%s\n%s", at, where)
			bfRequireValue(t, want, g.Values[mi][bi], "%s\n%s", at, where)
		}
	}
}

func bfSpan(c bfCell) string {
	return c.from.UTC().Format(time.RFC3339) + ".." + c.to.UTC().Format(time.RFC3339)
}

func bfLater(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func bfEarlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// bfCombinations: every label combination of the dimensions, from the data and from the engine's
// groups (an engine group the reference does not know is still compared).
func bfCombinations(dims []string, universe map[string][]string, groups []engine.Group) [][]string {
	out := [][]string{{}}
	for di, dim := range dims {
		values := slices.Clone(universe[dim])
		for _, g := range groups {
			if !slices.Contains(values, g.Labels[di]) {
				values = append(values, g.Labels[di])
			}
		}
		var next [][]string
		for _, prefix := range out {
			for _, v := range values {
				next = append(next, append(slices.Clone(prefix), v))
			}
		}
		out = next
	}
	return out
}

func bfShow(v *float64) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprint(*v)
}

// bfRequireValue fails unless the engine's value (got) equals the reference's (want), both nil
// meaning "nothing to divide by". format names the value (its first line is the headline).
func bfRequireValue(t *testing.T, want, got *float64, format string, args ...any) {
	t.Helper()
	same := want == nil && got == nil
	if want != nil && got != nil {
		same = math.Abs(*want-*got) <= 1e-9*math.Max(1, math.Abs(*want))
	}
	if !same {
		head, rest, _ := strings.Cut(fmt.Sprintf(format, args...), "\n")
		require.Failf(t, "value differs", "%s: reference %s, engine %s\n%s", head, bfShow(want), bfShow(got), rest)
	}
}

// bfCheckTickets compares the drill-down with the reference: the same tickets, newest first, and
// per ticket its segment, closing agent, first response, conversion, credited orders, attributed
// revenue and CSAT score.
func bfCheckTickets(t *testing.T, eng *engine.Engine, ref *bfRef, q bfQuery, name string) {
	t.Helper()
	q.Metrics, q.GroupBy = nil, nil
	for k := range q.Filters {
		if !slices.Contains(bfTicketDims, k) {
			delete(q.Filters, k)
		}
	}
	excluded := map[string][]string{}
	for k, v := range q.Excluded {
		if slices.Contains(bfTicketDims, k) {
			excluded[k] = v
		}
	}
	q.Excluded = excluded
	q.Basis = "ticket"
	tab, err := eng.Tickets(ctx, engine.Request{Query: parse(t, q.json("tickets")), From: q.From, To: q.To})
	desc := fmt.Sprintf("%s: tickets drill-down, range [%s, %s) query %s", name, q.From.UTC().Format(time.RFC3339),
		q.To.UTC().Format(time.RFC3339), q.json("tickets"))
	require.NoError(t, err, desc)
	cols := map[string]any{}
	for _, c := range tab.Columns {
		cols[c.Key] = c.Values
	}
	want := ref.ticketRows(q)
	ids := cols["id"].([]string)
	created := cols["created_at"].([]time.Time)
	if q.Limit > 0 && q.Limit < len(want) {
		require.Len(t, ids, q.Limit, "drill-down: %d rows of %d\n%s", len(ids), len(want), desc)
		require.NotEmpty(t, tab.Notices, "drill-down: no notice that the limit cut the list\n%s", desc)
		for id := range want { // the rows left out are not newer than the last row shown
			require.True(t, slices.Contains(ids, id) || !ref.ticket(id).Created.After(created[len(ids)-1]),
				"drill-down: newer ticket %s left out\n%s", id, desc)
		}
	} else {
		require.ElementsMatch(t, slices.Collect(maps.Keys(want)), ids, "drill-down: ticket ids (reference, engine)\n%s", desc)
	}
	for i, id := range ids {
		w, ok := want[id]
		require.True(t, ok, "drill-down: unexpected ticket %s\n%s", id, desc)
		col := func(c string) string { return fmt.Sprintf("drill-down ticket %s, column %s\n%s", id, c, desc) }
		if i > 0 {
			require.False(t, created[i].After(created[i-1]), "%s: not newest first (%s after %s)", col("created_at"),
				created[i], created[i-1])
		}
		wantCreated := ref.ticket(id).Created
		bfRequireTime(t, &wantCreated, &created[i], col("created_at"))
		bfRequireTime(t, w.Closed, cols["closed_at"].([]*time.Time)[i], col("closed_at"))
		require.Equal(t, w.Agent, cols["agent"].([]string)[i], col("agent"))
		require.Equal(t, w.Segment, cols["segment"].([]string)[i], col("segment"))
		bfRequireValue(t, w.FirstResponse, cols["first_response_seconds"].([]*float64)[i], "%s", col("first_response_seconds"))
		bfRequireValue(t, w.Business, cols["first_response_business_seconds"].([]*float64)[i], "%s", col("first_response_business_seconds"))
		require.Equal(t, w.HandledBy, cols["handled_by"].([]string)[i], col("handled_by"))
		require.Equal(t, w.Converted, cols["converted"].([]bool)[i], col("converted"))
		bfRequireValue(t, &w.Credited, &cols["credited_orders"].([]float64)[i], "%s", col("credited_orders"))
		rev := cols["attributed_revenue"].([]float64)[i]
		bfRequireValue(t, &w.Revenue, &rev, "%s", col("attributed_revenue"))
		require.Equal(t, w.Score, cols["csat_score"].([]*int64)[i], col("csat_score"))
	}
}

// bfRequireTime fails unless both instants are unset or equal; what names the value (first line
// the headline).
func bfRequireTime(t *testing.T, want, got *time.Time, what string) {
	t.Helper()
	show := func(v *time.Time) string {
		if v == nil {
			return "nil"
		}
		return v.UTC().Format(time.RFC3339)
	}
	if (want == nil) != (got == nil) || (want != nil && !want.Equal(*got)) {
		head, rest, _ := strings.Cut(what, "\n")
		require.Failf(t, "value differs", "%s: reference %s, engine %s\n%s", head, show(want), show(got), rest)
	}
}
