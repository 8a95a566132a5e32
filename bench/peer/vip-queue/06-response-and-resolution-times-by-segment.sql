-- Panel: Response and resolution times by segment
-- Metrics: first_response_seconds_p50, first_response_seconds_p90, resolution_seconds_p50, resolution_seconds_p90 by segment (docs/METRICS.md)
-- First responses over the tickets created in the range, resolutions over those closed in it;
-- percentiles by nearest rank. Segment as of the ticket's closing (its creation while open): its
-- customer's eligible orders before that instant, read up to the fifth (five orders make a VIP
-- whatever they cost).
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
f AS (
  SELECT t.id, t.created_at, t.closed_at, coalesce(t.priority, '(none)') AS priority,
         CASE WHEN t.customer_key IS NULL THEN 'unidentified'
            WHEN h.n >= 5 OR h.spent >= 5000000
              OR EXISTS (SELECT FROM customers c WHERE c.customer_key = t.customer_key AND c.tags && '{vip}') THEN 'vip'
            WHEN h.n = 0 THEN 'prospect' WHEN h.n = 1 THEN 'new_buyer' ELSE 'returning' END AS segment,
         (CASE WHEN NOT (m.first_agent IS NOT NULL AND (m.first_other IS NULL OR m.first_agent < m.first_other)) THEN extract(epoch FROM m.first_reply - t.created_at) END)::float8 AS frt,
         CASE WHEN (m.first_agent IS NOT NULL AND (m.first_other IS NULL OR m.first_agent < m.first_other)) THEN NULL
              WHEN m.first_reply IS NOT NULL THEN extract(epoch FROM m.first_reply - t.created_at) <= CASE t.priority WHEN 'critical' THEN 3600 WHEN 'high' THEN 14400 WHEN 'low' THEN 172800 ELSE 86400 END
              WHEN t.created_at + make_interval(secs => CASE t.priority WHEN 'critical' THEN 3600 WHEN 'high' THEN 14400 WHEN 'low' THEN 172800 ELSE 86400 END) <= now() THEN false END AS sla_met
  FROM params p, tickets t
  LEFT JOIN LATERAL (  -- the customer's eligible orders before the ticket's instant, at most 5 (5 make a VIP)
  SELECT count(*) AS n, sum(amount) AS spent FROM (
    SELECT a.amount FROM orders o CROSS JOIN LATERAL (SELECT CASE WHEN o.currency = 'USD' THEN round(o.total * 10000)::int8
            ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount) a
    WHERE o.customer_key = t.customer_key AND o.created_at < coalesce(t.closed_at, t.created_at)
      AND coalesce(o.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND a.amount IS NOT NULL
    ORDER BY o.created_at LIMIT 5) f
) h ON t.customer_key IS NOT NULL
  LEFT JOIN LATERAL (  -- the ticket's message summary: one probe of messages(ticket_id, sent_at)
  SELECT min(sent_at) FILTER (WHERE sender_kind = 'agent' AND sent_at >= t.created_at) AS first_reply,
         min(sent_at) FILTER (WHERE sender_kind = 'agent') AS first_agent,
         min(sent_at) FILTER (WHERE sender_kind <> 'agent') AS first_other,
         bool_or(sender_kind = 'agent') AS has_agent,
         bool_or(sender_kind IN ('bot', 'rule')) AS has_auto
  FROM messages WHERE ticket_id = t.id
) m ON true
  WHERE ((t.created_at >= p.t0 AND t.created_at < p.t1) OR (t.closed_at >= p.t0 AND t.closed_at < p.t1))
),
c AS (
  SELECT segment, percentile_disc(0.5) WITHIN GROUP (ORDER BY frt) AS fr50, percentile_disc(0.9) WITHIN GROUP (ORDER BY frt) AS fr90
  FROM params p, f WHERE f.created_at >= p.t0 AND f.created_at < p.t1 GROUP BY segment
),
r AS (
  SELECT segment, percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at)::float8) AS r50,
         percentile_disc(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at)::float8) AS r90
  FROM params p, f WHERE f.closed_at >= p.t0 AND f.closed_at < p.t1 GROUP BY segment
)
SELECT segment, fr50 AS first_response_seconds_p50, fr90 AS first_response_seconds_p90,
       r50 AS resolution_seconds_p50, r90 AS resolution_seconds_p90
FROM c FULL JOIN r USING (segment)
