-- Panel: CSAT by agent
-- Metrics: csat, csat_lower_bound, csat_average, responses by agent (docs/METRICS.md)
-- The survey's own agent, else the ticket's closing agent ((open) while open, (none) without one).
-- Data source settings of the bench, written in the SQL as a user writes them: shop currency USD,
-- report time zone Europe/Paris, attribution window 72 h (last touch, date basis ticket), excluded
-- statuses cancelled/refunded/voided, VIP = 500 USD spent or 5 orders or tag vip, SLA targets
-- critical 1 h, high 4 h, normal 24 h, low 48 h. $1 and $2 stand for $__timeFrom() and $__timeTo().
WITH s AS (
  SELECT coalesce(r.agent, CASE WHEN t.id IS NULL THEN '(none)' ELSE CASE WHEN t.closed_at IS NULL THEN '(open)' ELSE coalesce(t.closing_agent, '(none)') END END) AS agent, r.score
  FROM csat_responses r LEFT JOIN tickets t ON t.id = r.ticket_id
  WHERE r.responded_at >= $1 AND r.responded_at < $2 AND r.score IS NOT NULL
)
SELECT agent, CASE WHEN count(*) <> 0 THEN count(*) FILTER (WHERE score >= 4)::float8 / count(*) * 100 END AS csat,
       CASE WHEN count(*) > 0 THEN ((count(*) FILTER (WHERE score >= 4)::float8 / count(*)) + 1.959963984540054::float8 * 1.959963984540054::float8 / (2 * count(*)::float8) - 1.959963984540054::float8 * sqrt((count(*) FILTER (WHERE score >= 4)::float8 / count(*)) * (1 - (count(*) FILTER (WHERE score >= 4)::float8 / count(*))) / count(*)::float8 + 1.959963984540054::float8 * 1.959963984540054::float8 / (4 * count(*)::float8 * count(*)::float8))) / (1 + 1.959963984540054::float8 * 1.959963984540054::float8 / count(*)::float8) * 100 END AS csat_lower_bound,
       sum(score)::float8 / count(*) AS csat_average,
       count(*)::float8 AS responses
FROM s
GROUP BY agent
