-- Panel: Orders and new customers per day
-- Metrics: orders, new_customers by time (day) (docs/METRICS.md)
-- An order is new when it is its customer's first eligible order ever: one probe of
-- orders(customer_key, created_at) per customer of the range, which stops at the first eligible
-- order.
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
  WHERE o.created_at >= p.t0 AND o.created_at < p.t1
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
buckets AS (  -- every calendar bucket of the range in the report time zone
  SELECT g AT TIME ZONE 'Europe/Paris' AS time
  FROM params p, generate_series(date_trunc('day', p.t0 AT TIME ZONE 'Europe/Paris'),
                                 (p.t1 - interval '1 microsecond') AT TIME ZONE 'Europe/Paris',
                                 ('1 ' || 'day')::interval) g
),
per AS (
  SELECT date_trunc('day', (o.created_at) AT TIME ZONE 'Europe/Paris') AT TIME ZONE 'Europe/Paris' AS time, count(*) AS orders, count(*) FILTER (WHERE (o.customer_key IS NULL OR o.id = fi.first_id)) AS new
  FROM od o LEFT JOIN firsts fi ON fi.customer_key = o.customer_key GROUP BY 1
)
SELECT greatest(b.time, $1::timestamptz) AS time,  -- a first bucket the range cuts is stamped at its start
       coalesce(per.orders, 0)::float8 AS orders, coalesce(per.new, 0)::float8 AS new_customers
FROM buckets b LEFT JOIN per USING (time)
ORDER BY b.time
