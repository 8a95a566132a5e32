-- Panel: By handled by: automated, human, mixed, unanswered
-- Metrics: tickets, ticket_conversion_rate, attributed_orders, attributed_revenue, attributed_average_basket, csat, responses by handled_by (docs/METRICS.md)
-- Attribution as a strong engineer writes it: each ticket probes orders(customer_key, created_at)
-- for its 72 h window cut at its customer's next ticket (lead()), so each order goes to its latest
-- ticket without a join of every pair. handled_by from every message of the ticket: automated (bot
-- or rule, no agent), human (agent, no bot or rule), mixed (both), unanswered (neither). Tickets and
-- attribution over the tickets created in the range (every handled_by among them a row, 0 where
-- nothing converted), CSAT over the responses of the range by their ticket's handled_by.
-- Data source settings of the bench, written in the SQL as a user writes them: shop currency USD,
-- report time zone Europe/Paris, attribution window 72 h (last touch, anchor created, date basis
-- ticket), excluded statuses cancelled/refunded/voided. $1 and $2 stand for $__timeFrom() and $__timeTo().
WITH params AS (
  SELECT $1::timestamptz AS t0, $2::timestamptz AS t1,
         $1::timestamptz - make_interval(secs => extract(epoch FROM $2::timestamptz - $1::timestamptz)) AS p0,
         make_interval(secs => extract(epoch FROM $2::timestamptz - $1::timestamptz)) AS len,
         CASE WHEN $2::timestamptz - $1::timestamptz < interval '48 hours' THEN 'hour'
              WHEN $2::timestamptz - $1::timestamptz < interval '2208 hours' THEN 'day'
              WHEN $2::timestamptz - $1::timestamptz < interval '17520 hours' THEN 'week'
              ELSE 'month' END AS unit
),
tk AS (  -- tickets from p.t0 to 72 h past the range, each with its customer's next ticket
  SELECT t.id, t.customer_key, t.created_at, t.topic,
         lead(t.created_at) OVER (PARTITION BY t.customer_key ORDER BY t.created_at, t.id COLLATE "C") AS next_at
  FROM params p, tickets t
  WHERE t.created_at >= p.t0 AND t.created_at < p.t1 + interval '72 hours'
),
credit AS MATERIALIZED (  -- per ticket of the range: credited orders and revenue (computed once: a planner that expects few
  -- outer rows would otherwise rerun it in a nested loop)
  SELECT t.id AS ticket_id, c.orders, c.revenue
  FROM params p, tk t CROSS JOIN LATERAL (
    SELECT count(*) AS orders, sum(a.amount) AS revenue
    FROM orders o CROSS JOIN LATERAL (SELECT CASE WHEN o.currency = 'USD' THEN round(o.total * 10000)::int8
            ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount) a
    WHERE o.customer_key = t.customer_key
      AND o.created_at >= t.created_at AND o.created_at < least(t.created_at + interval '72 hours', t.next_at)
      AND coalesce(o.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND a.amount IS NOT NULL
  ) c
  WHERE t.created_at < p.t1 AND t.customer_key IS NOT NULL AND c.orders > 0
),
a AS (
  SELECT h.handled_by, count(*) AS tickets, count(c.ticket_id) AS converted,
         coalesce(sum(c.orders), 0) AS orders, coalesce(sum(c.revenue), 0) AS revenue
  FROM params p, tk t LEFT JOIN credit c ON c.ticket_id = t.id
  LEFT JOIN LATERAL (SELECT CASE WHEN bool_or(sender_kind = 'agent') AND bool_or(sender_kind IN ('bot', 'rule')) THEN 'mixed'
                                 WHEN bool_or(sender_kind = 'agent') THEN 'human'
                                 WHEN bool_or(sender_kind IN ('bot', 'rule')) THEN 'automated' ELSE 'unanswered' END AS handled_by
                     FROM messages WHERE ticket_id = t.id) h ON true
  WHERE t.created_at < p.t1
  GROUP BY 1
),
s AS (
  SELECT h.handled_by, count(*) FILTER (WHERE r.score >= 4) AS pos, count(*) AS n
  FROM params p, csat_responses r
  LEFT JOIN LATERAL (SELECT CASE WHEN bool_or(sender_kind = 'agent') AND bool_or(sender_kind IN ('bot', 'rule')) THEN 'mixed'
                                 WHEN bool_or(sender_kind = 'agent') THEN 'human'
                                 WHEN bool_or(sender_kind IN ('bot', 'rule')) THEN 'automated' ELSE 'unanswered' END AS handled_by
                     FROM messages WHERE ticket_id = r.ticket_id) h ON true
  WHERE r.responded_at >= p.t0 AND r.responded_at < p.t1 AND r.score IS NOT NULL
  GROUP BY 1
)
SELECT handled_by,
       coalesce(a.tickets, 0)::float8 AS tickets,
       CASE WHEN a.tickets <> 0 THEN a.converted::float8 / a.tickets * 100 END AS ticket_conversion_rate,
       coalesce(a.orders, 0)::float8 AS attributed_orders,
       coalesce(a.revenue, 0)::float8 / 10000 AS attributed_revenue,
       CASE WHEN a.orders <> 0 THEN a.revenue::float8 / 10000 / a.orders END AS attributed_average_basket,
       CASE WHEN s.n <> 0 THEN s.pos::float8 / s.n * 100 END AS csat,
       coalesce(s.n, 0)::float8 AS responses
FROM a FULL JOIN s USING (handled_by)
ORDER BY handled_by
