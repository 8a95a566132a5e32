package engine_test

// Fixture builders and result accessors of the hand-computed tests (engine_test.go and the other
// spec_*_test.go files). Every fixture row is explicit: ids, timestamps and amounts are chosen in
// the test next to the values computed by hand from SPEC sections 4 and 5.

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
)

// hand is a test database with the fixture inserters and a fixed "now".
type hand struct {
	*testEnv
	now time.Time
}

// handDefaultNow is long after every fixture, so that every SLA target has passed unless a test
// fixes another "now".
const handDefaultNow = "2027-01-01T00:00:00Z"

func newHand(t *testing.T, jsonData map[string]any) *hand {
	t.Helper()
	return &hand{testEnv: newEnv(t, jsonData), now: ts(handDefaultNow)}
}

// hTicket is one tickets row. Empty strings are NULL (Customer, Topic, Closed, Agent) or the defaults
// channel "email", project "shop", priority "normal".
type hTicket struct {
	ID, Customer, Channel, Project, Topic, Priority string
	Tags                                            []string
	Created, Closed, Agent                          string
}

func (h *hand) tickets(rows ...hTicket) {
	h.t.Helper()
	for _, r := range rows {
		tags := r.Tags
		if tags == nil {
			tags = []string{}
		}
		h.exec(`INSERT INTO tickets (id, customer_key, channel, project, topic, priority, tags, created_at, closed_at, closing_agent)
VALUES ($1, NULLIF($2, ''), $3, $4, NULLIF($5, ''), $6, $7, $8::timestamptz, NULLIF($9, '')::timestamptz, NULLIF($10, ''))`,
			r.ID, r.Customer, hOr(r.Channel, "email"), hOr(r.Project, "shop"), r.Topic, hOr(r.Priority, "normal"), tags,
			r.Created, r.Closed, r.Agent)
	}
}

// hMessage is one messages row; Agent "" is NULL.
type hMessage struct{ Ticket, At, Kind, Agent string }

func (h *hand) messages(rows ...hMessage) {
	h.t.Helper()
	for _, r := range rows {
		h.exec(`INSERT INTO messages (ticket_id, sent_at, sender_kind, agent) VALUES ($1, $2::timestamptz, $3, NULLIF($4, ''))`,
			r.Ticket, r.At, r.Kind, r.Agent)
	}
}

// hSurvey is one csat_responses row; Responded "" and Score 0 are NULL, Agent "" is NULL.
type hSurvey struct {
	Ticket, Sent, Responded string
	Score                   int
	Agent                   string
}

func (h *hand) surveys(rows ...hSurvey) {
	h.t.Helper()
	for _, r := range rows {
		h.exec(`INSERT INTO csat_responses (ticket_id, sent_at, responded_at, score, agent)
VALUES ($1, $2::timestamptz, NULLIF($3, '')::timestamptz, NULLIF($4::int, 0)::smallint, NULLIF($5, ''))`,
			r.Ticket, r.Sent, r.Responded, r.Score, r.Agent)
	}
}

// hOrder is one orders row: Total is the exact decimal text; Status defaults to "paid", Currency to
// "USD", Project to "shop" ("-" for NULL).
type hOrder struct{ ID, Customer, Created, Total, Status, Currency, Project string }

func (h *hand) orders(rows ...hOrder) {
	h.t.Helper()
	for _, r := range rows {
		project := hOr(r.Project, "shop")
		if project == "-" {
			project = ""
		}
		h.exec(`INSERT INTO orders (id, customer_key, created_at, status, total, currency, project)
VALUES ($1, $2, $3::timestamptz, $4, $5::numeric, $6, NULLIF($7, ''))`,
			r.ID, r.Customer, r.Created, hOr(r.Status, "paid"), r.Total, hOr(r.Currency, "USD"), project)
	}
}

// hLine is one order_lines row.
type hLine struct {
	Order, Product, Name string
	Qty                  int
	Total                string
}

func (h *hand) lines(rows ...hLine) {
	h.t.Helper()
	for _, r := range rows {
		h.exec(`INSERT INTO order_lines (order_id, product_id, product_name, quantity, line_total) VALUES ($1, $2, $3, $4, $5::numeric)`,
			r.Order, r.Product, r.Name, r.Qty, r.Total)
	}
}

// hCustomer is one customers row.
type hCustomer struct {
	Key, Created string
	Tags         []string
}

func (h *hand) customers(rows ...hCustomer) {
	h.t.Helper()
	for _, r := range rows {
		tags := r.Tags
		if tags == nil {
			tags = []string{}
		}
		h.exec(`INSERT INTO customers (customer_key, created_at, tags) VALUES ($1, $2::timestamptz, $3)`, r.Key, r.Created, tags)
	}
}

// hDisplay is one chat_displays row.
type hDisplay struct {
	At, Project string
	N           int
}

func (h *hand) displays(rows ...hDisplay) {
	h.t.Helper()
	for _, r := range rows {
		h.exec(`INSERT INTO chat_displays (displayed_at, project, channel, displays) VALUES ($1::timestamptz, $2, 'chat', $3)`,
			r.At, r.Project, r.N)
	}
}

func (h *hand) rate(currency, day, rate string) {
	h.t.Helper()
	h.exec(`INSERT INTO exchange_rates (currency, day, rate) VALUES ($1, $2::date, $3::numeric)`, currency, day, rate)
}

// hCart is one cart_events row; Customer "" is NULL.
type hCart struct{ Customer, At, Amount, Currency string }

func (h *hand) carts(rows ...hCart) {
	h.t.Helper()
	for _, r := range rows {
		h.exec(`INSERT INTO cart_events (customer_key, created_at, amount, currency) VALUES (NULLIF($1, ''), $2::timestamptz, $3::numeric, $4)`,
			r.Customer, r.At, r.Amount, r.Currency)
	}
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func hOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// request parses the query JSON and pairs it with the range [from, to) given as RFC 3339 instants.
func (h *hand) request(query, from, to string) engine.Request {
	h.t.Helper()
	return engine.Request{Query: parse(h.t, query), From: ts(from), To: ts(to)}
}

// metrics runs a metrics query; it must succeed.
func (h *hand) metrics(query, from, to string) *engine.Result {
	h.t.Helper()
	res, err := h.engine(h.now).Metrics(ctx, h.request(query, from, to))
	require.NoError(h.t, err)
	return res
}

// metricsErr runs a metrics query that must fail, and returns its error.
func (h *hand) metricsErr(query, from, to string) error {
	h.t.Helper()
	_, err := h.engine(h.now).Metrics(ctx, h.request(query, from, to))
	require.Error(h.t, err)
	return err
}

// metricIndex is the position of a metric key in the result.
func (h *hand) metricIndex(res *engine.Result, key string) int {
	t := h.t
	t.Helper()
	for i, m := range res.Metrics {
		if m.Key == key {
			return i
		}
	}
	t.Fatalf("metric %s not in the result", key)
	return -1
}

// group finds the group with exactly these labels.
func (h *hand) group(res *engine.Result, labels ...string) engine.Group {
	t := h.t
	t.Helper()
	for _, g := range res.Groups {
		if strings.Join(g.Labels, "\x00") == strings.Join(labels, "\x00") {
			return g
		}
	}
	t.Fatalf("no group %q among %q", labels, hGroupLabels(res))
	return engine.Group{}
}

func hGroupLabels(res *engine.Result) [][]string {
	var out [][]string
	for _, g := range res.Groups {
		out = append(out, g.Labels)
	}
	return out
}

// series is the values of a metric over the buckets of the group with these labels.
func (h *hand) series(res *engine.Result, key string, labels ...string) []*float64 {
	t := h.t
	t.Helper()
	return h.group(res, labels...).Values[h.metricIndex(res, key)]
}

// value is the single value (no time grouping) of a metric for the group with these labels.
func (h *hand) value(res *engine.Result, key string, labels ...string) *float64 {
	t := h.t
	t.Helper()
	s := h.series(res, key, labels...)
	require.Len(t, s, 1, "metric %s of group %q is a series", key, labels)
	return s[0]
}

// previous is the single compared value of a metric for the group with these labels.
func (h *hand) previous(res *engine.Result, key string, labels ...string) *float64 {
	t := h.t
	t.Helper()
	g := h.group(res, labels...)
	require.NotNil(t, g.Previous, "no previous values")
	s := g.Previous[h.metricIndex(res, key)]
	require.Len(t, s, 1)
	return s[0]
}

// approx compares a computed value with the hand-computed one, to 1e-9 relative.
func (h *hand) approx(want float64, got *float64, what string) {
	t := h.t
	t.Helper()
	require.NotNil(t, got, "%s: no value, want %v", what, want)
	require.InDelta(t, want, *got, 1e-9*math.Max(1, math.Abs(want)), "%s", what)
}

// exact compares a money value with the hand-computed decimal: exact sums of 1/10000 units give the
// float64 nearest to the decimal, which float accumulation of the amounts would miss.
func (h *hand) exact(want float64, got *float64, what string) {
	t := h.t
	t.Helper()
	require.NotNil(t, got, "%s: no value, want %v", what, want)
	require.Equal(t, want, *got, "%s", what)
}

// none asserts "no data" (a ratio over zero, a percentile of nothing).
func (h *hand) none(got *float64, what string) {
	t := h.t
	t.Helper()
	require.Nil(t, got, "%s: want no value", what)
}

// expectAll checks many metrics of one group at once: key -> hand-computed value (approx).
func (h *hand) expectAll(res *engine.Result, want map[string]float64, labels ...string) {
	t := h.t
	t.Helper()
	for key, w := range want {
		h.approx(w, h.value(res, key, labels...), strings.Join(append([]string{key}, labels...), " / "))
	}
}

// floats turns a series into plain values, -1 standing for nil, for whole-series comparisons.
func hFloats(s []*float64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = -1
		if v != nil {
			out[i] = *v
		}
	}
	return out
}

// column is the values of a table column.
func (h *hand) column(tab *engine.Table, key string) any {
	t := h.t
	t.Helper()
	for _, c := range tab.Columns {
		if c.Key == key {
			return c.Values
		}
	}
	t.Fatalf("no column %s in table %s", key, tab.Name)
	return nil
}

// wilsonLowerRef is the 95% Wilson lower bound written independently of the engine, in its textbook
// form: (p + z²/2n - z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) x 100.
func wilsonLowerRef(pos, n float64) float64 {
	const z = 1.959963984540054
	p := pos / n
	return (p + z*z/(2*n) - z*math.Sqrt(p*(1-p)/n+z*z/(4*n*n))) / (1 + z*z/n) * 100
}
