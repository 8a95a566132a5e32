-- Panel: Revenue per month
-- Metrics: revenue by time (month) (docs/METRICS.md)
-- Calendar months of the report time zone.
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
  SELECT o.created_at, a.amount
  FROM params p, orders o CROSS JOIN LATERAL (SELECT CASE WHEN o.currency = 'USD' THEN round(o.total * 10000)::int8
            ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount) a
  WHERE o.created_at >= p.t0 AND o.created_at < p.t1
    AND coalesce(o.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND a.amount IS NOT NULL
),
buckets AS (  -- every calendar bucket of the range in the report time zone
  SELECT g AT TIME ZONE 'Europe/Paris' AS time
  FROM params p, generate_series(date_trunc('month', p.t0 AT TIME ZONE 'Europe/Paris'),
                                 (p.t1 - interval '1 microsecond') AT TIME ZONE 'Europe/Paris',
                                 ('1 ' || 'month')::interval) g
),
per AS (
  SELECT date_trunc('month', (o.created_at) AT TIME ZONE 'Europe/Paris') AT TIME ZONE 'Europe/Paris' AS time, sum(o.amount) AS revenue
  FROM od o GROUP BY 1
)
SELECT greatest(b.time, $1::timestamptz) AS time,  -- a first bucket the range cuts is stamped at its start
       coalesce(per.revenue, 0)::float8 / 10000 AS revenue
FROM buckets b LEFT JOIN per USING (time)
ORDER BY b.time
