-- Panel: CSAT
-- Metrics: csat (docs/METRICS.md)
-- Responses scored 4 or 5 / responses, by responded_at. Both periods in one statement: the previous
-- period is the same length just before.
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
s AS (
  SELECT count(*) FILTER (WHERE r.responded_at >= p.t0 AND r.score >= 4) AS pos,
         count(*) FILTER (WHERE r.responded_at >= p.t0) AS n,
         count(*) FILTER (WHERE r.responded_at < p.t0 AND r.score >= 4) AS pos_p,
         count(*) FILTER (WHERE r.responded_at < p.t0) AS n_p
  FROM params p, csat_responses r
  WHERE r.responded_at >= p.p0 AND r.responded_at < p.t1 AND r.score IS NOT NULL
)
SELECT CASE WHEN n <> 0 THEN pos::float8 / n * 100 END AS csat,
       CASE WHEN n_p <> 0 THEN pos_p::float8 / n_p * 100 END AS csat_previous,
       CASE WHEN (CASE WHEN n_p <> 0 THEN pos_p::float8 / n_p * 100 END) <> 0 THEN ((CASE WHEN n <> 0 THEN pos::float8 / n * 100 END) - (CASE WHEN n_p <> 0 THEN pos_p::float8 / n_p * 100 END)) / (CASE WHEN n_p <> 0 THEN pos_p::float8 / n_p * 100 END) * 100 END AS csat_change_pct
FROM s
