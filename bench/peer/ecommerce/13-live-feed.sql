-- Panel: Live feed
-- Metrics: live_feed (50 rows) (docs/METRICS.md)
-- The latest orders (any status) and cart events of the range, newest first, in their own currency.
-- Data source settings of the bench, written in the SQL as a user writes them: shop currency USD,
-- report time zone Europe/Paris, attribution window 72 h (last touch, date basis ticket), excluded
-- statuses cancelled/refunded/voided, VIP = 500 USD spent or 5 orders or tag vip, SLA targets
-- critical 1 h, high 4 h, normal 24 h, low 48 h. $1 and $2 stand for $__timeFrom() and $__timeTo().
(SELECT o.created_at AS time, 'order' AS kind, o.id, coalesce(o.customer_key, '') AS customer,
        round(o.total * 10000)::float8 / 10000 AS amount, o.currency, coalesce(o.status, '') AS status
 FROM orders o WHERE o.created_at >= $1 AND o.created_at < $2
 ORDER BY o.created_at DESC, o.id DESC LIMIT 50)
UNION ALL
(SELECT c.created_at, 'cart', '', coalesce(c.customer_key, ''), round(c.amount * 10000)::float8 / 10000, c.currency, ''
 FROM cart_events c WHERE c.created_at >= $1 AND c.created_at < $2
 ORDER BY c.created_at DESC LIMIT 50)
ORDER BY 1 DESC, 3 DESC
LIMIT 50
