-- Panel: New customer revenue share
-- Metrics: new_customer_revenue_share (docs/METRICS.md)
-- Revenue of first orders ever / revenue. An order is new when it is its customer's first eligible
-- order ever: one probe of orders(customer_key, created_at) per customer of the range, which stops
-- at the first eligible order. Both periods in one statement: the previous period is the same
-- length just before.
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
firsts AS (  -- each customer's first eligible order ever: one probe of orders(customer_key, created_at) per customer
  SELECT k.customer_key, f.id AS first_id
  FROM (SELECT DISTINCT customer_key FROM od WHERE customer_key IS NOT NULL) k
  CROSS JOIN LATERAL (
    SELECT q.id FROM orders q
    WHERE q.customer_key = k.customer_key AND coalesce(q.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND (CASE WHEN q.currency = 'USD' THEN round(q.total * 10000)::int8
            ELSE (SELECT round(q.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = q.currency AND r.day = (q.created_at AT TIME ZONE 'UTC')::date) END) IS NOT NULL
    ORDER BY q.created_at, q.id COLLATE "C" LIMIT 1) f
),
x AS (
  SELECT o.created_at >= p.t0 AS cur, o.amount,
         (o.customer_key IS NULL OR o.id = fi.first_id) AS is_new
  FROM params p, od o LEFT JOIN firsts fi ON fi.customer_key = o.customer_key
),
s AS (
  SELECT count(*) FILTER (WHERE cur) AS n, count(*) FILTER (WHERE NOT cur) AS n_p,
         coalesce(sum(amount) FILTER (WHERE cur), 0) AS revenue, coalesce(sum(amount) FILTER (WHERE NOT cur), 0) AS revenue_p,
         count(*) FILTER (WHERE cur AND is_new) AS new, count(*) FILTER (WHERE NOT cur AND is_new) AS new_p,
         coalesce(sum(amount) FILTER (WHERE cur AND is_new), 0) AS new_revenue,
         coalesce(sum(amount) FILTER (WHERE NOT cur AND is_new), 0) AS new_revenue_p
  FROM x
)
SELECT CASE WHEN revenue <> 0 THEN new_revenue::float8 / revenue * 100 END AS new_customer_revenue_share,
       CASE WHEN revenue_p <> 0 THEN new_revenue_p::float8 / revenue_p * 100 END AS new_customer_revenue_share_previous,
       CASE WHEN (CASE WHEN revenue_p <> 0 THEN new_revenue_p::float8 / revenue_p * 100 END) <> 0 THEN ((CASE WHEN revenue <> 0 THEN new_revenue::float8 / revenue * 100 END) - (CASE WHEN revenue_p <> 0 THEN new_revenue_p::float8 / revenue_p * 100 END)) / (CASE WHEN revenue_p <> 0 THEN new_revenue_p::float8 / revenue_p * 100 END) * 100 END AS new_customer_revenue_share_change_pct
FROM s
