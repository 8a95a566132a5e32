package engine_test

// Benchmarks of the engine's in-memory core: attribution, messages, surveys and aggregation over reads
// built in memory, so that they measure the Go code alone (the store's SQL is measured by cmd/bench).
// Run: go test -run '^$' -bench . -benchmem ./pkg/engine
// The ns/row figure should stay flat from 10k to 1M tickets: the cost is linear in the rows.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/store"
)

var benchEnd = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

const benchDays = 365

// benchData are the reads of one range, built once per size.
type benchData struct {
	tickets  *store.Tickets
	messages *store.Messages
	surveys  *store.Surveys
	orders   *store.Orders
	keys     store.Strings // each order's customer key, side by side as in the rows the store streams
}

func newBenchData(n int) *benchData {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	start := benchEnd.AddDate(0, 0, -benchDays).UnixMicro()
	span := benchEnd.UnixMicro() - start
	customers := max(n/2, 1)
	key := func(c int) string { return "customer" + strconv.Itoa(c) + "@example.com" }
	dict := func(values ...string) *store.Dict {
		d := store.NewDict()
		for _, v := range values {
			d.ID(v)
		}
		return d
	}
	t := &store.Tickets{Customers: store.NewDict(), Channels: dict("email", "chat", "phone", "social"),
		Projects: dict("shop", "outlet"), Topics: dict("shipping", "refund", "sizing", "payment", "other"),
		Priorities: dict("low", "normal", "high", "critical"), Agents: dict("alice", "bob", "carol", "dave", "erin"),
		TagNames: dict("billing", "urgent", "returns"), TagStart: []int32{0}}
	m := &store.Messages{Agents: t.Agents}
	s := &store.Surveys{Agents: t.Agents}
	for i := range n {
		created := start + rng.Int64N(span)
		t.ID.Append(strconv.Itoa(50_000_001 + i))
		c := int32(-1)
		if rng.IntN(5) > 0 {
			c = t.Customers.ID(key(rng.IntN(customers)))
		}
		t.Customer = append(t.Customer, c)
		t.Channel = append(t.Channel, rng.Int32N(4))
		t.Project = append(t.Project, rng.Int32N(2))
		t.Topic = append(t.Topic, rng.Int32N(6)-1)
		t.Priority = append(t.Priority, rng.Int32N(4))
		if rng.IntN(3) == 0 {
			t.TagIDs = append(t.TagIDs, rng.Int32N(3))
		}
		t.TagStart = append(t.TagStart, int32(len(t.TagIDs)))
		t.Created = append(t.Created, created)
		closed, agent := store.Null, int32(-1)
		if rng.IntN(10) > 0 {
			closed, agent = created+rng.Int64N(int64(72*time.Hour/time.Microsecond)), rng.Int32N(5)
		}
		t.Closed = append(t.Closed, closed)
		t.ClosingAgent = append(t.ClosingAgent, agent)
		m.Ticket.Append(t.ID.At(i))
		m.FirstReply = append(m.FirstReply, created+rng.Int64N(int64(24*time.Hour/time.Microsecond)))
		m.Flags = append(m.Flags, uint8(rng.IntN(8)))
		if closed != store.Null && rng.IntN(2) == 0 {
			s.Ticket = append(s.Ticket, t.ID.At(i))
			s.Sent = append(s.Sent, closed)
			s.Responded = append(s.Responded, closed+int64(time.Hour/time.Microsecond))
			s.Score = append(s.Score, int16(1+rng.IntN(5)))
			s.Agent = append(s.Agent, agent)
		}
	}
	o := &store.Orders{Customers: store.NewDict(), Currencies: dict("USD", "EUR"), Projects: t.Projects}
	for i := range 2 * n {
		o.ID.Append(strconv.Itoa(10_000_001 + i))
		o.Customer = append(o.Customer, o.Customers.ID(key(rng.IntN(customers))))
		o.Created = append(o.Created, start+rng.Int64N(span))
		o.Amount = append(o.Amount, 10_0000+rng.Int64N(200_0000))
		o.Currency = append(o.Currency, rng.Int32N(2))
		o.Project = append(o.Project, rng.Int32N(2))
	}
	d := &benchData{tickets: t, messages: m, surveys: s, orders: o}
	for i := range o.Len() {
		d.keys.Append(o.Customers.Values[o.Customer[i]])
	}
	return d
}

// benchHelpdesk and benchOrders serve the reads from memory, whatever the range asked. Each call
// returns a new read (sharing the columns), as the store does: what the engine derives from a read
// is kept on it, and must be derived again for the next.
type benchHelpdesk struct{ d *benchData }

func (h benchHelpdesk) ReadTickets(context.Context, store.TicketRead) (*store.Tickets, error) {
	t := *h.d.tickets
	return &t, nil
}
func (h benchHelpdesk) ScanMessages(ctx context.Context, r store.MessageRead, f func([]byte, int64, uint8)) error {
	m, err := h.ReadMessages(ctx, r)
	if err != nil {
		return err
	}
	for i := range m.Len() {
		f([]byte(m.Ticket.At(i)), m.FirstReply[i], m.Flags[i])
	}
	return nil
}
func (h benchHelpdesk) ReadMessages(context.Context, store.MessageRead) (*store.Messages, error) {
	return h.d.messages, nil
}
func (h benchHelpdesk) ReadSurveys(context.Context, time.Time, time.Time) (*store.Surveys, error) {
	s := *h.d.surveys
	return &s, nil
}
func (h benchHelpdesk) ReadSurveySlots(context.Context, store.SurveySlotRead) (*store.SurveySlots, error) {
	return nil, errors.New("the in-memory benchmark store does not count surveys: its queries read the surveys")
}
func (h benchHelpdesk) ReadDisplays(context.Context, time.Time, time.Time) (*store.Displays, error) {
	return &store.Displays{Projects: store.NewDict(), Channels: store.NewDict()}, nil
}
func (h benchHelpdesk) ReadTicketValues(context.Context, string, time.Time, time.Time) ([]string, error) {
	return nil, nil
}
func (h benchHelpdesk) ReadTicketScores(context.Context, []string, time.Time) (map[string]int16, error) {
	return map[string]int16{}, nil
}
func (h benchHelpdesk) Has(context.Context, string) (bool, error) { return true, nil }
func (h benchHelpdesk) Label() string                             { return "helpdesk store" }

type benchOrders struct{ d *benchData }

func (o benchOrders) ReadOrders(context.Context, store.OrderRead) (*store.Orders, error) {
	x := *o.d.orders
	return &x, nil
}
func (o benchOrders) ReadOrderSlots(context.Context, store.OrderSlotRead) (*store.OrderSlots, error) {
	return nil, errors.New("the in-memory benchmark store does not sum orders: its queries read the orders")
}
func (o benchOrders) ReadProductSums(context.Context, store.ProductRead) (*store.ProductSums, error) {
	return nil, errors.New("the in-memory benchmark store does not sum lines: its queries read the orders")
}
func (o benchOrders) ScanOrders(_ context.Context, _ store.OrderRead, f func(store.Order) error) error {
	x := o.d.orders
	currencies := [][]byte{[]byte("USD"), []byte("EUR")}
	for i := range x.Len() {
		err := f(store.Order{Customer: bytesOf(o.d.keys.At(i)), Created: x.Created[i], Amount: x.Amount[i],
			Currency: currencies[x.Currency[i]]})
		if err != nil {
			return err
		}
	}
	return nil
}

// bytesOf shares a string's bytes, as the store hands out the bytes of a row without copying.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (o benchOrders) ReadCustomerTotals(_ context.Context, r store.TotalsRead) (*store.Totals, error) {
	n := len(r.Keys)
	return &store.Totals{Count: make([]int32, n), Spent: make([]int64, n), Tagged: make([]bool, n)}, nil
}
func (o benchOrders) ReadHistory(context.Context, time.Time, []string, []string, string, int) (*store.History, error) {
	return &store.History{Customers: store.NewDict()}, nil
}
func (o benchOrders) ReadFirstOrders(_ context.Context, keys, _ []string, _ string, _ int) (*store.FirstOrders, error) {
	return &store.FirstOrders{Start: make([]int32, len(keys)+1)}, nil
}
func (o benchOrders) ReadLines(context.Context, store.OrderRead, *store.Orders) (*store.Lines, error) {
	return &store.Lines{Products: store.NewDict()}, nil
}
func (o benchOrders) ReadTaggedCustomers(context.Context, []string) (map[string]bool, error) {
	return map[string]bool{}, nil
}
func (o benchOrders) ReadFeed(context.Context, time.Time, time.Time, int) ([]store.FeedEvent, error) {
	return nil, nil
}
func (o benchOrders) ReadOrderValues(context.Context, string, time.Time, time.Time, []string) ([]string, error) {
	return nil, nil
}
func (o benchOrders) Has(context.Context, string) (bool, error) { return true, nil }
func (o benchOrders) Label() string                             { return "order store" }

// benchQueries are panels of the shipped dashboards: attribution, tickets with messages, CSAT, orders.
var benchQueries = []string{
	`{"metrics":["attributed_revenue","converted_tickets","ticket_conversion_rate"],"groupBy":["agent"]}`,
	`{"metrics":["attributed_revenue"],"groupBy":["time"],"interval":"day"}`,
	`{"metrics":["closed_tickets","conversation_conversion_rate","csat","automation_rate"],"groupBy":["topic"]}`,
	`{"metrics":["revenue","orders","new_customers"],"groupBy":["time"],"interval":"week"}`,
}

func benchEngine(b *testing.B, d *benchData) *engine.Engine {
	b.Helper()
	raw, _ := json.Marshal(map[string]any{"helpdeskHost": "localhost", "helpdeskDatabase": "bench", "helpdeskUser": "bench"})
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{JSONData: raw})
	if err != nil {
		b.Fatal(err)
	}
	return engine.New(s, benchHelpdesk{d}, benchOrders{d}).WithClock(func() time.Time { return benchEnd })
}

// BenchmarkMetrics runs each benchmark query once per iteration, without a cache: every iteration
// attributes, maps and aggregates again.
func BenchmarkMetrics(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		d := newBenchData(n)
		e := benchEngine(b, d)
		var reqs []engine.Request
		for _, js := range benchQueries {
			q, err := models.ParseQuery(json.RawMessage(js))
			if err != nil {
				b.Fatal(err)
			}
			reqs = append(reqs, engine.Request{Query: q, From: benchEnd.AddDate(0, 0, -benchDays), To: benchEnd})
		}
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, r := range reqs {
					if _, err := e.Metrics(context.Background(), r); err != nil {
						b.Fatal(err)
					}
				}
			}
			rows := float64(d.tickets.Len() + d.orders.Len())
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
		})
	}
}
