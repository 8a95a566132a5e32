package store

import (
	"context"
	"strings"
	"time"

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

// OrderRead says which orders a query needs: created in [From, To), status not in Excluded.
type OrderRead struct {
	From, To time.Time
	Excluded []string
	Currency string // the shop currency
}

var sqlOrders = variants(func(rates bool) string {
	return `SELECT o.id, o.customer_key, o.created_at, ` + amountSQL("o.total", "$4", rates) + `, o.currency, o.project
FROM {{schema}}.orders o
WHERE o.created_at >= $1 AND o.created_at < $2 AND NOT (coalesce(o.status, '') = ANY($3))`
})

// hasRates reports whether the order store has the optional exchange_rates relation.
func (s *Store) hasRates(ctx context.Context) (bool, error) { return s.Has(ctx, "exchange_rates") }

// ReadOrders reads the orders of r.
func (s *Store) ReadOrders(ctx context.Context, r OrderRead) (*Orders, error) {
	rates, err := s.hasRates(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, sqlOrders.pick(rates), r.From, r.To, r.Excluded, r.Currency)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	o := &Orders{Customers: NewDict(), Currencies: NewDict(), Projects: NewDict()}
	var (
		id                string
		customer, project *string
		created           time.Time
		amount            pgtype.Int8
		currency          *string
	)
	for rows.Next() {
		if err := rows.Scan(&id, &customer, &created, &amount, &currency, &project); err != nil {
			return nil, s.Wrap(err)
		}
		o.ID = append(o.ID, id)
		o.Customer = append(o.Customer, o.Customers.Nullable(customer))
		o.Created = append(o.Created, created.UnixMicro())
		o.Amount = append(o.Amount, int8OrNull(amount))
		o.Currency = append(o.Currency, o.Currencies.Nullable(currency))
		o.Project = append(o.Project, o.Projects.Nullable(project))
	}
	return o, s.Wrap(rows.Err())
}

var sqlHistory = variants(func(rates bool) string {
	return `SELECT customer_key, count(*)::int4, sum(amount)::int8, min(created_at) FROM (
  SELECT o.customer_key, o.created_at, ` + amountSQL("o.total", "$4", rates) + ` AS amount
  FROM {{schema}}.orders o
  WHERE o.created_at < $1 AND o.customer_key = ANY($2) AND NOT (coalesce(o.status, '') = ANY($3))
) x WHERE amount IS NOT NULL GROUP BY customer_key`
})

// ReadHistory sums, per customer of keys, the eligible orders created before `before`.
func (s *Store) ReadHistory(ctx context.Context, before time.Time, keys []string, excluded []string, currency string) (*History, error) {
	h := &History{Customers: NewDict()}
	if len(keys) == 0 {
		return h, nil
	}
	rates, err := s.hasRates(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, sqlHistory.pick(rates), before, keys, excluded, currency)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		key   string
		count int32
		spent int64
		first time.Time
	)
	for rows.Next() {
		if err := rows.Scan(&key, &count, &spent, &first); err != nil {
			return nil, s.Wrap(err)
		}
		h.Customers.ID(key)
		h.Count = append(h.Count, count)
		h.Spent = append(h.Spent, spent)
		h.First = append(h.First, first.UnixMicro())
	}
	return h, s.Wrap(rows.Err())
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
	for i, id := range orders.ID {
		index[id] = int32(i)
	}
	rows, err := s.Query(ctx, sqlLines.pick(rates), r.From, r.To, r.Excluded, r.Currency)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	l := &Lines{Products: NewDict()}
	var (
		orderID, productID string
		name               *string
		quantity           *int64
		amount             pgtype.Int8
	)
	for rows.Next() {
		if err := rows.Scan(&orderID, &productID, &name, &quantity, &amount); err != nil {
			return nil, s.Wrap(err)
		}
		oi, ok := index[orderID]
		if !ok {
			continue // an order inserted between the two reads
		}
		pid := l.Products.ID(productID)
		if int(pid) == len(l.Names) {
			n := productID
			if name != nil {
				n = *name
			}
			l.Names = append(l.Names, n)
		}
		var q int64
		if quantity != nil {
			q = *quantity
		}
		l.Order = append(l.Order, oi)
		l.Product = append(l.Product, pid)
		l.Quantity = append(l.Quantity, q)
		l.Amount = append(l.Amount, int8OrNull(amount))
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
