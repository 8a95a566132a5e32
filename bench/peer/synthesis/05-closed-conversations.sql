-- Panel: Closed conversations
-- Metrics: closed_tickets (docs/METRICS.md)
-- Tickets closed in the range. Both periods in one statement: the previous period is the same
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
k AS (
  SELECT count(*) FILTER (WHERE t.closed_at >= p.t0) AS closed, count(*) FILTER (WHERE t.closed_at < p.t0) AS closed_p
  FROM params p, tickets t WHERE t.closed_at >= p.p0 AND t.closed_at < p.t1
)
SELECT closed::float8 AS closed_tickets,
       closed_p::float8 AS closed_tickets_previous,
       CASE WHEN (closed_p::float8) <> 0 THEN ((closed::float8) - (closed_p::float8)) / (closed_p::float8) * 100 END AS closed_tickets_change_pct
FROM k
