-- Panel: Retention cohorts
-- Metrics: retention (12 months) (docs/METRICS.md)
-- The panel's own range is the last year. Cohort: the month (report time zone) of a customer's
-- first eligible order ever, when that order is in the range; month k: the share of the cohort with
-- an eligible order k calendar months later (empty past the range). One scan of the orders up to
-- the range's end and hash aggregates: over a year this beats a probe per customer (most customers
-- of the store order in a year).
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
od AS (  -- eligible orders of identified customers up to the range's end, with their month in the report time zone
  SELECT o.customer_key, o.created_at, (extract(year FROM o.created_at AT TIME ZONE 'Europe/Paris')::int * 12 + extract(month FROM o.created_at AT TIME ZONE 'Europe/Paris')::int - 1) AS m
  FROM params p, orders o CROSS JOIN LATERAL (SELECT CASE WHEN o.currency = 'USD' THEN round(o.total * 10000)::int8
            ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount) a
  WHERE o.created_at < p.t1 AND o.customer_key IS NOT NULL
    AND coalesce(o.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND a.amount IS NOT NULL
),
firsts AS (SELECT customer_key, min(created_at) AS first_at, min(m) AS cm FROM od GROUP BY customer_key),
cohort AS (SELECT f.customer_key, f.cm FROM params p, firsts f WHERE f.first_at >= p.t0),
c AS (SELECT cm AS m, count(*) AS size FROM cohort GROUP BY cm),
back AS (  -- the months in which each cohort customer ordered again, once each
  SELECT DISTINCT k.cm, o.m - k.cm AS k, o.customer_key
  FROM od o JOIN cohort k USING (customer_key) WHERE o.m > k.cm AND o.m <= k.cm + 12
),
a AS (SELECT cm, k, count(*) AS n FROM back GROUP BY cm, k),
span AS (SELECT (extract(year FROM (p.t1 - interval '1 microsecond') AT TIME ZONE 'Europe/Paris')::int * 12 + extract(month FROM (p.t1 - interval '1 microsecond') AT TIME ZONE 'Europe/Paris')::int - 1) AS last FROM params p)
SELECT to_char(make_date(c.m / 12, c.m % 12 + 1, 1), 'YYYY-MM') AS cohort,
       make_date(c.m / 12, c.m % 12 + 1, 1)::timestamp AT TIME ZONE 'Europe/Paris' AS cohort_start,
       c.size::float8 AS customers,
       CASE WHEN c.m + 1 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 1), 0)::float8 / c.size * 100 END AS month_1,
       CASE WHEN c.m + 2 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 2), 0)::float8 / c.size * 100 END AS month_2,
       CASE WHEN c.m + 3 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 3), 0)::float8 / c.size * 100 END AS month_3,
       CASE WHEN c.m + 4 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 4), 0)::float8 / c.size * 100 END AS month_4,
       CASE WHEN c.m + 5 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 5), 0)::float8 / c.size * 100 END AS month_5,
       CASE WHEN c.m + 6 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 6), 0)::float8 / c.size * 100 END AS month_6,
       CASE WHEN c.m + 7 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 7), 0)::float8 / c.size * 100 END AS month_7,
       CASE WHEN c.m + 8 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 8), 0)::float8 / c.size * 100 END AS month_8,
       CASE WHEN c.m + 9 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 9), 0)::float8 / c.size * 100 END AS month_9,
       CASE WHEN c.m + 10 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 10), 0)::float8 / c.size * 100 END AS month_10,
       CASE WHEN c.m + 11 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 11), 0)::float8 / c.size * 100 END AS month_11,
       CASE WHEN c.m + 12 <= (SELECT last FROM span) THEN coalesce(max(a.n) FILTER (WHERE a.k = 12), 0)::float8 / c.size * 100 END AS month_12
FROM c LEFT JOIN a ON a.cm = c.m
GROUP BY c.m, c.size
ORDER BY c.m
