package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The revenue report (SPEC 5.2, last touch, date basis ticket), as users write it by hand: per day
// (report time zone) and per closing agent, the tickets created in range, the converted ones, and
// the revenue credited to them. Parameters: $1 from, $2 to, $3 attribution window, $4 excluded
// statuses, $5 shop currency, $6 report time zone.

// amountSQL is an order's total in the shop currency, 1/10000 units, rounded per order as the
// plugin does; NULL when its currency has no rate that day (not eligible).
const amountSQL = `CASE WHEN o.currency = $5 THEN round(o.total * 10000)::int8
  ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
        WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END`

// reportSQL groups per-ticket credits (created_at, closed_at, closing_agent, orders, revenue) by
// day and by agent.
const reportSQL = `
SELECT CASE WHEN GROUPING(day) = 0 THEN 'day' ELSE 'agent' END,
       coalesce(to_char(day, 'YYYY-MM-DD'), agent),
       count(*), count(*) FILTER (WHERE orders > 0), coalesce(sum(revenue), 0)::int8
FROM (SELECT (created_at AT TIME ZONE $6)::date AS day,
             CASE WHEN closed_at IS NULL THEN '(open)' ELSE coalesce(closing_agent, '(none)') END AS agent,
             orders, revenue
      FROM credited) x
GROUP BY GROUPING SETS ((day), (agent))`

// sqlBest is the best hand-written form: driven by the tickets of the range, each one probes the
// index orders(customer_key, created_at) INCLUDE (total, status, currency) for the orders of its
// window, cut at its customer's next ticket (lead() in (created_at, id) order), so that each order
// goes to its latest ticket only, without a join over every (ticket, order) pair.
const sqlBest = `WITH t AS (
  SELECT id, customer_key, created_at, closed_at, closing_agent,
         lead(created_at) OVER (PARTITION BY customer_key ORDER BY created_at, id) AS next_at
  FROM tickets
  WHERE created_at >= $1 AND created_at < $2::timestamptz + $3::interval
), credited AS (
  SELECT t.created_at, t.closed_at, t.closing_agent, c.orders, c.revenue
  FROM t LEFT JOIN LATERAL (
    SELECT count(*) AS orders, sum(a.amount) AS revenue
    FROM orders o CROSS JOIN LATERAL (SELECT ` + amountSQL + ` AS amount) a
    WHERE o.customer_key = t.customer_key
      AND o.created_at >= t.created_at AND o.created_at < least(t.created_at + $3::interval, t.next_at)
      AND o.status <> ALL ($4) AND a.amount IS NOT NULL
  ) c ON true
  WHERE t.created_at >= $1 AND t.created_at < $2
)` + reportSQL

// sqlNaive is what most users write: join every order to every ticket whose window holds it, keep
// the latest ticket per order with DISTINCT ON, then group.
const sqlNaive = `WITH pairs AS (
  SELECT DISTINCT ON (o.id) t.id AS ticket_id, a.amount
  FROM orders o
  CROSS JOIN LATERAL (SELECT ` + amountSQL + ` AS amount) a
  JOIN tickets t ON t.customer_key = o.customer_key
                AND o.created_at >= t.created_at AND o.created_at < t.created_at + $3::interval
  WHERE o.created_at >= $1 AND o.created_at < $2::timestamptz + $3::interval
    AND t.created_at >= $1 AND t.created_at < $2::timestamptz + $3::interval
    AND o.status <> ALL ($4) AND a.amount IS NOT NULL
  ORDER BY o.id, t.created_at DESC, t.id DESC
), credited AS (
  SELECT t.created_at, t.closed_at, t.closing_agent, p.orders, p.revenue
  FROM tickets t
  LEFT JOIN (SELECT ticket_id, count(*) AS orders, sum(amount) AS revenue FROM pairs GROUP BY ticket_id) p
    ON p.ticket_id = t.id
  WHERE t.created_at >= $1 AND t.created_at < $2
)` + reportSQL

// sqlScan is the scan limit: PostgreSQL reading once every ticket and order of the range (the rows
// the report is about), with nothing computed. No report can be cheaper than reading its rows.
const sqlScan = `SELECT
  (SELECT count(customer_key) + count(closing_agent) FROM tickets WHERE created_at >= $1 AND created_at < $2),
  (SELECT count(customer_key) + sum(total) FROM orders WHERE created_at >= $1 AND created_at < $2)`

// sqlRowsInRange counts the rows the scan limit reads, for the time per row.
const sqlRowsInRange = `SELECT (SELECT count(*) FROM tickets WHERE created_at >= $1 AND created_at < $2)
  + (SELECT count(*) FROM orders WHERE created_at >= $1 AND created_at < $2)`

// reportRow is one line of the revenue report: kind "day" (key YYYY-MM-DD) or "agent".
type reportRow struct {
	kind, key          string
	tickets, converted int64
	revenue            int64 // 1/10000 of the shop currency
}

func (r reportRow) String() string {
	return fmt.Sprintf("%s %s: %d tickets, %d converted, revenue %d", r.kind, r.key, r.tickets, r.converted, r.revenue)
}

// reportArgs are the report's parameters as the plugin's settings in the benchmark have them.
type reportArgs struct {
	from, to time.Time
	window   time.Duration
	excluded []string
	currency string
	timezone string
}

func (a reportArgs) values() []any {
	return []any{a.from, a.to, a.window, a.excluded, a.currency, a.timezone}
}

// newSQLPool is a pool of the plugin's read-only role with serial plans, as the reference
// figures were measured: parallel workers would hide the CPU cost on a shared server.
func newSQLPool(ctx context.Context, l login) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(l.url())
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 1
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET max_parallel_workers_per_gather = 0")
		return err
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// runReport runs a report SQL and returns its rows.
func runReport(ctx context.Context, pool *pgxpool.Pool, sql string, a reportArgs) ([]reportRow, error) {
	rows, err := pool.Query(ctx, sql, a.values()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (reportRow, error) {
		var x reportRow
		err := r.Scan(&x.kind, &x.key, &x.tickets, &x.converted, &x.revenue)
		return x, err
	})
}

// runScan runs the scan limit, discarding its result.
func runScan(ctx context.Context, pool *pgxpool.Pool, a reportArgs) error {
	rows, err := pool.Query(ctx, sqlScan, a.from, a.to)
	if err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// diffReports lists the differences between two reports, at most a few.
func diffReports(want, got []reportRow) []string {
	index := func(rs []reportRow) map[string]reportRow {
		m := map[string]reportRow{}
		for _, r := range rs {
			m[r.kind+" "+r.key] = r
		}
		return m
	}
	w, g := index(want), index(got)
	var out []string
	for k, x := range w {
		y, ok := g[k]
		switch {
		case !ok && (x.tickets != 0 || x.revenue != 0):
			out = append(out, fmt.Sprintf("missing %s", x))
		case ok && x != y:
			out = append(out, fmt.Sprintf("want %s, got %s", x, y))
		}
	}
	for k, y := range g {
		if _, ok := w[k]; !ok && (y.tickets != 0 || y.revenue != 0) {
			out = append(out, fmt.Sprintf("extra %s", y))
		}
	}
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("... and %d more", len(out)-5))
	}
	return out
}

func checkSame(what string, want, got []reportRow) error {
	if d := diffReports(want, got); len(d) > 0 {
		return fmt.Errorf("%s differs: %s", what, strings.Join(d, "; "))
	}
	return nil
}
