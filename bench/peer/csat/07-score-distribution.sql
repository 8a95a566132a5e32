-- Panel: Score distribution
-- Metrics: responses by score (docs/METRICS.md)
-- Responses of the range per score.
-- Data source settings of the bench, written in the SQL as a user writes them: shop currency USD,
-- report time zone Europe/Paris, attribution window 72 h (last touch, date basis ticket), excluded
-- statuses cancelled/refunded/voided, VIP = 500 USD spent or 5 orders or tag vip, SLA targets
-- critical 1 h, high 4 h, normal 24 h, low 48 h. $1 and $2 stand for $__timeFrom() and $__timeTo().
SELECT r.score::text AS score, count(*)::float8 AS responses
FROM csat_responses r
WHERE r.responded_at >= $1 AND r.responded_at < $2 AND r.score IS NOT NULL
GROUP BY r.score
ORDER BY r.score
