-- Panel: CSAT and lower bound over time
-- Metrics: csat, csat_lower_bound by time (auto) (docs/METRICS.md)
-- Auto buckets: hour below 2 days, day below 92, week below 730, else month; every bucket of the
-- range.
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
buckets AS (  -- every calendar bucket of the range in the report time zone
  SELECT g AT TIME ZONE 'Europe/Paris' AS time
  FROM params p, generate_series(date_trunc(p.unit, p.t0 AT TIME ZONE 'Europe/Paris'),
                                 (p.t1 - interval '1 microsecond') AT TIME ZONE 'Europe/Paris',
                                 ('1 ' || p.unit)::interval) g
),
s AS (
  SELECT date_trunc(p.unit, (r.responded_at) AT TIME ZONE 'Europe/Paris') AT TIME ZONE 'Europe/Paris' AS time, count(*) FILTER (WHERE r.score >= 4) AS pos, count(*) AS n
  FROM params p, csat_responses r
  WHERE r.responded_at >= p.t0 AND r.responded_at < p.t1 AND r.score IS NOT NULL
  GROUP BY 1
)
SELECT greatest(b.time, $1::timestamptz) AS time,  -- a first bucket the range cuts is stamped at its start
       CASE WHEN s.n <> 0 THEN s.pos::float8 / s.n * 100 END AS csat, CASE WHEN s.n > 0 THEN ((s.pos::float8 / s.n) + 1.959963984540054::float8 * 1.959963984540054::float8 / (2 * s.n::float8) - 1.959963984540054::float8 * sqrt((s.pos::float8 / s.n) * (1 - (s.pos::float8 / s.n)) / s.n::float8 + 1.959963984540054::float8 * 1.959963984540054::float8 / (4 * s.n::float8 * s.n::float8))) / (1 + 1.959963984540054::float8 * 1.959963984540054::float8 / s.n::float8) * 100 END AS csat_lower_bound
FROM buckets b LEFT JOIN s USING (time)
ORDER BY b.time
