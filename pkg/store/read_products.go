package store

import (
	"context"
	"time"
)

// ProductRead asks for the lines of the eligible orders created in exactly [From, To) (status not in
// Excluded), summed per product, and per order project and currency when ByProject and ByCurrency say
// so (the columns a query filters by).
type ProductRead struct {
	From, To   time.Time
	Excluded   []string
	Currency   string // the shop currency
	ByProject  bool
	ByCurrency bool
}

// ProductSums are the sums of a ProductRead, as columns: one row per product id, product name and
// asked columns. The sums are over the lines the row reads count: both the line's and its order's
// amounts convert to the shop currency.
type ProductSums struct {
	Product  []int32 // Products id (product_id)
	Name     []int32 // Names id (product_name, or the product id when NULL)
	Project  []int32 // Projects id, -1 NULL; nil unless ByProject
	Currency []int32 // Currencies id, -1 NULL; nil unless ByCurrency
	Quantity []int64
	Amount   []int64 // shop currency, MoneyScale

	Products, Names, Projects, Currencies *Dict
}

// Len is the number of rows.
func (p *ProductSums) Len() int { return len(p.Product) }

// sqlProducts renders the product read. A line counts when its amount converts (amountSQL, as in
// sqlLines) and so does its order's: with the line's amount converted, the order's converts unless its
// total is not a finite number (the rate, when one is needed, is the same).
func sqlProducts(byProject, byCurrency, rates bool) string {
	amount := amountSQL("l.line_total", "$4", rates)
	cols, group := "NULL::text, NULL::text", "x.product_id, x.product_name"
	switch {
	case byProject && byCurrency:
		cols, group = "x.project, x.currency", group+", x.project, x.currency"
	case byProject:
		cols, group = "x.project, NULL::text", group+", x.project"
	case byCurrency:
		cols, group = "NULL::text, x.currency", group+", x.currency"
	}
	return `SELECT x.product_id, x.product_name, ` + cols + `,
       coalesce(sum(x.quantity) FILTER (WHERE x.ok), 0)::int8,
       coalesce(sum(x.amount) FILTER (WHERE x.ok), 0)::int8
FROM (
  SELECT l.product_id, l.product_name, o.project, o.currency, l.quantity, a.amount,
         a.amount IS NOT NULL AND ` + finite("o.total") + ` IS NOT NULL AS ok
  FROM {{schema}}.orders o JOIN {{schema}}.order_lines l ON l.order_id = o.id,
       LATERAL (SELECT ` + amount + ` AS amount) a
  WHERE o.created_at >= $1 AND o.created_at < $2 AND NOT (coalesce(o.status, '') = ANY($3))
) x
GROUP BY ` + group
}

var sqlProductSums = func() (out [8]string) {
	for i := range out {
		out[i] = sqlProducts(i&4 != 0, i&2 != 0, i&1 != 0)
	}
	return out
}()

// ReadProductSums sums the lines of the eligible orders of r per product in PostgreSQL: a top products
// table receives one row per product instead of every line of the range.
func (s *Store) ReadProductSums(ctx context.Context, r ProductRead) (*ProductSums, error) {
	rates, err := s.hasRates(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.queryRaw(ctx, sqlProductSums[pick3(r.ByProject, r.ByCurrency, rates)], r.From, r.To, r.Excluded, r.Currency)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p := &ProductSums{Products: NewDict(), Names: NewDict(), Projects: NewDict(), Currencies: NewDict()}
	for rows.Next() {
		v := rows.RawValues()
		pid := p.Products.idBytes(v[0])
		name := p.Products.Values[pid]
		if v[1] != nil {
			name = string(v[1])
		}
		p.Product = append(p.Product, pid)
		p.Name = append(p.Name, p.Names.ID(name))
		if r.ByProject {
			p.Project = append(p.Project, p.Projects.rawID(v[2]))
		}
		if r.ByCurrency {
			p.Currency = append(p.Currency, p.Currencies.rawID(v[3]))
		}
		p.Quantity = append(p.Quantity, rawInt(v[4], 0))
		p.Amount = append(p.Amount, rawInt(v[5], 0))
	}
	return p, s.Wrap(rows.Err())
}
