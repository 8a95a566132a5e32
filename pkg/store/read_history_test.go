package store

import (
	"context"
	"fmt"
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

// ReadFirstOrders lists each customer's first eligible orders ever, oldest first, up to the cap,
// by the customer's position in the key list: whatever the instant, and leaving out cancelled orders
// and those it cannot convert.
func TestReadFirstOrdersListsTheOldestEligible(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.Exec(t, `CREATE SCHEMA shop; CREATE TABLE shop.orders (id text PRIMARY KEY, customer_key text NOT NULL,
		created_at timestamptz NOT NULL, status text, total numeric NOT NULL, currency text NOT NULL)`)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	add := func(id, customer string, at time.Time, status string, total, currency string) {
		db.Exec(t, `INSERT INTO shop.orders VALUES ($1, $2, $3, $4, $5, $6)`, id, customer, at, status, total, currency)
	}
	// reseller: a cancelled order first, then six paid ones of 1..6 USD, inserted newest first.
	add("rc", "reseller", day, "cancelled", "999", "USD")
	for i := 6; i >= 1; i-- {
		add(fmt.Sprintf("r%d", i), "reseller", day.Add(time.Duration(i)*time.Hour), "paid", fmt.Sprint(i), "USD")
	}
	// small: an EUR order the store cannot convert (no exchange_rates), then 12.50 USD, a year later.
	add("s1", "small", day, "paid", "70", "EUR")
	add("s2", "small", day.AddDate(1, 0, 0), "paid", "12.50", "USD")

	db.GrantRead(t, "shop")
	s := open(t, settingsFor(db, "support", "shop")).Orders
	keys := []string{"small", "nobody", "reseller"}
	f, err := s.ReadFirstOrders(ctx, keys, []string{"cancelled"}, "USD", 3)
	require.NoError(t, err)
	require.Equal(t, []int32{0, 1, 1, 4}, f.Start, "small has one eligible order, nobody none, the reseller three (the cap)")
	hour := func(h int) int64 { return day.Add(time.Duration(h) * time.Hour).UnixMicro() }
	assert.Equal(t, []int64{day.AddDate(1, 0, 0).UnixMicro(), hour(1), hour(2), hour(3)}, f.Created,
		"oldest first: the reseller's first three paid orders, after its cancelled one")
	assert.Equal(t, []int64{125000, 10000, 20000, 30000}, f.Amount, "12.50, 1, 2 and 3 USD at MoneyScale")

	_, err = s.ReadFirstOrders(ctx, keys, nil, "USD", 0)
	require.Error(t, err, "without a cap the first orders are no segment's history")

	// Enough customers to be probed in two halves: the answer is placed by key as one probe places it.
	// The keys of the test are among 5,000 without orders, small first and the reseller last (the
	// second half).
	many := []string{"small"}
	for i := range 4998 {
		many = append(many, fmt.Sprintf("none-%04d", i))
	}
	many = append(many, "reseller")
	require.GreaterOrEqual(t, len(many), firstOrdersSplit)
	f, err = s.ReadFirstOrders(ctx, many, []string{"cancelled"}, "USD", 3)
	require.NoError(t, err)
	require.Len(t, f.Start, 5001)
	assert.Equal(t, int32(0), f.Start[0])
	assert.Equal(t, int32(1), f.Start[1], "small: one order")
	assert.Equal(t, int32(1), f.Start[4999], "none of the others has any")
	assert.Equal(t, int32(4), f.Start[5000], "the reseller, last: three")
	assert.Equal(t, []int64{day.AddDate(1, 0, 0).UnixMicro(), hour(1), hour(2), hour(3)}, f.Created)
	assert.Equal(t, []int64{125000, 10000, 20000, 30000}, f.Amount)

	// With two sessions or fewer the pool has none to spare: one probe of them all, the same answer.
	small := settingsFor(db, "support", "shop")
	small.MaxOpenConns = 2
	one, err := open(t, small).Orders.ReadFirstOrders(ctx, many, []string{"cancelled"}, "USD", 3)
	require.NoError(t, err)
	assert.Equal(t, f, one)
}
