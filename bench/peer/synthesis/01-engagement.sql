-- Panel: Engagement
-- Metrics: engagement_rate (docs/METRICS.md)
-- Chat tickets created / chat-widget displays. Both periods in one statement: the previous period
-- is the same length just before.
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
t AS (
  SELECT count(*) FILTER (WHERE t.created_at >= p.t0) AS chats, count(*) FILTER (WHERE t.created_at < p.t0) AS chats_p
  FROM params p, tickets t
  WHERE t.created_at >= p.p0 AND t.created_at < p.t1 AND t.channel = 'chat'
),
d AS (
  SELECT coalesce(sum(displays) FILTER (WHERE d.displayed_at >= p.t0), 0) AS displays,
         coalesce(sum(displays) FILTER (WHERE d.displayed_at < p.t0), 0) AS displays_p
  FROM params p, chat_displays d
  WHERE d.displayed_at >= p.p0 AND d.displayed_at < p.t1
)
SELECT CASE WHEN d.displays <> 0 THEN t.chats::float8 / d.displays * 100 END AS engagement_rate,
       CASE WHEN d.displays_p <> 0 THEN t.chats_p::float8 / d.displays_p * 100 END AS engagement_rate_previous,
       CASE WHEN (CASE WHEN d.displays_p <> 0 THEN t.chats_p::float8 / d.displays_p * 100 END) <> 0 THEN ((CASE WHEN d.displays <> 0 THEN t.chats::float8 / d.displays * 100 END) - (CASE WHEN d.displays_p <> 0 THEN t.chats_p::float8 / d.displays_p * 100 END)) / (CASE WHEN d.displays_p <> 0 THEN t.chats_p::float8 / d.displays_p * 100 END) * 100 END AS engagement_rate_change_pct
FROM t, d
