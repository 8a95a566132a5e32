package demo_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func load(t *testing.T, db *pgtest.DB, opt demo.Options) map[string]int64 {
	t.Helper()
	counts, err := demo.Load(context.Background(), db.AdminPool, db.AdminPool, opt)
	require.NoError(t, err)
	return counts
}

// number runs a query returning one number, with the stores' schemas in the search path.
func number(t *testing.T, db *pgtest.DB, schemas, sql string) float64 {
	t.Helper()
	ctx := context.Background()
	conn, err := db.AdminPool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET search_path TO "+schemas)
	require.NoError(t, err)
	var v float64
	require.NoError(t, conn.QueryRow(ctx, "SELECT ("+sql+")::float8").Scan(&v), sql)
	_, err = conn.Exec(ctx, "RESET search_path")
	require.NoError(t, err)
	return v
}

func TestDemoScaleInvariants(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	counts := load(t, db, demo.Options{HelpdeskSchema: "hd", OrdersSchema: "od", Seed: 1})
	const s = "hd, od"
	q := func(sql string) float64 { return number(t, db, s, sql) }

	assert.EqualValues(t, 2000, counts["customers"])
	assert.EqualValues(t, 6000, counts["tickets"])
	assert.EqualValues(t, 5000, counts["orders"])
	for table, n := range counts {
		assert.EqualValues(t, n, q("SELECT count(*) FROM "+table), "reported count of %s", table)
	}

	ranges := []struct {
		what     string
		sql      string
		min, max float64
	}{
		// helpdesk
		{"messages per ticket", "SELECT count(*)::float8 / (SELECT count(*) FROM tickets) FROM messages", 2, 6},
		{"closed share", "SELECT avg((closed_at IS NOT NULL)::int) FROM tickets", 0.85, 0.95},
		{"unidentified share", "SELECT avg((customer_key IS NULL)::int) FROM tickets", 0.15, 0.25},
		{"normal priority share", "SELECT avg((priority = 'normal')::int) FROM tickets", 0.65, 0.85},
		{"tickets without topic", "SELECT avg((topic IS NULL)::int) FROM tickets", 0.03, 0.2},
		{"projects", "SELECT count(DISTINCT project) FROM tickets", 3, 3},
		{"channels", "SELECT count(DISTINCT channel) FROM tickets", 4, 4},
		{"agents", "SELECT count(DISTINCT agent) FROM messages", 8, 12},
		{"closed with closing agent", "SELECT avg((closing_agent IS NOT NULL)::int) FROM tickets WHERE closed_at IS NOT NULL", 0.75, 0.92},
		{"automated only (closed)", `SELECT avg((bots > 0 AND humans = 0)::int) FROM (
			SELECT t.id, count(*) FILTER (WHERE m.sender_kind IN ('bot', 'rule')) AS bots,
			       count(*) FILTER (WHERE m.sender_kind = 'agent') AS humans
			  FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE t.closed_at IS NOT NULL GROUP BY t.id) x`, 0.10, 0.20},
		{"outbound share", `SELECT avg((first_kind = 'agent')::int) FROM (
			SELECT DISTINCT ON (ticket_id) sender_kind AS first_kind FROM messages ORDER BY ticket_id, sent_at) x`, 0.03, 0.08},
		{"surveys per closed ticket", "SELECT count(*)::float8 / (SELECT count(*) FROM tickets WHERE closed_at IS NOT NULL) FROM csat_responses", 0.5, 0.7},
		{"response rate", "SELECT avg((score IS NOT NULL)::int) FROM csat_responses", 0.3, 0.5},
		{"share of 4-5 scores", "SELECT avg((score >= 4)::int) FROM csat_responses WHERE score IS NOT NULL", 0.65, 0.9},
		{"low scores exist", "SELECT count(*) FROM csat_responses WHERE score <= 2", 10, 1e9},
		{"survey agent differs from closing agent", `SELECT count(*) FROM csat_responses c JOIN tickets t ON t.id = c.ticket_id
			WHERE c.agent IS DISTINCT FROM t.closing_agent`, 1, 300},
		{"chat engagement", `SELECT (SELECT count(*) FROM tickets WHERE channel = 'chat')::float8 / sum(displays) FROM chat_displays`, 0.015, 0.06},
		{"tickets within 72h before an order of their customer", `SELECT avg(EXISTS (SELECT FROM orders o
			WHERE o.customer_key = t.customer_key AND o.created_at >= t.created_at
			  AND o.created_at < t.created_at + interval '72 hours')::int) FROM tickets t`, 0.2, 0.5},
		{"tickets 72-96h before an order", `SELECT count(*) FROM tickets t WHERE EXISTS (SELECT FROM orders o
			WHERE o.customer_key = t.customer_key AND o.created_at >= t.created_at + interval '72 hours'
			  AND o.created_at < t.created_at + interval '96 hours')`, 20, 1e9},
		{"ticket tags used", "SELECT count(*) FROM tickets WHERE tags <> '{}'", 500, 1e9},
		// order store
		{"EUR order share", "SELECT avg((currency = 'EUR')::int) FROM orders", 0.015, 0.05},
		{"cancelled or refunded share", "SELECT avg((status IN ('cancelled', 'refunded'))::int) FROM orders", 0.03, 0.09},
		{"orders without project", "SELECT avg((project IS NULL)::int) FROM orders", 0.02, 0.08},
		{"buyers among customers", "SELECT count(DISTINCT customer_key)::float8 / (SELECT count(*) FROM customers) FROM orders", 0.75, 0.85},
		{"buyers who bought once", "SELECT avg((n = 1)::int) FROM (SELECT count(*) AS n FROM orders GROUP BY customer_key) x", 0.45, 0.75},
		{"most orders by one customer", "SELECT max(n) FROM (SELECT count(*) AS n FROM orders GROUP BY customer_key) x", 20, 300},
		{"vip-tagged customers", "SELECT avg(('vip' = ANY (tags))::int) FROM customers", 0.01, 0.06},
		{"gold-tagged customers", "SELECT count(*) FROM customers WHERE 'gold' = ANY (tags)", 20, 1e9},
		{"customers over 500 spent", "SELECT count(*) FROM (SELECT customer_key FROM orders GROUP BY customer_key HAVING sum(total) >= 500) x", 20, 1e9},
		{"lines per order", "SELECT count(*)::float8 / (SELECT count(*) FROM orders) FROM order_lines", 1.5, 2.2},
		{"products sold", "SELECT count(DISTINCT product_id) FROM order_lines", 100, 200},
		{"top product's share of quantity", `SELECT max(q)::float8 / sum(q) FROM (SELECT sum(quantity) AS q FROM order_lines GROUP BY product_id) x`, 0.03, 0.3},
		{"data span in days", "SELECT extract(epoch FROM max(created_at) - min(created_at)) / 86400 FROM tickets", 390, 395},
		{"cart events per order", "SELECT count(*)::float8 / (SELECT count(*) FROM orders) FROM cart_events", 1.4, 1.6},
	}
	for _, r := range ranges {
		v := q(r.sql)
		assert.True(t, v >= r.min && v <= r.max, "%s: %v not in [%v, %v]", r.what, v, r.min, r.max)
	}

	zeros := []struct{ what, sql string }{
		{"orders in other currencies", "SELECT count(*) FROM orders WHERE currency NOT IN ('USD', 'EUR')"},
		{"EUR orders without a rate", "SELECT count(*) FROM orders o WHERE currency = 'EUR' AND NOT EXISTS (SELECT FROM exchange_rates r WHERE r.currency = 'EUR' AND r.day = (o.created_at AT TIME ZONE 'UTC')::date)"},
		{"days without a rate", "SELECT count(*) FROM generate_series((SELECT min(created_at) FROM orders)::date, '2026-11-22'::date, interval '1 day') d WHERE NOT EXISTS (SELECT FROM exchange_rates WHERE day = d::date)"},
		{"totals unequal to their lines", "SELECT count(*) FROM orders o WHERE total <> (SELECT sum(line_total) FROM order_lines l WHERE l.order_id = o.id)"},
		{"orders with 0 or more than 4 lines", "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) NOT BETWEEN 1 AND 4"},
		{"orders of unknown customers", "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT FROM customers c WHERE c.customer_key = o.customer_key)"},
		{"orders before their customer", "SELECT count(*) FROM orders o JOIN customers c USING (customer_key) WHERE o.created_at < c.created_at"},
		{"tickets of unknown customers", "SELECT count(*) FROM tickets t WHERE customer_key IS NOT NULL AND NOT EXISTS (SELECT FROM customers c WHERE c.customer_key = t.customer_key)"},
		{"messages of unknown tickets", "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT FROM tickets t WHERE t.id = m.ticket_id)"},
		{"tickets without messages", "SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT FROM messages m WHERE m.ticket_id = t.id)"},
		{"messages before their ticket", "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.sent_at < t.created_at"},
		{"agent set off agent messages", "SELECT count(*) FROM messages WHERE (agent IS NOT NULL) <> (sender_kind = 'agent')"},
		{"closed before created", "SELECT count(*) FROM tickets WHERE closed_at < created_at"},
		{"closing agent on open tickets", "SELECT count(*) FROM tickets WHERE closed_at IS NULL AND closing_agent IS NOT NULL"},
		{"answered surveys without score and vice versa", "SELECT count(*) FROM csat_responses WHERE (responded_at IS NULL) <> (score IS NULL)"},
		{"answers before sending", "SELECT count(*) FROM csat_responses WHERE responded_at < sent_at"},
		{"surveys of unknown tickets", "SELECT count(*) FROM csat_responses c WHERE NOT EXISTS (SELECT FROM tickets t WHERE t.id = c.ticket_id)"},
		{"events at or after the end", `SELECT (SELECT count(*) FROM tickets WHERE created_at >= '2026-11-23Z' OR closed_at >= '2026-11-23Z')
			+ (SELECT count(*) FROM messages WHERE sent_at >= '2026-11-23Z')
			+ (SELECT count(*) FROM csat_responses WHERE sent_at >= '2026-11-23Z' OR responded_at >= '2026-11-23Z')
			+ (SELECT count(*) FROM orders WHERE created_at >= '2026-11-23Z')
			+ (SELECT count(*) FROM cart_events WHERE created_at >= '2026-11-23Z')
			+ (SELECT count(*) FROM chat_displays WHERE displayed_at >= '2026-11-23Z')`},
		{"tickets before the period", "SELECT count(*) FROM tickets WHERE created_at < timestamptz '2026-11-23Z' - interval '395 days'"},
	}
	for _, z := range zeros {
		assert.Zero(t, q(z.sql), z.what)
	}

	assert.Equal(t, 12.0, q("SELECT count(*) FROM pg_indexes WHERE schemaname IN ('hd', 'od') AND indexname LIKE '%_idx'"), "secondary indexes")
	assert.Zero(t, q("SELECT count(*) FROM pg_stat_user_tables WHERE schemaname IN ('hd', 'od') AND last_analyze IS NULL"), "every table analyzed")
}

// checksum fingerprints a few columns of every table.
const checksum = `SELECT md5(concat_ws('|',
	(SELECT md5(string_agg(id || coalesce(customer_key, '') || channel || project || coalesce(topic, '') || priority ||
		tags::text || created_at || coalesce(closed_at::text, '') || coalesce(closing_agent, ''), ',' ORDER BY id)) FROM tickets),
	(SELECT md5(string_agg(ticket_id || sent_at || sender_kind || coalesce(agent, ''), ',' ORDER BY ticket_id, sent_at, sender_kind)) FROM messages),
	(SELECT md5(string_agg(ticket_id || sent_at || coalesce(score::text, '') || coalesce(agent, ''), ',' ORDER BY ticket_id, sent_at)) FROM csat_responses),
	(SELECT md5(string_agg(customer_key || created_at || tags::text, ',' ORDER BY customer_key)) FROM customers),
	(SELECT md5(string_agg(id || customer_key || created_at || status || total || currency || coalesce(project, ''), ',' ORDER BY id)) FROM orders),
	(SELECT md5(string_agg(order_id || product_id || quantity || line_total, ',' ORDER BY order_id, product_id)) FROM order_lines),
	(SELECT md5(string_agg(day::text || rate, ',' ORDER BY day)) FROM exchange_rates),
	(SELECT sum(displays) FROM chat_displays),
	(SELECT sum(amount) FROM cart_events)))`

func fingerprint(t *testing.T, db *pgtest.DB, schemas string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := db.AdminPool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET search_path TO "+schemas)
	require.NoError(t, err)
	var sum string
	require.NoError(t, conn.QueryRow(ctx, checksum).Scan(&sum))
	_, err = conn.Exec(ctx, "RESET search_path")
	require.NoError(t, err)
	return sum
}

func TestSameSeedSameData(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	small := demo.Size{Customers: 500, Tickets: 1500, Orders: 1200}
	load(t, db, demo.Options{HelpdeskSchema: "a", OrdersSchema: "a", Size: small, Seed: 7})
	load(t, db, demo.Options{HelpdeskSchema: "b1", OrdersSchema: "b2", Size: small, Seed: 7})
	load(t, db, demo.Options{HelpdeskSchema: "c", OrdersSchema: "c", Size: small, Seed: 8})
	a, b, c := fingerprint(t, db, "a"), fingerprint(t, db, "b1, b2"), fingerprint(t, db, "c")
	assert.Equal(t, a, b, "same seed, same data (whatever the schemas)")
	assert.NotEqual(t, a, c, "another seed, other data")
}

func TestReloadNeedsDropAndNoRates(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	small := demo.Options{Size: demo.Size{Customers: 100, Tickets: 200, Orders: 150}}
	load(t, db, small)

	_, err := demo.Load(ctx, db.AdminPool, db.AdminPool, small)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already holds rows")

	small.Drop, small.NoRates = true, true
	counts := load(t, db, small)
	assert.Zero(t, counts["exchange_rates"])
	assert.EqualValues(t, 150, counts["orders"])
	assert.Zero(t, number(t, db, "public", "SELECT count(*) FROM exchange_rates"))
	assert.Equal(t, 150.0, number(t, db, "public", "SELECT count(*) FROM orders"))
}

// The stores may be two databases: each gets its own relations only.
func TestSeparateStores(t *testing.T) {
	srv := pgtest.Start(t)
	hd, od := srv.NewDatabase(t), srv.NewDatabase(t)
	counts, err := demo.Load(context.Background(), hd.AdminPool, od.AdminPool,
		demo.Options{HelpdeskSchema: "support", OrdersSchema: "shop", Size: demo.Size{Customers: 100, Tickets: 200, Orders: 150}})
	require.NoError(t, err)
	assert.EqualValues(t, 200, counts["tickets"])
	tables := func(db *pgtest.DB) string {
		var names string
		require.NoError(t, db.AdminPool.QueryRow(context.Background(),
			"SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").Scan(&names))
		return names
	}
	assert.Equal(t, "support.chat_displays,support.csat_responses,support.messages,support.tickets", tables(hd))
	assert.Equal(t, "shop.cart_events,shop.customers,shop.exchange_rates,shop.order_lines,shop.orders", tables(od))
}

func TestOptionsAreChecked(t *testing.T) {
	_, err := demo.Load(context.Background(), nil, nil, demo.Options{Size: demo.Size{Customers: 10, Tickets: 10, Orders: 100_000}})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "too many"), err.Error())
	_, err = demo.ScaleByName("huge")
	assert.Error(t, err)
}
