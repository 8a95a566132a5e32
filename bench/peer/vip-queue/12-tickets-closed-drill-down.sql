-- Panel: Tickets closed (drill-down)
-- Metrics: tickets drill-down (basis closed, all, newest first) (docs/METRICS.md)
-- Tickets closed in the range, whenever created.
-- The 1000 rows shown are chosen first; each one's attribution probes orders(customer_key, created_at)
-- for its 72 h window cut at its customer's next ticket (one probe of tickets(customer_key, created_at)),
-- then segment, first response, handled by and score for those rows only.
-- Data source settings of the bench, written in the SQL as a user writes them: shop currency USD,
-- report time zone Europe/Paris, attribution window 72 h (last touch, anchor created, date basis ticket),
-- excluded statuses cancelled/refunded/voided, VIP = 500 USD spent or 5 orders or tag vip, SLA targets
-- critical 1 h, high 4 h, normal 24 h, low 48 h, office hours Monday to Friday 09:00-12:30 and
-- 13:30-18:00 in Paris. $1 and $2 stand for $__timeFrom() and $__timeTo().
WITH params AS (
  SELECT $1::timestamptz AS t0, $2::timestamptz AS t1,
         $1::timestamptz - make_interval(secs => extract(epoch FROM $2::timestamptz - $1::timestamptz)) AS p0,
         make_interval(secs => extract(epoch FROM $2::timestamptz - $1::timestamptz)) AS len,
         CASE WHEN $2::timestamptz - $1::timestamptz < interval '48 hours' THEN 'hour'
              WHEN $2::timestamptz - $1::timestamptz < interval '2208 hours' THEN 'day'
              WHEN $2::timestamptz - $1::timestamptz < interval '17520 hours' THEN 'week'
              ELSE 'month' END AS unit
),
shown0 AS (  -- the rows shown, chosen before the per-row details are computed
  SELECT t.id, t.customer_key, t.created_at, t.closed_at, t.closing_agent, t.channel, t.project, t.topic, t.priority, t.tags
  FROM params p, tickets t
  WHERE t.closed_at >= p.t0 AND t.closed_at < p.t1
  ORDER BY t.created_at DESC, t.id COLLATE "C" DESC
  LIMIT 1000
),
shown AS (  -- with their credited orders and revenue
  SELECT t.*, coalesce(c.orders, 0) AS credited_orders, coalesce(c.revenue, 0) AS revenue
  FROM shown0 t CROSS JOIN params p
  LEFT JOIN LATERAL (SELECT min(n.created_at) AS next_at FROM tickets n
                     WHERE n.customer_key = t.customer_key AND n.created_at >= t.created_at
                       AND (n.created_at > t.created_at OR n.id COLLATE "C" > t.id COLLATE "C")) nx ON true
  LEFT JOIN LATERAL (
    SELECT count(*) AS orders, sum(a.amount) AS revenue
    FROM orders o CROSS JOIN LATERAL (SELECT CASE WHEN o.currency = 'USD' THEN round(o.total * 10000)::int8
            ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount) a
    WHERE o.customer_key = t.customer_key
      AND o.created_at >= t.created_at AND o.created_at < least(t.created_at + interval '72 hours', coalesce(nx.next_at, 'infinity'))
      AND coalesce(o.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND a.amount IS NOT NULL
  ) c ON t.customer_key IS NOT NULL AND t.created_at >= p.t0 - interval '72 hours'
  -- The plugin's documented rule (docs/METRICS.md, basis closed, responded and open): a row's credits
  -- are those the range's attribution reads, orders from 72 h before the range; a ticket created more
  -- than a window before the range shows none.
)
SELECT t.id, t.created_at, t.closed_at, coalesce(t.channel, '(none)') AS channel, coalesce(t.project, '(none)') AS project,
       coalesce(t.topic, '(none)') AS topic, coalesce(t.priority, '(none)') AS priority,
       array_to_string(t.tags, ', ') AS tags, CASE WHEN t.closed_at IS NULL THEN '(open)' ELSE coalesce(t.closing_agent, '(none)') END AS agent,
       CASE WHEN t.customer_key IS NULL THEN 'unidentified'
            WHEN h.n >= 5 OR h.spent >= 5000000
              OR EXISTS (SELECT FROM customers c WHERE c.customer_key = t.customer_key AND c.tags && '{vip}') THEN 'vip'
            WHEN h.n = 0 THEN 'prospect' WHEN h.n = 1 THEN 'new_buyer' ELSE 'returning' END AS segment,
       (CASE WHEN NOT (m.first_agent IS NOT NULL AND (m.first_other IS NULL OR m.first_agent < m.first_other)) THEN extract(epoch FROM m.first_reply - t.created_at) END)::float8 AS first_response_seconds,
       CASE WHEN NOT (m.first_agent IS NOT NULL AND (m.first_other IS NULL OR m.first_agent < m.first_other)) AND m.first_reply IS NOT NULL
            THEN coalesce(bh.secs, 0) END AS first_response_business_seconds,
       CASE WHEN m.has_agent AND m.has_auto THEN 'mixed' WHEN m.has_agent THEN 'human' WHEN m.has_auto THEN 'automated'
            ELSE 'unanswered' END AS handled_by,
       t.credited_orders > 0 AS converted, t.credited_orders::float8 AS credited_orders,
       t.revenue::float8 / 10000 AS attributed_revenue,
       s.score::float8 AS csat_score
FROM shown t
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
LEFT JOIN LATERAL (  -- business seconds from creation to the first reply: the team's office hours in Paris
  -- (Monday to Friday 09:00-12:30 and 13:30-18:00 wall clock, holidays 2026-11-11, 2026-12-25, 2027-01-01)
  SELECT sum(greatest(0, extract(epoch FROM least(m.first_reply, (g.d::date + iv.s) AT TIME ZONE 'Europe/Paris' + (iv.e - iv.s))
                                          - greatest(t.created_at, (g.d::date + iv.s) AT TIME ZONE 'Europe/Paris'))))::float8 AS secs
  FROM generate_series((t.created_at AT TIME ZONE 'Europe/Paris')::date, (m.first_reply AT TIME ZONE 'Europe/Paris')::date, interval '1 day') g(d)
  CROSS JOIN (VALUES (time '09:00', time '12:30'), (time '13:30', time '18:00')) iv(s, e)
  WHERE extract(isodow FROM g.d) < 6 AND g.d::date NOT IN (date '2026-11-11', date '2026-12-25', date '2027-01-01')
) bh ON m.first_reply IS NOT NULL
LEFT JOIN LATERAL (SELECT score FROM csat_responses r WHERE r.ticket_id = t.id AND r.score IS NOT NULL
                   ORDER BY r.responded_at DESC NULLS LAST, r.score LIMIT 1) s ON true
ORDER BY t.created_at DESC, t.id COLLATE "C" DESC
