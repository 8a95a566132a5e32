-- Panel: Response rate
-- Metrics: response_rate (docs/METRICS.md)
-- Of the surveys sent in the range, those answered / those sent. Both periods in one statement: the
-- previous period is the same length just before.
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
  SELECT count(*) FILTER (WHERE r.sent_at >= p.t0 AND r.score IS NOT NULL) AS answered,
         count(*) FILTER (WHERE r.sent_at >= p.t0) AS sent,
         count(*) FILTER (WHERE r.sent_at < p.t0 AND r.score IS NOT NULL) AS answered_p,
         count(*) FILTER (WHERE r.sent_at < p.t0) AS sent_p
  FROM params p, csat_responses r
  WHERE r.sent_at >= p.p0 AND r.sent_at < p.t1
)
SELECT CASE WHEN sent <> 0 THEN answered::float8 / sent * 100 END AS response_rate,
       CASE WHEN sent_p <> 0 THEN answered_p::float8 / sent_p * 100 END AS response_rate_previous,
       CASE WHEN (CASE WHEN sent_p <> 0 THEN answered_p::float8 / sent_p * 100 END) <> 0 THEN ((CASE WHEN sent <> 0 THEN answered::float8 / sent * 100 END) - (CASE WHEN sent_p <> 0 THEN answered_p::float8 / sent_p * 100 END)) / (CASE WHEN sent_p <> 0 THEN answered_p::float8 / sent_p * 100 END) * 100 END AS response_rate_change_pct
FROM s
