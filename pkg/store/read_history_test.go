package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// ReadHistory counts each customer's eligible orders before the instant, up to the cap, and sums
// them; without a cap, all of them.
func TestReadHistoryCapsEachCustomer(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.Exec(t, `CREATE SCHEMA shop; CREATE TABLE shop.orders (id text PRIMARY KEY, customer_key text NOT NULL,
		created_at timestamptz NOT NULL, status text, total numeric NOT NULL, currency text NOT NULL)`)
	cut := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	add := func(id, customer string, at time.Time, status string, total, currency string) {
		db.Exec(t, `INSERT INTO shop.orders VALUES ($1, $2, $3, $4, $5, $6)`, id, customer, at, status, total, currency)
	}
	// reseller: seven paid orders of 10.00 USD before the cut, one cancelled, one after the cut.
	for i := range 7 {
		add("r"+string(rune('0'+i)), "reseller", cut.Add(-time.Duration(i+1)*time.Hour), "paid", "10.00", "USD")
	}
	add("rc", "reseller", cut.Add(-time.Minute), "cancelled", "999", "USD")
	add("ra", "reseller", cut, "paid", "999", "USD")
	// small: 100.00 and 50.25 USD, and an EUR order the store cannot convert (no exchange_rates).
	add("s1", "small", cut.Add(-48*time.Hour), "paid", "100.00", "USD")
	add("s2", "small", cut.Add(-24*time.Hour), "paid", "50.25", "USD")
	add("s3", "small", cut.Add(-12*time.Hour), "paid", "70.00", "EUR")
	// later: only an order after the cut.
	add("l1", "later", cut.Add(time.Hour), "paid", "5", "USD")

	db.GrantRead(t, "shop")
	s := open(t, settingsFor(db, "support", "shop")).Orders
	read := func(capOrders int) map[string][2]int64 {
		h, err := s.ReadHistory(ctx, cut, []string{"later", "reseller", "small"}, []string{"cancelled"}, "USD", capOrders)
		require.NoError(t, err)
		out := map[string][2]int64{}
		for id, key := range h.Customers.Values {
			out[key] = [2]int64{int64(h.Count[id]), h.Spent[id]}
		}
		return out
	}
	// Money at MoneyScale (1/10000): 5 x 10.00 = 500000, 7 x 10.00 = 700000, 100.00 + 50.25 = 1502500.
	assert.Equal(t, map[string][2]int64{"reseller": {5, 500000}, "small": {2, 1502500}}, read(5),
		"capped at 5: the reseller counts five orders and their total; the EUR order is not eligible")
	assert.Equal(t, map[string][2]int64{"reseller": {7, 700000}, "small": {2, 1502500}}, read(0),
		"no cap: every eligible order before the cut")
}
