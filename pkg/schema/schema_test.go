package schema_test

import (
	"context"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/schema"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type dbColumn struct {
	udt      string
	nullable bool
}

// columnsOf reads what PostgreSQL says the relations of a schema look like.
func columnsOf(t *testing.T, db *pgtest.DB, schemaName string) map[string]map[string]dbColumn {
	t.Helper()
	rows, err := db.AdminPool.Query(context.Background(),
		`SELECT table_name, column_name, udt_name, is_nullable = 'YES'
		   FROM information_schema.columns WHERE table_schema = $1`, schemaName)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]map[string]dbColumn{}
	for rows.Next() {
		var table, column string
		var c dbColumn
		require.NoError(t, rows.Scan(&table, &column, &c.udt, &c.nullable))
		if out[table] == nil {
			out[table] = map[string]dbColumn{}
		}
		out[table][column] = c
	}
	require.NoError(t, rows.Err())
	return out
}

func allRelations() []schema.Relation {
	return append(append([]schema.Relation{}, schema.Helpdesk...), schema.Orders...)
}

// The canonical DDL and the contract as data must never drift apart.
func TestDDLMatchesContract(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	const target = "Support Data" // a name that needs quoting
	require.NoError(t, schema.Apply(context.Background(), db.AdminPool, target))
	require.NoError(t, schema.Apply(context.Background(), db.AdminPool, target), "Apply is idempotent")
	got := columnsOf(t, db, target)

	require.Len(t, got, len(allRelations()), "the DDL creates exactly the contract's relations")
	for _, rel := range allRelations() {
		cols, ok := got[rel.Name]
		require.True(t, ok, "relation %s created", rel.Name)
		assert.Len(t, cols, len(rel.Columns), "columns of %s", rel.Name)
		for _, c := range rel.Columns {
			dc, ok := cols[c.Name]
			if !assert.True(t, ok, "column %s.%s created", rel.Name, c.Name) {
				continue
			}
			assert.Equal(t, c.Type, schema.Family(dc.udt), "type of %s.%s", rel.Name, c.Name)
			assert.Equal(t, c.Nullable, dc.nullable, "nullability of %s.%s", rel.Name, c.Name)
		}
	}
}

func TestDDLCreatesIndexesAndChecks(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	require.NoError(t, schema.ApplyDDL(ctx, db.AdminPool, "s", schema.DDLFor("", schema.Tables)))
	var n int
	require.NoError(t, db.AdminPool.QueryRow(ctx,
		"SELECT count(*) FROM pg_indexes WHERE schemaname = 's' AND indexname LIKE '%_idx'").Scan(&n))
	assert.Zero(t, n, "the table half creates no secondary index")

	require.NoError(t, schema.ApplyDDL(ctx, db.AdminPool, "s", schema.DDLFor("", schema.Indexes)))
	rows, err := db.AdminPool.Query(ctx,
		"SELECT tablename || ':' || regexp_replace(indexdef, '^.* USING btree ', '') FROM pg_indexes WHERE schemaname = 's' AND indexname LIKE '%_idx'")
	require.NoError(t, err)
	defs := map[string]bool{}
	for rows.Next() {
		var d string
		require.NoError(t, rows.Scan(&d))
		defs[d] = true
	}
	require.NoError(t, rows.Err())
	for _, want := range []string{
		"tickets:(created_at)", "tickets:(closed_at)", "tickets:(customer_key, created_at, id)",
		"messages:(ticket_id, sent_at)", "csat_responses:(responded_at)", "csat_responses:(sent_at)",
		"csat_responses:(ticket_id)", "orders:(created_at)",
		"orders:(customer_key, created_at) INCLUDE (total, status, currency)",
		"order_lines:(order_id)", "cart_events:(created_at)", "chat_displays:(displayed_at)",
	} {
		assert.True(t, defs[want], "index %s in %v", want, defs)
	}

	for _, bad := range []string{
		"INSERT INTO s.tickets (id, channel, project, priority, created_at) VALUES ('x', 'email', 'p', 'urgent', now())",
		"INSERT INTO s.messages (ticket_id, sent_at, sender_kind) VALUES ('x', now(), 'system')",
		"INSERT INTO s.csat_responses (ticket_id, sent_at, score) VALUES ('x', now(), 6)",
	} {
		_, err := db.AdminPool.Exec(ctx, bad)
		assert.ErrorContains(t, err, "check constraint", bad)
	}
}

func TestMappingExampleViewsFulfilTheContract(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.Exec(t, schema.MappingExample)
	db.Exec(t, `
INSERT INTO gorgias.tickets_raw VALUES
  (1, ' Ann@Example.com', 'instagram-comment', 'shop-a', '', NULL, '[{"name":"VIP"}]', 'closed',
   '2026-03-01 10:00Z', '2026-03-01 12:00Z', 'alice@support'),
  (2, NULL, 'chat', NULL, 'returns', 'high', NULL, 'open', '2026-03-02 10:00Z', NULL, 'bruno@support');
INSERT INTO gorgias.messages_raw VALUES
  (1, 1, '2026-03-01 10:00Z', false, 'email', 'ann@example.com'),
  (2, 1, '2026-03-01 10:01Z', true, 'rule', 'bot@support'),
  (3, 1, '2026-03-01 11:00Z', true, 'helpdesk', 'alice@support');
INSERT INTO gorgias.satisfaction_surveys_raw VALUES (1, 1, '2026-03-01 12:05Z', '2026-03-01 13:00Z', 5);
INSERT INTO shopify.customers_raw VALUES (10, 'ann@example.com', '2025-01-01 09:00', 'VIP, newsletter');
INSERT INTO shopify.orders_raw VALUES
  (100, 10, 'ANN@example.com', '2026-03-01 08:00', 'paid', NULL, 59.90, 'usd', 'shop-a.example'),
  (101, 10, NULL, '2026-03-02 08:00', 'paid', '2026-03-02 09:00', 10.00, 'EUR', NULL);
INSERT INTO shopify.line_items_raw VALUES (1000, 100, 7, 'Mug', 2, 30.00, 0.10);`)

	got := columnsOf(t, db, "analytics")
	for _, rel := range allRelations() {
		cols, ok := got[rel.Name]
		if !ok {
			assert.True(t, rel.Optional, "required relation %s mapped", rel.Name)
			continue
		}
		for _, c := range rel.Columns {
			dc, ok := cols[c.Name]
			if !ok {
				assert.True(t, c.Optional, "required column %s.%s mapped", rel.Name, c.Name)
				continue
			}
			assert.Equal(t, c.Type, schema.Family(dc.udt), "type of %s.%s", rel.Name, c.Name)
		}
	}

	type ticket struct {
		ID, Channel, Project, Priority string
		CustomerKey, Topic, Agent      *string
		Tags                           []string
	}
	rows, err := db.AdminPool.Query(ctx,
		"SELECT id, channel, project, priority, customer_key, topic, closing_agent, tags FROM analytics.tickets ORDER BY id")
	require.NoError(t, err)
	var tickets []ticket
	for rows.Next() {
		var tk ticket
		require.NoError(t, rows.Scan(&tk.ID, &tk.Channel, &tk.Project, &tk.Priority, &tk.CustomerKey, &tk.Topic, &tk.Agent, &tk.Tags))
		tickets = append(tickets, tk)
	}
	require.NoError(t, rows.Err())
	require.Len(t, tickets, 2)
	assert.Equal(t, "social", tickets[0].Channel)
	assert.Equal(t, "ann@example.com", *tickets[0].CustomerKey)
	assert.Nil(t, tickets[0].Topic)
	assert.Equal(t, "normal", tickets[0].Priority)
	assert.Equal(t, []string{"vip"}, tickets[0].Tags)
	assert.Equal(t, "alice@support", *tickets[0].Agent)
	assert.Nil(t, tickets[1].CustomerKey)
	assert.Nil(t, tickets[1].Agent, "an open ticket has no closing agent")
	assert.Equal(t, "main", tickets[1].Project)
	assert.Equal(t, []string{}, tickets[1].Tags)

	var kinds string
	require.NoError(t, db.AdminPool.QueryRow(ctx,
		"SELECT string_agg(sender_kind || ':' || coalesce(agent, '-'), ',' ORDER BY sent_at) FROM analytics.messages").Scan(&kinds))
	assert.Equal(t, "customer:-,rule:-,agent:alice@support", kinds)

	var statuses, currencies, keys string
	require.NoError(t, db.AdminPool.QueryRow(ctx,
		`SELECT string_agg(status, ',' ORDER BY id), string_agg(currency, ',' ORDER BY id),
		        string_agg(DISTINCT customer_key, ',')
		   FROM analytics.orders`).Scan(&statuses, &currencies, &keys))
	assert.Equal(t, "paid,cancelled", statuses)
	assert.Equal(t, "USD,EUR", currencies)
	assert.Equal(t, "ann@example.com,shopify:10", keys)

	var customerTags []string
	require.NoError(t, db.AdminPool.QueryRow(ctx, "SELECT tags FROM analytics.customers").Scan(&customerTags))
	assert.Equal(t, []string{"vip", "newsletter"}, customerTags)

	var lineTotal string
	require.NoError(t, db.AdminPool.QueryRow(ctx, "SELECT line_total::text FROM analytics.order_lines").Scan(&lineTotal))
	assert.Equal(t, "59.90", lineTotal)
}

func TestDDLForSplitsByStoreAndPart(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	require.NoError(t, schema.ApplyDDL(ctx, db.AdminPool, "h", schema.DDLFor(schema.StoreHelpdesk, schema.All)))
	require.NoError(t, schema.ApplyDDL(ctx, db.AdminPool, "o", schema.DDLFor(schema.StoreOrders, schema.Tables)))

	tablesIn := func(s string) (names []string) {
		rows, err := db.AdminPool.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", s)
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var n string
			require.NoError(t, rows.Scan(&n))
			names = append(names, n)
		}
		return names
	}
	assert.Equal(t, []string{"chat_displays", "csat_responses", "messages", "tickets"}, tablesIn("h"))
	assert.Equal(t, []string{"cart_events", "customers", "exchange_rates", "order_lines", "orders"}, tablesIn("o"))

	var hIdx, oIdx int
	require.NoError(t, db.AdminPool.QueryRow(ctx,
		`SELECT count(*) FILTER (WHERE schemaname = 'h'), count(*) FILTER (WHERE schemaname = 'o')
		   FROM pg_indexes WHERE indexname LIKE '%_idx'`).Scan(&hIdx, &oIdx))
	assert.Equal(t, 8, hIdx)
	assert.Zero(t, oIdx, "Tables creates no secondary index")
	creates := regexp.MustCompile(`(?m)^CREATE `)
	assert.Len(t, creates.FindAllString(schema.DDLFor("", schema.All), -1), len(creates.FindAllString(schema.DDL, -1)),
		"every statement of the file is classified")
}
