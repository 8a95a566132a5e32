package store

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// settingsFor connects both stores to db (one shared connection) with the given schemas.
func settingsFor(db *pgtest.DB, helpdeskSchema, ordersSchema string) models.Settings {
	st := models.StoreSettings{Host: db.Host, Port: uint16(db.Port), Database: db.Name, User: db.User,
		Password: db.Password, Schema: helpdeskSchema, SSLMode: models.SSLDisable}
	orders := st
	orders.Schema = ordersSchema
	return models.Settings{Helpdesk: st, Orders: orders, OrdersUsesHelpdesk: true, MaxOpenConns: 4, QueryTimeout: 10 * time.Second}
}

func open(t *testing.T, s models.Settings) *Stores {
	t.Helper()
	stores, err := Open(s)
	require.NoError(t, err)
	t.Cleanup(stores.Close)
	return stores
}

// queryAll runs a query to its end, returning the error of Query or of the rows.
func queryAll(ctx context.Context, s *Store, sql string, args ...any) error {
	rows, err := s.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func TestQueryRendersQuotedSchema(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "Shop-EU")
	db.Exec(t, `INSERT INTO "Shop-EU".orders (id, customer_key, created_at, status, total, currency) VALUES ('o1', 'c1', now(), 'paid', 12.5, 'EUR')`)
	stores := open(t, settingsFor(db, "Shop-EU", "Shop-EU"))

	rows, err := stores.Orders.Query(ctx, "SELECT id, total::text FROM {{schema}}.orders WHERE currency = $1", "EUR")
	require.NoError(t, err)
	defer rows.Close()
	require.True(t, rows.Next())
	var id, total string
	require.NoError(t, rows.Scan(&id, &total))
	assert.Equal(t, "o1", id)
	assert.Equal(t, "12.5", total)
	assert.False(t, rows.Next())
	require.NoError(t, rows.Err())
	assert.Equal(t, "Shop-EU", stores.Orders.Schema())
	assert.Equal(t, "order store", stores.Orders.Label())
	assert.Equal(t, "helpdesk store", stores.Helpdesk.Label())
}

func TestSessionSettings(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	s := settingsFor(db, "public", "public")
	s.QueryTimeout = 7 * time.Second
	stores := open(t, s)

	rows, err := stores.Helpdesk.Query(ctx, `SELECT current_setting('default_transaction_read_only'),
		current_setting('statement_timeout'), current_setting('lock_timeout'), current_setting('application_name')`)
	require.NoError(t, err)
	defer rows.Close()
	require.True(t, rows.Next())
	var readOnly, statement, lock, app string
	require.NoError(t, rows.Scan(&readOnly, &statement, &lock, &app))
	assert.Equal(t, []string{"on", "7s", "7s", "grafana-support-analytics"}, []string{readOnly, statement, lock, app})
}

func TestQueryIsReadOnly(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "support")
	// The role may write: the session, not a missing privilege, must refuse.
	db.Exec(t, "GRANT INSERT ON support.tickets TO "+db.User)
	stores := open(t, settingsFor(db, "support", "support"))

	err := queryAll(ctx, stores.Helpdesk, `INSERT INTO {{schema}}.tickets (id, channel, project, created_at) VALUES ('x', 'email', 'p', now())`)
	require.Error(t, err)
	assert.Equal(t, "helpdesk store: cannot execute INSERT in a read-only transaction (SQLSTATE 25006)", err.Error())
	assert.True(t, backend.IsDownstreamError(err))

	err = queryAll(ctx, stores.Helpdesk, "CREATE TABLE {{schema}}.t (x int)")
	assert.ErrorContains(t, err, "cannot execute CREATE TABLE in a read-only transaction")
}

func TestQueryTimeout(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	s := settingsFor(db, "public", "public")
	s.QueryTimeout = time.Second
	stores := open(t, s)

	err := queryAll(context.Background(), stores.Orders, "SELECT pg_sleep(5)")
	require.Error(t, err)
	assert.Equal(t, "order store: query timed out after 1s (queryTimeoutSeconds)", err.Error())
	assert.ErrorIs(t, err, ErrTimeout)
	assert.True(t, backend.IsDownstreamError(err))
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, "the cause stays reachable")
	assert.Equal(t, "57014", pgErr.Code)
}

// activeSleeps counts the backends of the plugin running pg_sleep.
func activeSleeps(t *testing.T, db *pgtest.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.AdminPool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'grafana-support-analytics' AND state = 'active' AND query LIKE '%pg_sleep(30)%'`).Scan(&n))
	return n
}

func TestCancellationReachesPostgreSQL(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	stores := open(t, settingsFor(db, "public", "public"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- queryAll(ctx, stores.Helpdesk, "SELECT pg_sleep(30)") }()

	require.Eventually(t, func() bool { return activeSleeps(t, db) == 1 }, 10*time.Second, 20*time.Millisecond,
		"the query never started")
	cancel()
	err := <-done
	require.Error(t, err)
	assert.Equal(t, "helpdesk store: query cancelled", err.Error())
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, ErrCanceled)
	// The cancel request stops the statement on the server, long before its 30 seconds.
	require.Eventually(t, func() bool { return activeSleeps(t, db) == 0 }, 5*time.Second, 20*time.Millisecond,
		"the statement still runs on the server")
}

func TestWrongPassword(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	s := settingsFor(db, "public", "public")
	s.Helpdesk.Password = "Wrong-Secret-77"
	stores := open(t, s)

	err := queryAll(context.Background(), stores.Helpdesk, "SELECT 1")
	require.Error(t, err)
	assert.Equal(t, "helpdesk store: password authentication failed for user grafana", err.Error())
	assert.ErrorIs(t, err, ErrAuth)
	assert.NotContains(t, err.Error(), "Wrong-Secret-77")
}

func TestClosedPort(t *testing.T) {
	port := pgtest.ClosedPort(t)
	s := models.Settings{
		Helpdesk:     models.StoreSettings{Host: "127.0.0.1", Port: uint16(port), Database: "db", User: "u", Password: "Pw-Closed-1", Schema: "public", SSLMode: models.SSLDisable},
		MaxOpenConns: 2, QueryTimeout: 30 * time.Second, OrdersUsesHelpdesk: true,
	}
	s.Orders = s.Helpdesk
	stores := open(t, s)

	err := queryAll(context.Background(), stores.Helpdesk, "SELECT 1")
	require.Error(t, err)
	assert.Equal(t, "helpdesk store: cannot connect to 127.0.0.1:"+strconv.Itoa(port)+": connection refused", err.Error())
	assert.ErrorIs(t, err, ErrUnreachable)
	assert.NotContains(t, err.Error(), "Pw-Closed-1")
}

func TestTLSRefusedByServer(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	s := settingsFor(db, "public", "public")
	s.Helpdesk.SSLMode = models.SSLRequire
	stores := open(t, s)

	err := queryAll(context.Background(), stores.Helpdesk, "SELECT 1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "helpdesk store: cannot connect to 127.0.0.1:")
	assert.Contains(t, err.Error(), "the server does not accept TLS (set helpdeskSslMode to disable if that is intended)")
}

func TestMissingRelationAndColumn(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "shop")
	stores := open(t, settingsFor(db, "public", "shop"))

	err := queryAll(ctx, stores.Orders, "SELECT 1 FROM {{schema}}.nope")
	assert.Equal(t, "order store: relation shop.nope does not exist (check ordersSchema and the data contract)", err.Error())
	assert.ErrorIs(t, err, ErrMissingRelation)

	err = queryAll(ctx, stores.Orders, "SELECT colour FROM {{schema}}.orders")
	assert.Equal(t, "order store: column colour does not exist (check ordersSchema and the data contract)", err.Error())
	assert.ErrorIs(t, err, ErrMissingRelation)
}

func TestServerRestartRecovers(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.StartPrivate(t)
	db := srv.NewDatabase(t)
	stores := open(t, settingsFor(db, "public", "public"))
	require.NoError(t, queryAll(ctx, stores.Helpdesk, "SELECT 1"))

	require.NoError(t, srv.Stop())
	err := queryAll(ctx, stores.Helpdesk, "SELECT 1")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnreachable)
	assert.Contains(t, err.Error(), "helpdesk store: ")

	srv.Restart(t)
	require.NoError(t, queryAll(ctx, stores.Helpdesk, "SELECT 1"))

	// A restart between two queries, less than a second apart: the pooled sessions died unseen
	// (the pool pings only sessions idle for over a second); the query runs on a new one.
	var held []pgx.Rows
	for range 3 {
		rows, err := stores.Helpdesk.Query(ctx, "SELECT 1")
		require.NoError(t, err)
		held = append(held, rows)
	}
	for _, rows := range held {
		rows.Close()
	}
	require.NoError(t, srv.Stop())
	srv.Restart(t)
	require.NoError(t, queryAll(ctx, stores.Helpdesk, "SELECT 1"))
}

func TestSharedAndSeparatePools(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	shared := open(t, settingsFor(db, "support", "shop"))
	assert.Same(t, shared.Helpdesk.pool, shared.Orders.pool)
	assert.Equal(t, "support", shared.Helpdesk.Schema())
	assert.Equal(t, "shop", shared.Orders.Schema())

	s := settingsFor(db, "support", "shop")
	s.OrdersUsesHelpdesk = false
	separate := open(t, s)
	assert.NotSame(t, separate.Helpdesk.pool, separate.Orders.pool)
	require.NoError(t, queryAll(context.Background(), separate.Orders, "SELECT 1"))
	require.NoError(t, queryAll(context.Background(), shared.Orders, "SELECT 1"))
	// Closing twice closes nothing twice.
	separate.Close()
	separate.Close()
}

func TestHas(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "support")
	db.Exec(t, `CREATE VIEW support.v_displays AS SELECT * FROM support.chat_displays`)
	stores := open(t, settingsFor(db, "support", "support"))

	for name, want := range map[string]bool{
		"chat_displays": true, "v_displays": true, "csat_responses.agent": true, "v_displays.displays": true,
		"nope": false, "csat_responses.nope": false, "tickets.tickets": false,
	} {
		got, err := stores.Helpdesk.Has(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
	}
	// The answer is cached: a relation dropped just now still counts for up to a minute.
	db.Exec(t, "DROP VIEW support.v_displays")
	got, err := stores.Helpdesk.Has(ctx, "v_displays")
	require.NoError(t, err)
	assert.True(t, got)
}

func TestWrap(t *testing.T) {
	s := &Store{label: "order store", key: "orders", addr: "db:5432", timeout: 30 * time.Second}
	assert.NoError(t, s.Wrap(nil))

	err := s.Wrap(context.DeadlineExceeded)
	assert.Equal(t, "order store: query timed out after 30s (queryTimeoutSeconds)", err.Error())
	assert.ErrorIs(t, err, ErrTimeout)
	assert.Equal(t, err, s.Wrap(err), "wrapping twice changes nothing")

	err = s.Wrap(context.Canceled)
	assert.ErrorIs(t, err, context.Canceled)
	assert.True(t, backend.IsDownstreamError(err))

	err = s.Wrap(&pgconn.PgError{Code: "55P03", Message: "canceling statement due to lock timeout"})
	assert.Equal(t, "order store: query timed out after 30s waiting for a lock (queryTimeoutSeconds)", err.Error())

	err = s.Wrap(&pgconn.PgError{Code: "42501", Message: `permission denied for table orders`})
	assert.Equal(t, "order store: permission denied for table orders (grant SELECT on the schema's relations to user )", err.Error())
	assert.ErrorIs(t, err, ErrPermission)

	err = s.Wrap(errors.New("something odd"))
	assert.Equal(t, "order store: something odd", err.Error())
}
