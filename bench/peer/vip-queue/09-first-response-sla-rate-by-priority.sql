-- Panel: First response SLA rate by priority
-- Metrics: first_response_sla_rate, tickets by priority (docs/METRICS.md)
-- Tickets created in the range. SLA: first agent reply within the priority's target / tickets
-- answered or whose target has passed unanswered; outbound tickets left out.
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
         (CASE WHEN NOT (m.first_agent IS NOT NULL AND (m.first_other IS NULL OR m.first_agent < m.first_other)) THEN extract(epoch FROM m.first_reply - t.created_at) END)::float8 AS frt,
         CASE WHEN (m.first_agent IS NOT NULL AND (m.first_other IS NULL OR m.first_agent < m.first_other)) THEN NULL
              WHEN m.first_reply IS NOT NULL THEN extract(epoch FROM m.first_reply - t.created_at) <= CASE t.priority WHEN 'critical' THEN 3600 WHEN 'high' THEN 14400 WHEN 'low' THEN 172800 ELSE 86400 END
              WHEN t.created_at + make_interval(secs => CASE t.priority WHEN 'critical' THEN 3600 WHEN 'high' THEN 14400 WHEN 'low' THEN 172800 ELSE 86400 END) <= now() THEN false END AS sla_met
  FROM params p, tickets t
  
  LEFT JOIN LATERAL (  -- the ticket's message summary: one probe of messages(ticket_id, sent_at)
  SELECT min(sent_at) FILTER (WHERE sender_kind = 'agent' AND sent_at >= t.created_at) AS first_reply,
         min(sent_at) FILTER (WHERE sender_kind = 'agent') AS first_agent,
         min(sent_at) FILTER (WHERE sender_kind <> 'agent') AS first_other,
         bool_or(sender_kind = 'agent') AS has_agent,
         bool_or(sender_kind IN ('bot', 'rule')) AS has_auto
  FROM messages WHERE ticket_id = t.id
) m ON true
  WHERE t.created_at >= p.t0 AND t.created_at < p.t1
)
SELECT priority, CASE WHEN count(*) FILTER (WHERE sla_met IS NOT NULL) <> 0 THEN count(*) FILTER (WHERE sla_met)::float8 / count(*) FILTER (WHERE sla_met IS NOT NULL) * 100 END AS first_response_sla_rate,
       count(*)::float8 AS tickets
FROM f GROUP BY priority
