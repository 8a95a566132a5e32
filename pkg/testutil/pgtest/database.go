package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/supportops/grafana-support-analytics/pkg/schema"
)

// DB is a database of its own for one test, dropped when the test ends.
type DB struct {
	Name           string
	Host           string // TCP host the login role connects to
	Port           int
	User, Password string        // the non-superuser login role (scram over TCP)
	AdminPool      *pgxpool.Pool // superuser pool to this database, for fixtures and inspection

	srv *Server
}

var dbSeq atomic.Int64

// NewDatabase creates a fresh database for tb, open to the login role, and drops it (WITH
// (FORCE): the code under test may still hold connections) in tb.Cleanup.
func (s *Server) NewDatabase(tb testing.TB) *DB {
	tb.Helper()
	ctx := context.Background()
	name := databaseName(tb.Name())
	ident := pgx.Identifier{name}.Sanitize()
	s.adminExec(tb, "CREATE DATABASE "+ident)
	tb.Cleanup(func() {
		if s.Running() {
			s.adminExec(tb, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
		}
	})
	s.adminExec(tb, "GRANT CONNECT, TEMPORARY ON DATABASE "+ident+" TO "+LoginUser)

	poolCfg, err := pgxpool.ParseConfig("")
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	poolCfg.ConnConfig = s.AdminConfig(name)
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		tb.Fatalf("pgtest: admin pool for %s: %v", name, err)
	}
	s.track(pool, true)
	tb.Cleanup(func() { // runs before the drop (cleanups are last in, first out)
		s.track(pool, false)
		pool.Close()
	})
	return &DB{
		Name:      name,
		Host:      s.Host,
		Port:      s.Port,
		User:      LoginUser,
		Password:  LoginPassword,
		AdminPool: pool,
		srv:       s,
	}
}

func (s *Server) adminExec(tb testing.TB, sql string) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, s.admin)
	if err != nil {
		tb.Fatalf("pgtest: connect as superuser: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// databaseName makes a unique, legal database name that still says which test owns it.
func databaseName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base := b.String()
	if len(base) > 40 {
		base = base[:40]
	}
	return fmt.Sprintf("t_%s_%d_%d", base, os.Getpid(), dbSeq.Add(1))
}

// Exec runs sql as superuser in this database; an error fails the test. Without args, sql may
// hold several statements.
func (d *DB) Exec(tb testing.TB, sql string, args ...any) {
	tb.Helper()
	if _, err := d.AdminPool.Exec(context.Background(), sql, args...); err != nil {
		tb.Fatalf("pgtest: exec: %v\n%s", err, sql)
	}
}

// LoadSchema creates schemaName with the canonical DDL of both stores (package schema) and
// lets the login role read it, including relations that fixtures create later.
func (d *DB) LoadSchema(tb testing.TB, schemaName string) {
	tb.Helper()
	if err := schema.Apply(context.Background(), d.AdminPool, schemaName); err != nil {
		tb.Fatalf("pgtest: load schema: %v", err)
	}
	d.GrantRead(tb, schemaName)
}

// GrantRead lets the login role read every relation of schemaName, present and future.
func (d *DB) GrantRead(tb testing.TB, schemaName string) {
	tb.Helper()
	ident := pgx.Identifier{schemaName}.Sanitize()
	d.Exec(tb, "GRANT USAGE ON SCHEMA "+ident+" TO "+LoginUser+"; "+
		"GRANT SELECT ON ALL TABLES IN SCHEMA "+ident+" TO "+LoginUser+"; "+
		"ALTER DEFAULT PRIVILEGES IN SCHEMA "+ident+" GRANT SELECT ON TABLES TO "+LoginUser)
}

// URL is the login role's connection URL over TCP.
func (d *DB) URL() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(d.User, d.Password),
		Host:     d.Host + ":" + strconv.Itoa(d.Port),
		Path:     "/" + d.Name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// AdminURL is the superuser's connection URL for this database (unix socket for a private
// cluster), for tools such as cmd/seed.
func (d *DB) AdminURL() string {
	cfg := d.srv.AdminConfig(d.Name)
	u := url.URL{Scheme: "postgres", Path: "/" + d.Name}
	q := url.Values{"sslmode": {"disable"}}
	if strings.HasPrefix(cfg.Host, "/") {
		q.Set("host", cfg.Host)
		u.Host = ":" + strconv.Itoa(int(cfg.Port))
		u.User = url.User(cfg.User)
	} else {
		u.Host = cfg.Host + ":" + strconv.Itoa(int(cfg.Port))
		u.User = url.UserPassword(cfg.User, cfg.Password)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
