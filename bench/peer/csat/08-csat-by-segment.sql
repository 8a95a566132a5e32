-- Panel: CSAT by segment
-- Metrics: csat, csat_lower_bound, responses by segment (new_buyer, returning, vip) (docs/METRICS.md)
-- The segment of the response's ticket as of its closing: its customer's eligible orders before
-- that instant, read up to the fifth (five orders make a VIP whatever they cost).
-- Data source settings of the bench, written in the SQL as a user writes them: shop currency USD,
-- report time zone Europe/Paris, attribution window 72 h (last touch, date basis ticket), excluded
-- statuses cancelled/refunded/voided, VIP = 500 USD spent or 5 orders or tag vip, SLA targets
-- critical 1 h, high 4 h, normal 24 h, low 48 h. $1 and $2 stand for $__timeFrom() and $__timeTo().
WITH s AS (
  SELECT CASE WHEN t.customer_key IS NULL THEN 'unidentified'
            WHEN h.n >= 5 OR h.spent >= 5000000
              OR EXISTS (SELECT FROM customers c WHERE c.customer_key = t.customer_key AND c.tags && '{vip}') THEN 'vip'
            WHEN h.n = 0 THEN 'prospect' WHEN h.n = 1 THEN 'new_buyer' ELSE 'returning' END AS segment, r.score
  FROM csat_responses r JOIN tickets t ON t.id = r.ticket_id
  LEFT JOIN LATERAL (  -- the customer's eligible orders before the ticket's instant, at most 5 (5 make a VIP)
  SELECT count(*) AS n, sum(amount) AS spent FROM (
    SELECT a.amount FROM orders o CROSS JOIN LATERAL (SELECT CASE WHEN o.currency = 'USD' THEN round(o.total * 10000)::int8
            ELSE (SELECT round(o.total * r.rate * 10000)::int8 FROM exchange_rates r
                  WHERE r.currency = o.currency AND r.day = (o.created_at AT TIME ZONE 'UTC')::date) END AS amount) a
    WHERE o.customer_key = t.customer_key AND o.created_at < coalesce(t.closed_at, t.created_at)
      AND coalesce(o.status, '') NOT IN ('cancelled', 'refunded', 'voided') AND a.amount IS NOT NULL
    ORDER BY o.created_at LIMIT 5) f
) h ON t.customer_key IS NOT NULL
  WHERE r.responded_at >= $1 AND r.responded_at < $2 AND r.score IS NOT NULL
)
SELECT segment, CASE WHEN count(*) <> 0 THEN count(*) FILTER (WHERE score >= 4)::float8 / count(*) * 100 END AS csat,
       CASE WHEN count(*) > 0 THEN ((count(*) FILTER (WHERE score >= 4)::float8 / count(*)) + 1.959963984540054::float8 * 1.959963984540054::float8 / (2 * count(*)::float8) - 1.959963984540054::float8 * sqrt((count(*) FILTER (WHERE score >= 4)::float8 / count(*)) * (1 - (count(*) FILTER (WHERE score >= 4)::float8 / count(*))) / count(*)::float8 + 1.959963984540054::float8 * 1.959963984540054::float8 / (4 * count(*)::float8 * count(*)::float8))) / (1 + 1.959963984540054::float8 * 1.959963984540054::float8 / count(*)::float8) * 100 END AS csat_lower_bound,
       count(*)::float8 AS responses
FROM s
WHERE segment IN ('new_buyer', 'returning', 'vip')
GROUP BY segment
