package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jackc/pgx/v5/pgtype"
)

// Money is read already converted to the shop currency, rounded to MoneyScale by PostgreSQL. An amount
// in another currency is converted with the rate of the order's UTC day when the store has
// exchange_rates; without a rate it is NULL, and the engine leaves the order out with a notice.
const (
	amountPart  = `CASE WHEN o.currency = $CUR THEN round(AMOUNT * 10000)::int8 ELSE CONVERTED END`
	convertPart = `(SELECT round(AMOUNT * r.rate * 10000)::int8 FROM {{schema}}.exchange_rates r
   WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date)`
)

// amountSQL renders the shop-currency amount expression of column amount, with the shop currency in
// parameter cur, with or without an exchange_rates relation.
func amountSQL(amount, cur string, rates bool) string {
	conv := "NULL::int8"
	if rates {
		conv = convertPart
	}
	expr := strings.ReplaceAll(amountPart, "CONVERTED", conv)
	return strings.NewReplacer("AMOUNT", amount, "$CUR", cur).Replace(expr)
}

// sqlVariants holds one SQL text per presence of exchange_rates: all static, chosen at run time.
type sqlVariants [2]string

func (v sqlVariants) pick(rates bool) string {
	if rates {
		return v[1]
	}
	return v[0]
}

func variants(build func(rates bool) string) sqlVariants {
	return sqlVariants{build(false), build(true)}
}

// OrderRead says which orders a query needs: created in [From, To), status not in Excluded; with
// Customers (ScanOrders only), those of these customers alone.
type OrderRead struct {
	From, To  time.Time
	Excluded  []string
	Currency  string   // the shop currency
	Customers []string // nil: every customer
}

// The order reads send totals as they are: read_money.go converts them.
const (
	sqlOrders = `SELECT o.id, o.customer_key, o.created_at, o.total, o.currency, o.project
FROM {{schema}}.orders o
WHERE o.created_at >= $1 AND o.created_at < $2 AND NOT (coalesce(o.status, '') = ANY($3))`

	// sqlOrderAmounts is what ScanOrders streams: the fewer bytes PostgreSQL sends per row, the less
	// it costs.
	sqlOrderAmounts = `SELECT o.customer_key, o.created_at, o.total, o.currency
FROM {{schema}}.orders o
WHERE o.created_at >= $1 AND o.created_at < $2 AND NOT (coalesce(o.status, '') = ANY($3))`
)

// hasRates reports whether the order store has the optional exchange_rates relation.
func (s *Store) hasRates(ctx context.Context) (bool, error) { return s.Has(ctx, "exchange_rates") }

// queryOrders runs one of the order statements over r, with binary results, and the converter of
// their totals.
func (s *Store) queryOrders(ctx context.Context, sql string, r OrderRead) (pgx.Rows, *converter, error) {
	conv, err := s.converter(ctx, r.Currency)
	if err != nil {
		return nil, nil, err
	}
	args := []any{r.From, r.To, r.Excluded}
	if r.Customers != nil {
		// One probe of orders(customer_key, created_at) per customer.
		sql += ` AND o.customer_key = ANY($4)`
		args = append(args, r.Customers)
	}
	rows, err := s.queryRaw(ctx, sql, args...)
	if err != nil {
		return nil, nil, err
	}
	return rows, conv, nil
}

// ScanOrders streams the orders of r to f, in no particular order, without keeping them: a caller
// that needs a few figures of a million orders does not hold a million orders.
func (s *Store) ScanOrders(ctx context.Context, r OrderRead, f func(o Order) error) error {
	rows, conv, err := s.queryOrders(ctx, sqlOrderAmounts, r)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		o := Order{Customer: v[0], Created: rawMicros(v[1]), Currency: v[3]}
		if o.Amount, err = conv.amount(v[2], v[3], o.Created); err != nil {
			return err
		}
		if err := f(o); err != nil {
			return err
		}
	}
	return s.Wrap(rows.Err())
}

// ReadOrders reads the orders of r.
func (s *Store) ReadOrders(ctx context.Context, r OrderRead) (*Orders, error) {
	if r.Customers != nil {
		return nil, fmt.Errorf("ReadOrders reads every customer's orders: Customers applies to ScanOrders")
	}
	rows, conv, err := s.queryOrders(ctx, sqlOrders, r)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	o := &Orders{Customers: NewDict(), Currencies: NewDict(), Projects: NewDict()}
	for rows.Next() {
		v := rows.RawValues()
		created := rawMicros(v[2])
		amount, err := conv.amount(v[3], v[4], created)
		if err != nil {
			return nil, err
		}
		o.ID.add(v[0])
		o.Customer = push(o.Customer, o.Customers.rawID(v[1]))
		o.Created = push(o.Created, created)
		o.Amount = push(o.Amount, amount)
		o.Currency = push(o.Currency, o.Currencies.rawID(v[4]))
		o.Project = push(o.Project, o.Projects.rawID(v[5]))
	}
	return o, s.Wrap(rows.Err())
}

// sqlHistory probes orders(customer_key, created_at) once per customer and stops at $5 eligible
// orders (NULL: no cap). A reseller with thousands of orders then costs what a customer with five
// does.
var sqlHistory = variants(func(rates bool) string {
	return `SELECT k.key, count(*)::int4, sum(h.amount)::int8
FROM unnest($2::text[]) AS k(key)
CROSS JOIN LATERAL (
  SELECT amount FROM (
    SELECT ` + amountSQL("o.total", "$4", rates) + ` AS amount FROM {{schema}}.orders o
    WHERE o.customer_key = k.key AND o.created_at < $1 AND NOT (coalesce(o.status, '') = ANY($3))
  ) e WHERE amount IS NOT NULL LIMIT $5
) h
GROUP BY k.key`
})

// ReadHistory sums, per customer of keys, the eligible orders created before `before`. With
// capOrders > 0 a customer's orders are counted up to capOrders only, and summed over those: enough
// for a segment rule of capOrders orders (a customer at the cap is VIP whatever it spent), and much
// cheaper for customers with hundreds. Customers without such an order are left out.
func (s *Store) ReadHistory(ctx context.Context, before time.Time, keys []string, excluded []string, currency string, capOrders int) (*History, error) {
	h := &History{Customers: NewDict()}
	if len(keys) == 0 {
		return h, nil
	}
	rates, err := s.hasRates(ctx)
	if err != nil {
		return nil, err
	}
	var limit *int64
	if capOrders > 0 {
		l := int64(capOrders)
		limit = &l
	}
	rows, err := s.queryRaw(ctx, sqlHistory.pick(rates), before, keys, excluded, currency, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		h.Customers.idBytes(v[0])
		h.Count = append(h.Count, int32(rawInt(v[1], 0)))
		h.Spent = append(h.Spent, rawInt(v[2], 0))
	}
	return h, s.Wrap(rows.Err())
}

// sqlFirstOrders probes orders(customer_key, created_at) once per customer, oldest first, and stops at
// $4 eligible orders. $1 is the key list; each row names its key by position (1-based), so that no key
// is sent back.
var sqlFirstOrders = variants(func(rates bool) string {
	return `SELECT k.i::int4, f.created_at, f.amount
FROM unnest($1::text[]) WITH ORDINALITY AS k(key, i)
CROSS JOIN LATERAL (
  SELECT e.created_at, e.amount FROM (
    SELECT o.created_at, ` + amountSQL("o.total", "$3", rates) + ` AS amount FROM {{schema}}.orders o
    WHERE o.customer_key = k.key AND NOT (coalesce(o.status, '') = ANY($2))
  ) e WHERE e.amount IS NOT NULL ORDER BY e.created_at LIMIT $4
) f`
})

// ReadFirstOrders reads, for each customer of keys, its first capOrders eligible orders ever (status
// not excluded, amount convertible to currency), oldest first. A customer's segment at any instant
// follows from them whenever the segment rule has an order count of at most capOrders: it has made
// the orders of the list created before the instant, and when all capOrders are, at least capOrders.
// A reseller with thousands of orders costs what a customer with five does, and no order of a range
// is held for it.
func (s *Store) ReadFirstOrders(ctx context.Context, keys []string, excluded []string, currency string, capOrders int) (*FirstOrders, error) {
	if capOrders <= 0 {
		return nil, fmt.Errorf("first orders need a cap, got %d", capOrders)
	}
	f := &FirstOrders{Start: make([]int32, len(keys)+1)}
	if len(keys) == 0 {
		return f, nil
	}
	rates, err := s.hasRates(ctx)
	if err != nil {
		return nil, err
	}
	// Many customers are probed in two halves at once, on two sessions: the probes are CPU-bound in
	// PostgreSQL, and a refresh waits for them.
	parts := [][]string{keys}
	if len(keys) >= firstOrdersSplit && s.spareSessions() {
		parts = [][]string{keys[:len(keys)/2], keys[len(keys)/2:]}
	}
	got := make([]firstOrderRows, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for p, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[p], errs[p] = s.firstOrderRows(ctx, sqlFirstOrders.pick(rates), part, excluded, currency, capOrders)
		}()
	}
	wg.Wait()
	for _, err := range errs { // the first: both halves fail alike when the store does
		if err != nil {
			return nil, err
		}
	}
	key, created, amount := got[0].key, got[0].created, got[0].amount
	for p := 1; p < len(parts); p++ {
		for _, i := range got[p].key {
			key = append(key, i+int32(len(parts[0])))
		}
		created, amount = append(created, got[p].created...), append(amount, got[p].amount...)
	}
	// Rows of one key arrive together and oldest first in practice; SQL does not promise it, so they
	// are placed by key (a counting sort) and each key's few orders sorted by instant.
	for _, i := range key {
		f.Start[i+1]++
	}
	for i := range keys {
		f.Start[i+1] += f.Start[i]
	}
	f.Created, f.Amount = make([]int64, len(key)), make([]int64, len(key))
	next := slices.Clone(f.Start[:len(keys)])
	for r, i := range key {
		p := next[i]
		next[i]++
		f.Created[p], f.Amount[p] = created[r], amount[r]
	}
	for i := range keys {
		lo, hi := int(f.Start[i]), int(f.Start[i+1])
		for a := lo + 1; a < hi; a++ { // insertion sort: a handful of orders each
			for b := a; b > lo && f.Created[b] < f.Created[b-1]; b-- {
				f.Created[b], f.Created[b-1] = f.Created[b-1], f.Created[b]
				f.Amount[b], f.Amount[b-1] = f.Amount[b-1], f.Amount[b]
			}
		}
	}
	return f, nil
}

// firstOrdersSplit is the number of customers from which ReadFirstOrders probes in two halves.
const firstOrdersSplit = 4096

// firstOrderRows are the rows of one first-orders statement: key positions (from 0) and orders.
type firstOrderRows struct {
	key             []int32
	created, amount []int64
}

func (s *Store) firstOrderRows(ctx context.Context, sql string, keys, excluded []string, currency string, capOrders int) (firstOrderRows, error) {
	var out firstOrderRows
	rows, err := s.queryRaw(ctx, sql, keys, excluded, currency, int64(capOrders))
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		i := int32(rawInt(v[0], 0)) - 1
		if i < 0 || int(i) >= len(keys) {
			return out, fmt.Errorf("first orders: key position %d out of %d", i+1, len(keys))
		}
		out.key = push(out.key, i)
		out.created = push(out.created, rawMicros(v[1]))
		out.amount = push(out.amount, rawInt(v[2], 0))
	}
	return out, s.Wrap(rows.Err())
}

// TotalsRead asks, for each i, about customer Keys[i] as of Before[i]: its eligible orders created
// before that instant, and whether it carries one of Tags. With CapOrders > 0, a customer's orders are
// counted up to CapOrders only (and summed over those): enough to apply a rule of CapOrders orders,
// and much cheaper for customers with hundreds.
type TotalsRead struct {
	Keys      []string
	Before    []time.Time
	Excluded  []string
	Currency  string
	Tags      []string
	CapOrders int
}

// Totals answers a TotalsRead, by index.
type Totals struct {
	Count  []int32
	Spent  []int64 // shop currency, MoneyScale
	Tagged []bool
}

// sqlTotals probes orders(customer_key, created_at) and customers(customer_key) once per customer.
var sqlTotals = variants(func(rates bool) string {
	return `SELECT x.i::int4, count(y.amount)::int4, coalesce(sum(y.amount), 0)::int8,
       EXISTS (SELECT FROM {{schema}}.customers c WHERE c.customer_key = x.key AND c.tags && $5::text[])
FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS x(key, before, i)
LEFT JOIN LATERAL (
  SELECT amount FROM (
    SELECT ` + amountSQL("o.total", "$4", rates) + ` AS amount FROM {{schema}}.orders o
    WHERE o.customer_key = x.key AND o.created_at < x.before AND NOT (coalesce(o.status, '') = ANY($3))
  ) e WHERE amount IS NOT NULL LIMIT $6
) y ON true
GROUP BY x.i, x.key`
})

// ReadCustomerTotals reads the order totals and tags of a few customers as of their own instants.
func (s *Store) ReadCustomerTotals(ctx context.Context, r TotalsRead) (*Totals, error) {
	n := len(r.Keys)
	t := &Totals{Count: make([]int32, n), Spent: make([]int64, n), Tagged: make([]bool, n)}
	if n == 0 {
		return t, nil
	}
	rates, err := s.hasRates(ctx)
	if err != nil {
		return nil, err
	}
	tags := r.Tags
	if tags == nil {
		tags = []string{}
	}
	var limit *int64 // NULL: no limit
	if r.CapOrders > 0 {
		n := int64(r.CapOrders)
		limit = &n
	}
	rows, err := s.queryRaw(ctx, sqlTotals.pick(rates), r.Keys, r.Before, r.Excluded, r.Currency, tags, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		if i := int(rawInt(v[0], 0)) - 1; i >= 0 && i < n {
			t.Count[i], t.Spent[i], t.Tagged[i] = int32(rawInt(v[1], 0)), rawInt(v[2], 0), rawBool(v[3])
		}
	}
	return t, s.Wrap(rows.Err())
}

var sqlLines = variants(func(rates bool) string {
	return `SELECT l.order_id, l.product_id, l.product_name, l.quantity, ` + amountSQL("l.line_total", "$4", rates) + `
FROM {{schema}}.orders o JOIN {{schema}}.order_lines l ON l.order_id = o.id
WHERE o.created_at >= $1 AND o.created_at < $2 AND NOT (coalesce(o.status, '') = ANY($3))`
})

// ReadLines reads the lines of the orders of r; orders is what ReadOrders returned for r, whose ids the
// lines are matched to.
func (s *Store) ReadLines(ctx context.Context, r OrderRead, orders *Orders) (*Lines, error) {
	rates, err := s.hasRates(ctx)
	if err != nil {
		return nil, err
	}
	index := make(map[string]int32, orders.Len())
	for i := range orders.Len() {
		index[orders.ID.At(i)] = int32(i)
	}
	rows, err := s.queryRaw(ctx, sqlLines.pick(rates), r.From, r.To, r.Excluded, r.Currency)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	l := &Lines{Products: NewDict()}
	for rows.Next() {
		v := rows.RawValues()
		oi, ok := index[string(v[0])]
		if !ok {
			continue // an order inserted between the two reads
		}
		pid := l.Products.idBytes(v[1])
		if int(pid) == len(l.Names) {
			name := l.Products.Values[pid]
			if v[2] != nil {
				name = string(v[2])
			}
			l.Names = append(l.Names, name)
		}
		l.Order = append(l.Order, oi)
		l.Product = append(l.Product, pid)
		l.Quantity = append(l.Quantity, rawInt(v[3], 0))
		l.Amount = append(l.Amount, rawInt(v[4], Null))
	}
	return l, s.Wrap(rows.Err())
}

const sqlTaggedCustomers = `SELECT customer_key FROM {{schema}}.customers WHERE tags && $1::text[]`

// ReadTaggedCustomers returns the customers carrying any of tags.
func (s *Store) ReadTaggedCustomers(ctx context.Context, tags []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(tags) == 0 {
		return out, nil
	}
	rows, err := s.Query(ctx, sqlTaggedCustomers, tags)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var key string
	for rows.Next() {
		if err := rows.Scan(&key); err != nil {
			return nil, s.Wrap(err)
		}
		out[key] = true
	}
	return out, s.Wrap(rows.Err())
}

const sqlFeedOrders = `SELECT 'order', o.created_at, o.id, o.customer_key, round(o.total * 10000)::int8, o.currency,
       coalesce(o.status, '')
FROM {{schema}}.orders o WHERE o.created_at >= $1 AND o.created_at < $2
ORDER BY o.created_at DESC, o.id DESC LIMIT $3`

const sqlFeedAll = `(` + sqlFeedOrders + `)
UNION ALL
(SELECT 'cart', c.created_at, '', c.customer_key, round(c.amount * 10000)::int8, c.currency, ''
 FROM {{schema}}.cart_events c WHERE c.created_at >= $1 AND c.created_at < $2
 ORDER BY c.created_at DESC LIMIT $3)
ORDER BY 2 DESC, 3 DESC LIMIT $3`

// ReadFeed returns the latest orders and cart events of [from, to), newest first, at most limit.
func (s *Store) ReadFeed(ctx context.Context, from, to time.Time, limit int) ([]FeedEvent, error) {
	carts, err := s.Has(ctx, "cart_events")
	if err != nil {
		return nil, err
	}
	query := sqlFeedOrders
	if carts {
		query = sqlFeedAll
	}
	rows, err := s.Query(ctx, query, from, to, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FeedEvent
	for rows.Next() {
		var (
			e        FeedEvent
			amount   pgtype.Int8
			currency *string
		)
		if err := rows.Scan(&e.Kind, &e.At, &e.ID, &e.Customer, &amount, &currency, &e.Status); err != nil {
			return nil, s.Wrap(err)
		}
		e.Amount = int8OrNull(amount)
		if currency != nil {
			e.Currency = *currency
		}
		out = append(out, e)
	}
	return out, s.Wrap(rows.Err())
}

func int8OrNull(v pgtype.Int8) int64 {
	if !v.Valid {
		return Null
	}
	return v.Int64
}
