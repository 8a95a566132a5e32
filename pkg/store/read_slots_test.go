package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// TestReadOrderSlots: orders summed per slot, by the columns asked, with the row reads' conversion.
// Range [10:00Z, 11:00Z) of 2 March 2026; EUR at 2 that day; shop currency USD.
//
//	o1 10:00:00        USD 1.00  p1   slot 10:00 (phase 0) / 09:50 (phase 5 min: slots start at 5, 20, 35, 50)
//	o2 10:14:59.999999 EUR 0.50  p2   x 2 = 1.00; slot 10:00 / 10:05
//	o3 10:15:00        USD 2.5   p1   slot 10:15 / 10:05
//	o4 10:20:00        GBP 9.00  p1   no rate: unconverted
//	o5 10:30:00        USD NaN   p2   not convertible, as in Go: unconverted
//	o6 10:40:00        USD 7.00  p1   cancelled: not eligible
//	o7 11:00:00        USD 100   p1   at the range's end: out
//	o8 10:50:00        EUR 1.00  NULL project: x 2 = 2.00; slot 10:45 / 10:50
func TestReadOrderSlots(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "shop")
	db.Exec(t, `INSERT INTO shop.exchange_rates VALUES ('EUR', '2026-03-02', 2)`)
	db.Exec(t, `INSERT INTO shop.orders (id, customer_key, created_at, status, total, currency, project) VALUES
('o1', 'c', '2026-03-02 10:00:00Z', 'paid', 1.00, 'USD', 'p1'),
('o2', 'c', '2026-03-02 10:14:59.999999Z', 'paid', 0.50, 'EUR', 'p2'),
('o3', 'c', '2026-03-02 10:15:00Z', 'paid', 2.5, 'USD', 'p1'),
('o4', 'c', '2026-03-02 10:20:00Z', 'paid', 9.00, 'GBP', 'p1'),
('o5', 'c', '2026-03-02 10:30:00Z', 'paid', 'NaN', 'USD', 'p2'),
('o6', 'c', '2026-03-02 10:40:00Z', 'cancelled', 7.00, 'USD', 'p1'),
('o7', 'c', '2026-03-02 11:00:00Z', 'paid', 100, 'USD', 'p1'),
('o8', 'c', '2026-03-02 10:50:00Z', 'paid', 1.00, 'EUR', NULL)`)
	s := open(t, settingsFor(db, "shop", "shop")).Orders
	at := func(hm string) int64 {
		return time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Add(mustDuration(t, hm)).UnixMicro()
	}
	r := OrderSlotRead{From: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC),
		Excluded: []string{"cancelled"}, Currency: "USD"}

	type row struct {
		start          int64
		project        string
		orders, amount int64
	}
	rows := func(s *OrderSlots) map[row]bool {
		out := map[row]bool{}
		for i := range s.Len() {
			p := ""
			if s.Project != nil {
				p = "(none)"
				if s.Project[i] >= 0 {
					p = s.Projects.Values[s.Project[i]]
				}
			}
			out[row{s.Start[i], p, s.Orders[i], s.Amount[i]}] = true
		}
		return out
	}
	unconverted := func(s *OrderSlots) map[string]int64 {
		out := map[string]int64{}
		for i, c := range s.UnconvertedCurrency {
			out[s.Currencies.Values[c]] += s.Unconverted[i]
		}
		return out
	}

	got, err := s.ReadOrderSlots(ctx, r)
	require.NoError(t, err)
	require.True(t, got.Rates)
	require.Nil(t, got.Project)
	require.Nil(t, got.Currency)
	// 10:00: o1 + o2 = 1.00 + 1.00; 10:15: o3 2.50 (o4 and o5 left out); 10:45: o8 2.00.
	require.Equal(t, map[row]bool{{at("10h"), "", 2, 20000}: true, {at("10h15m"), "", 1, 25000}: true, {at("10h45m"), "", 1, 20000}: true}, rows(got))
	require.Equal(t, map[string]int64{"GBP": 1, "USD": 1}, unconverted(got))

	r.ByProject, r.Phase = true, 5*time.Minute
	got, err = s.ReadOrderSlots(ctx, r)
	require.NoError(t, err)
	require.Nil(t, got.Currency)
	// Slots from 5 past: 09:50 o1 (p1); 10:05 o2 (p2) and o3 (p1); 10:50 o8 (no project).
	require.Equal(t, map[row]bool{{at("9h50m"), "p1", 1, 10000}: true, {at("10h5m"), "p2", 1, 10000}: true,
		{at("10h5m"), "p1", 1, 25000}: true, {at("10h50m"), "(none)", 1, 20000}: true}, rows(got))
	require.Equal(t, map[string]int64{"GBP": 1, "USD": 1}, unconverted(got))

	r.ByProject, r.ByCurrency, r.Phase = false, true, 0
	got, err = s.ReadOrderSlots(ctx, r)
	require.NoError(t, err)
	currencies := map[string]int64{}
	for i := range got.Len() {
		currencies[got.Currencies.Values[got.Currency[i]]] += got.Orders[i]
	}
	require.Equal(t, map[string]int64{"USD": 2, "EUR": 2}, currencies, "GBP and NaN orders make no row")

	_, err = s.ReadOrderSlots(ctx, OrderSlotRead{From: r.From, To: r.To, Phase: SlotWidth})
	require.Error(t, err)

	// Lines: o1 P1 x2 1.00; o5 (NaN total) P1 x3 5.00 and o4 (GBP) P2 x1 9.00 left out with their
	// orders; o2 P2 x1 0.50 EUR = 1.00; o6 (cancelled) P3 x1 7.00 not eligible.
	db.Exec(t, `INSERT INTO shop.order_lines (order_id, product_id, product_name, quantity, line_total) VALUES
('o1', 'P1', 'One', 2, 1.00), ('o5', 'P1', 'One', 3, 5.00), ('o4', 'P2', 'Two', 1, 9.00), ('o2', 'P2', 'Two', 1, 0.50),
('o6', 'P3', 'Three', 1, 7.00)`)
	p, err := s.ReadProductSums(ctx, ProductRead{From: r.From, To: r.To, Excluded: r.Excluded, Currency: "USD", ByProject: true})
	require.NoError(t, err)
	type sum struct {
		product, name, project string
		qty, amount            int64
	}
	sums := map[sum]bool{}
	for i := range p.Len() {
		sums[sum{p.Products.Values[p.Product[i]], p.Names.Values[p.Name[i]], p.Projects.Values[p.Project[i]], p.Quantity[i], p.Amount[i]}] = true
	}
	// P1 of p1: o1 only; P2 of p2: o2; P2 of p1 and P1 of p2 hold only lines left out: zero.
	require.Equal(t, map[sum]bool{{"P1", "One", "p1", 2, 10000}: true, {"P1", "One", "p2", 0, 0}: true,
		{"P2", "Two", "p2", 1, 10000}: true, {"P2", "Two", "p1", 0, 0}: true}, sums)
}

func mustDuration(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	require.NoError(t, err)
	return d
}
