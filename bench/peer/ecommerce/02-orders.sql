-- Panel: Orders
-- Metrics: orders (docs/METRICS.md)
-- Eligible orders. Both periods in one statement: the previous period is the same length just
-- before.
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
od AS (  -- eligible orders: counted status, convertible currency; amount in 1/10000 USD
  SELECT o.id, o.customer_key, o.created_at, a.amount
  FROM params p, orders o CROSS JOIN LATERAL (SELECT CASE WHEN o.currency = 'USD' THEN round(o.total * 10000)::int8
            ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount) a
  WHERE o.created_at >= p.p0 AND o.created_at < p.t1
    AND coalesce(o.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND a.amount IS NOT NULL
),
x AS (
  SELECT o.created_at >= p.t0 AS cur, o.amount
  FROM params p, od o 
),
s AS (
  SELECT count(*) FILTER (WHERE cur) AS n, count(*) FILTER (WHERE NOT cur) AS n_p,
         coalesce(sum(amount) FILTER (WHERE cur), 0) AS revenue, coalesce(sum(amount) FILTER (WHERE NOT cur), 0) AS revenue_p
  FROM x
)
SELECT n::float8 AS orders,
       n_p::float8 AS orders_previous,
       CASE WHEN (n_p::float8) <> 0 THEN ((n::float8) - (n_p::float8)) / (n_p::float8) * 100 END AS orders_change_pct
FROM s
