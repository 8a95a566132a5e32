package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func connectLogin(ctx context.Context, t *testing.T, db *pgtest.DB, password string) (*pgx.Conn, error) {
	t.Helper()
	cfg, err := pgx.ParseConfig(db.URL())
	require.NoError(t, err)
	cfg.Password = password
	return pgx.ConnectConfig(ctx, cfg)
}

func TestLoginRoleReadsLoadedSchema(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "support")
	db.Exec(t, "INSERT INTO support.tickets (id, channel, project, created_at) VALUES ($1, 'email', 'shop', now())", "t1")

	conn, err := connectLogin(ctx, t, db, db.Password)
	require.NoError(t, err)
	defer conn.Close(ctx)

	var user string
	var super bool
	require.NoError(t, conn.QueryRow(ctx,
		"SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&user, &super))
	assert.Equal(t, pgtest.LoginUser, user)
	assert.False(t, super, "the login role must not be a superuser")
	var scram bool
	require.NoError(t, db.AdminPool.QueryRow(ctx,
		"SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = $1", user).Scan(&scram))
	assert.True(t, scram, "the password is stored as a scram verifier")

	var id string
	require.NoError(t, conn.QueryRow(ctx, "SELECT id FROM support.tickets").Scan(&id))
	assert.Equal(t, "t1", id)

	// Relations created after LoadSchema are readable too (default privileges).
	db.Exec(t, "CREATE VIEW support.later AS SELECT 42 AS answer")
	var answer int
	require.NoError(t, conn.QueryRow(ctx, "SELECT answer FROM support.later").Scan(&answer))
	assert.Equal(t, 42, answer)

	_, err = conn.Exec(ctx, "CREATE TABLE support.nope (x int)")
	assert.Error(t, err, "the login role must not write")
}

func TestWrongPasswordFails(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	_, err := connectLogin(context.Background(), t, db, "wrong")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "password authentication failed")
}

func TestDatabasesAreSeparateAndDropped(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Start(t)
	var first string
	t.Run("a", func(t *testing.T) {
		db := srv.NewDatabase(t)
		first = db.Name
		db.Exec(t, "CREATE TABLE only_here (x int)")
	})
	db := srv.NewDatabase(t)
	assert.NotEqual(t, first, db.Name)
	var n int
	require.NoError(t, db.AdminPool.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", first).Scan(&n))
	assert.Zero(t, n, "the subtest's database is dropped when the subtest ends")
	require.NoError(t, db.AdminPool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'").Scan(&n))
	assert.Zero(t, n)
}

func TestStopAndRestartOnSamePort(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		t.Log("uses a private cluster even with TEST_DATABASE_URL")
	}
	ctx := context.Background()
	srv := pgtest.StartPrivate(t)
	db := srv.NewDatabase(t)
	db.Exec(t, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
	port := srv.Port

	require.NoError(t, srv.Stop())
	assert.False(t, srv.Running())
	_, err := connectLogin(ctx, t, db, db.Password)
	require.Error(t, err, "the server is down")

	srv.Restart(t)
	assert.Equal(t, port, srv.Port)
	conn, err := connectLogin(ctx, t, db, db.Password)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var x int
	require.NoError(t, db.AdminPool.QueryRow(ctx, "SELECT x FROM kept").Scan(&x))
	assert.Equal(t, 7, x, "data survives the restart")
}

func TestAdminURL(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	conn, err := pgx.Connect(ctx, db.AdminURL())
	require.NoError(t, err)
	defer conn.Close(ctx)
	var name string
	var super bool
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_database(), rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&name, &super))
	assert.Equal(t, db.Name, name)
	assert.True(t, super)
}
