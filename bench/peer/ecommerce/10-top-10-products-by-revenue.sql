-- Panel: Top 10 products by revenue
-- Metrics: top_products by revenue (docs/METRICS.md)
-- Lines of the eligible orders of the range, line totals converted at the order's rate; shares of
-- the range's totals.
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
  SELECT o.id, o.currency, o.created_at, a.amount
  FROM params p, orders o CROSS JOIN LATERAL (SELECT CASE WHEN o.currency = 'USD' THEN round(o.total * 10000)::int8
            ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount) a
  WHERE o.created_at >= p.t0 AND o.created_at < p.t1
    AND coalesce(o.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND a.amount IS NOT NULL
),
l AS (
  SELECT l.product_id, coalesce(l.product_name, l.product_id) AS product_name, l.quantity,
         CASE WHEN o.currency = 'USD' THEN round(l.line_total * 10000)::int8
              ELSE (SELECT round(l.line_total * r.rate * 10000)::int8 FROM exchange_rates r
                    WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount
  FROM od o JOIN order_lines l ON l.order_id = o.id
),
per AS (
  SELECT product_id, min(product_name) AS product, sum(amount) AS revenue, sum(quantity) AS quantity
  FROM l WHERE amount IS NOT NULL GROUP BY product_id
),
total AS (SELECT sum(revenue) AS revenue, sum(quantity) AS quantity FROM per)
SELECT per.product_id, per.product, per.revenue::float8 / 10000 AS revenue, per.quantity::float8 AS quantity,
       coalesce(CASE WHEN total.revenue <> 0 THEN per.revenue::float8 / total.revenue * 100 END, 0) AS revenue_share,
       coalesce(CASE WHEN total.quantity <> 0 THEN per.quantity::float8 / total.quantity * 100 END, 0) AS quantity_share
FROM per, total
WHERE per.revenue <> 0 OR per.quantity <> 0
ORDER BY per.revenue DESC, per.product_id COLLATE "C"
LIMIT 10
