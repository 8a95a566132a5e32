-- Panel: Support sales
-- Metrics: attributed_revenue, attributed_average_basket (docs/METRICS.md)
-- Attribution as a strong engineer writes it: each ticket probes orders(customer_key, created_at)
-- for its 72 h window cut at its customer's next ticket (lead()), so each order goes to its latest
-- ticket without a join of every pair. Both periods in one statement: the previous period is the
-- same length just before.
-- Data source settings of the bench, written in the SQL as a user writes them: shop currency USD,
-- report time zone Europe/Paris, attribution window 72 h (last touch, date basis ticket), excluded
-- statuses cancelled/refunded/voided, VIP = 500 USD spent or 5 orders or tag vip, SLA targets
-- critical 1 h, high 4 h, normal 24 h, low 48 h. $1 and $2 stand for $__timeFrom() and $__timeTo().
WITH params AS (
  SELECT $1::timestamptz AS t0, $2::timestamptz AS t1,
         $1::timestamptz - make_interval(secs => extract(epoch FROM $2::timestamptz - $1::timestamptz)) AS p0,
         make_interval(secs => extract(epoch FROM $2::timestamptz - $1::timestamptz)) AS len,
         CASE WHEN $2::timestamptz - $1::timestamptz < interval '48 hours' THEN 'hour'
              WHEN $2::timestamptz - $1::timestamptz < interval '2208 hours' THEN 'day'
              WHEN $2::timestamptz - $1::timestamptz < interval '17520 hours' THEN 'week'
              ELSE 'month' END AS unit
),
tk AS (  -- tickets from p.p0 to 72 h past the range, each with its customer's next ticket
  SELECT t.id, t.customer_key, t.created_at,
         lead(t.created_at) OVER (PARTITION BY t.customer_key ORDER BY t.created_at, t.id COLLATE "C") AS next_at
  FROM params p, tickets t
  WHERE t.created_at >= p.p0 AND t.created_at < p.t1 + interval '72 hours'
),
credit AS MATERIALIZED (  -- per ticket of the range: credited orders and revenue (computed once: a planner that expects few
  -- outer rows would otherwise rerun it in a nested loop)
  SELECT t.id AS ticket_id, c.orders, c.revenue
  FROM params p, tk t CROSS JOIN LATERAL (
    SELECT count(*) AS orders, sum(a.amount) AS revenue
    FROM orders o CROSS JOIN LATERAL (SELECT CASE WHEN o.currency = 'USD' THEN round(o.total * 10000)::int8
            ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount) a
    WHERE o.customer_key = t.customer_key
      AND o.created_at >= t.created_at AND o.created_at < least(t.created_at + interval '72 hours', t.next_at)
      AND coalesce(o.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND a.amount IS NOT NULL
  ) c
  WHERE t.created_at < p.t1 AND t.customer_key IS NOT NULL AND c.orders > 0
),
a AS (  -- credited orders and revenue of the tickets created in each period
  SELECT coalesce(sum(c.orders) FILTER (WHERE t.created_at >= p.t0), 0) AS orders,
         coalesce(sum(c.orders) FILTER (WHERE t.created_at < p.t0), 0) AS orders_p,
         coalesce(sum(c.revenue) FILTER (WHERE t.created_at >= p.t0), 0) AS revenue,
         coalesce(sum(c.revenue) FILTER (WHERE t.created_at < p.t0), 0) AS revenue_p
  FROM params p, tk t JOIN credit c ON c.ticket_id = t.id
  WHERE t.created_at < p.t1
),
k AS (  -- conversations closed in each period
  SELECT count(*) FILTER (WHERE t.closed_at >= p.t0) AS closed, count(*) FILTER (WHERE t.closed_at < p.t0) AS closed_p
  FROM params p, tickets t WHERE t.closed_at >= p.p0 AND t.closed_at < p.t1
)
SELECT a.revenue::float8 / 10000 AS attributed_revenue,
       a.revenue_p::float8 / 10000 AS attributed_revenue_previous,
       CASE WHEN (a.revenue_p::float8 / 10000) <> 0 THEN ((a.revenue::float8 / 10000) - (a.revenue_p::float8 / 10000)) / (a.revenue_p::float8 / 10000) * 100 END AS attributed_revenue_change_pct,
       CASE WHEN a.orders <> 0 THEN a.revenue::float8 / 10000 / a.orders END AS attributed_average_basket,
       CASE WHEN a.orders_p <> 0 THEN a.revenue_p::float8 / 10000 / a.orders_p END AS attributed_average_basket_previous,
       CASE WHEN (CASE WHEN a.orders_p <> 0 THEN a.revenue_p::float8 / 10000 / a.orders_p END) <> 0 THEN ((CASE WHEN a.orders <> 0 THEN a.revenue::float8 / 10000 / a.orders END) - (CASE WHEN a.orders_p <> 0 THEN a.revenue_p::float8 / 10000 / a.orders_p END)) / (CASE WHEN a.orders_p <> 0 THEN a.revenue_p::float8 / 10000 / a.orders_p END) * 100 END AS attributed_average_basket_change_pct
FROM a, k
