package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

const versionPattern = `PostgreSQL \d+(\.\d+)?`

func TestCheckOK(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "support")
	db.LoadSchema(t, "shop")

	r := open(t, settingsFor(db, "support", "shop")).Check(context.Background())
	assert.True(t, r.OK, r.Message)
	assert.Empty(t, r.Errors)
	assert.Empty(t, r.Notes)
	assert.Regexp(t, `^helpdesk store: `+versionPattern+`, schema support — order store: `+versionPattern+`, schema shop$`, r.Message)
}

func TestCheckSeparatePoolsQuotedSchema(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "Shop-EU")
	s := settingsFor(db, "Shop-EU", "Shop-EU")
	s.OrdersUsesHelpdesk = false

	r := open(t, s).Check(context.Background())
	assert.True(t, r.OK, r.Message)
	assert.Regexp(t, `^helpdesk store: `+versionPattern+`, schema Shop-EU — order store: `+versionPattern+`, schema Shop-EU$`, r.Message)
}

func TestCheckContractViolations(t *testing.T) {
	tests := []struct {
		name   string
		setup  string // run as superuser after loading the canonical schema into "support" and "shop"
		errors []string
		notes  []string
	}{
		{
			name:   "missing column",
			setup:  "ALTER TABLE shop.orders DROP COLUMN currency",
			errors: []string{"order store: relation shop.orders has no column currency"},
			// PostgreSQL dropped the index that included the column.
			notes: []string{"order store: no index on shop.orders (customer_key, created_at): attribution reads will be slow"},
		},
		{
			name:   "missing relation",
			setup:  "DROP TABLE support.tickets",
			errors: []string{"helpdesk store: relation support.tickets does not exist"},
		},
		{
			name: "view with a column of another type",
			setup: `ALTER TABLE shop.orders RENAME TO orders_raw;
				CREATE VIEW shop.orders AS SELECT id, customer_key, created_at, status, total::float8 AS total, currency, project FROM shop.orders_raw`,
			errors: []string{"order store: column shop.orders.total is double precision, expected numeric (cast it in a view)"},
		},
		{
			name: "view missing a column",
			setup: `ALTER TABLE support.messages RENAME TO messages_raw;
				CREATE VIEW support.messages AS SELECT ticket_id, sent_at, agent FROM support.messages_raw`,
			errors: []string{"helpdesk store: relation support.messages has no column sender_kind"},
		},
		{
			name:   "unreadable relation",
			setup:  "REVOKE SELECT ON shop.customers FROM grafana",
			errors: []string{"order store: user grafana may not read shop.customers (GRANT SELECT)"},
		},
		{
			name: "optional relations and column missing",
			setup: `DROP TABLE support.chat_displays; ALTER TABLE support.csat_responses DROP COLUMN agent;
				DROP TABLE shop.cart_events; DROP TABLE shop.exchange_rates`,
			notes: []string{
				"helpdesk store: csat_responses.agent not found: CSAT by agent credits the ticket's closing agent",
				"helpdesk store: chat_displays not found: engagement_rate unavailable",
				"order store: cart_events not found: live_feed shows orders only",
				"order store: exchange_rates not found: orders in another currency than the shop's are left out of sums",
			},
		},
		{
			name:   "optional relation present but incomplete",
			setup:  "ALTER TABLE support.chat_displays DROP COLUMN displays",
			errors: []string{"helpdesk store: relation support.chat_displays has no column displays"},
		},
		{
			name:  "integer widths are interchangeable",
			setup: "ALTER TABLE shop.order_lines ALTER COLUMN quantity TYPE bigint; ALTER TABLE support.csat_responses ALTER COLUMN score TYPE integer",
		},
		{
			name:  "a domain counts as its base type",
			setup: "CREATE DOMAIN shop.money_amount AS numeric; ALTER TABLE shop.orders ALTER COLUMN total TYPE shop.money_amount",
		},
		{
			name:  "missing recommended index",
			setup: "DROP INDEX support.tickets_customer_created_idx; DROP INDEX shop.orders_customer_created_idx",
			notes: []string{
				"helpdesk store: no index on support.tickets (customer_key, created_at): attribution reads will be slow",
				"order store: no index on shop.orders (customer_key, created_at): attribution reads will be slow",
			},
		},
		{
			name: "views are not asked for indexes",
			setup: `ALTER TABLE shop.orders RENAME TO orders_raw; DROP INDEX shop.orders_customer_created_idx;
				CREATE VIEW shop.orders AS SELECT * FROM shop.orders_raw`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := pgtest.Start(t).NewDatabase(t)
			db.LoadSchema(t, "support")
			db.LoadSchema(t, "shop")
			db.Exec(t, tt.setup)

			r := open(t, settingsFor(db, "support", "shop")).Check(context.Background())
			assert.Equal(t, tt.errors, r.Errors)
			assert.Equal(t, tt.notes, r.Notes)
			assert.Equal(t, len(tt.errors) == 0, r.OK, r.Message)
			for _, text := range append(tt.errors, tt.notes...) {
				assert.Contains(t, r.Message, text)
			}
		})
	}
}

func TestCheckMissingSchema(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "shop")
	r := open(t, settingsFor(db, "support", "shop")).Check(context.Background())
	assert.False(t, r.OK)
	assert.Equal(t, []string{"helpdesk store: schema support does not exist (check helpdeskSchema)"}, r.Errors)
	assert.Equal(t, "helpdesk store: schema support does not exist (check helpdeskSchema)", r.Message)
}

func TestCheckSchemaWithoutUsage(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "shop")
	db.Exec(t, "REVOKE USAGE ON SCHEMA shop FROM grafana")
	r := open(t, settingsFor(db, "shop", "shop")).Check(context.Background())
	assert.Equal(t, []string{
		"helpdesk store: user grafana may not use schema shop (GRANT USAGE ON SCHEMA)",
		"order store: user grafana may not use schema shop (GRANT USAGE ON SCHEMA)",
	}, r.Errors)
}

func TestCheckUnreachableAndWrongPassword(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "shop")
	s := settingsFor(db, "shop", "shop")
	s.OrdersUsesHelpdesk = false
	s.Helpdesk.Port = uint16(pgtest.ClosedPort(t))
	s.Orders.Password = "Not-The-Password-9"

	r := open(t, s).Check(context.Background())
	require.False(t, r.OK)
	require.Len(t, r.Errors, 2)
	assert.Regexp(t, `^helpdesk store: cannot connect to 127\.0\.0\.1:\d+: connection refused$`, r.Errors[0])
	assert.Equal(t, "order store: password authentication failed for user grafana", r.Errors[1])
	assert.NotContains(t, r.Message, "Not-The-Password-9")
	assert.NotContains(t, r.Message, db.Password)
}
