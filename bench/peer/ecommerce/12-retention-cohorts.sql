-- Panel: Retention cohorts
-- Metrics: retention (12 months) (docs/METRICS.md)
-- The panel's own range is the last year. Cohort: the month (report time zone) of a customer's
-- first eligible order ever, when in the range; month k: the share of the cohort with an eligible
-- order k calendar months later (empty past the range). An order is new when it is its customer's
-- first eligible order ever: one probe of orders(customer_key, created_at) per customer of the
-- range, which stops at the first eligible order.
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
span AS (
  SELECT extract(year FROM (p.t1 - interval '1 microsecond') AT TIME ZONE 'Europe/Paris')::int * 12
         + extract(month FROM (p.t1 - interval '1 microsecond') AT TIME ZONE 'Europe/Paris')::int - 1 AS last
  FROM params p
),
x AS (
  SELECT o.customer_key,
         extract(year FROM o.created_at AT TIME ZONE 'Europe/Paris')::int * 12 + extract(month FROM o.created_at AT TIME ZONE 'Europe/Paris')::int - 1 AS m,
         (o.customer_key IS NULL OR o.id = fi.first_id) AS is_new
  FROM od o LEFT JOIN firsts fi ON fi.customer_key = o.customer_key WHERE o.customer_key IS NOT NULL
),
cohort AS (
  SELECT customer_key, m, count(*) OVER (PARTITION BY m) AS size FROM x WHERE is_new
),
c AS (SELECT DISTINCT m, size FROM cohort),
back AS (  -- the months in which each cohort customer ordered again, once each
  SELECT DISTINCT k.m AS cm, x.m - k.m AS k, x.customer_key
  FROM x JOIN cohort k USING (customer_key) WHERE NOT x.is_new AND x.m > k.m AND x.m <= k.m + 12
),
a AS (SELECT cm, k, count(*) AS n FROM back GROUP BY cm, k)
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
