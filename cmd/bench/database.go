package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

const benchDatabase = "bench"

// serverSettings of the private cluster, the same for the plugin and the hand-written SQL: a
// production-like buffer cache instead of the test clusters' 64MB, so that warm figures measure
// computation rather than copies out of the OS cache; and no JIT compilation, which costs these
// sub-second statements more than it saves (measured: the best SQL takes 15% longer with it, the
// plugin's cold refresh 40%).
var serverSettings = []string{"shared_buffers=1GB", "effective_cache_size=8GB", "work_mem=64MB", "jit=off"}

// database is the benchmark database: an owner pool to seed it, and how a read-only role (the
// plugin's, and the hand-written SQL's) connects to it.
type database struct {
	owner *pgxpool.Pool
	login login
	srv   *pgtest.Server // nil with -url
	name  string
	opt   demo.Options
	end   time.Time     // end of the data: every range ends here
	scale string        // demo.ScaleByName; each scale in its own database
	load  time.Duration // time to generate, load, index and vacuum the data, when this run did
}

// login is a TCP connection as the plugin's settings spell it.
type login struct {
	host           string
	port           int
	database, user string
	password       string
	sslMode        string
}

func (l login) url() string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(l.user, l.password),
		Host: l.host + ":" + strconv.Itoa(l.port), Path: "/" + l.database, RawQuery: "sslmode=" + l.sslMode}
	return u.String()
}

func openDatabase(ctx context.Context, cfg config) (*database, error) {
	size, err := demo.ScaleByName(cfg.scale)
	if err != nil {
		return nil, err
	}
	db := &database{opt: demo.Options{Size: size, End: demo.DefaultEnd}, scale: cfg.scale}
	db.end = db.opt.End
	if cfg.url != "" {
		return db, db.openURL(ctx, cfg.url)
	}
	began := time.Now()
	srv, err := pgtest.Launch(cfg.dir, serverSettings...)
	if err != nil {
		return nil, err
	}
	db.srv = srv
	log.Printf("PostgreSQL cluster in %s up on port %d (%s)", cfg.dir, srv.Port, time.Since(began).Round(time.Millisecond))
	if err := db.openCluster(ctx); err != nil {
		db.close()
		return nil, err
	}
	return db, nil
}

func (db *database) openURL(ctx context.Context, raw string) error {
	cfg, err := pgxpool.ParseConfig(raw)
	if err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	c := cfg.ConnConfig
	if c.Host == "" || c.Host[0] == '/' {
		return errors.New("-url: give a TCP host (the plugin's settings take host:port)")
	}
	ssl := "require"
	if u, err := url.Parse(raw); err == nil {
		switch m := u.Query().Get("sslmode"); m {
		case "disable", "require", "verify-ca", "verify-full":
			ssl = m
		}
	}
	db.name = c.Database
	db.login = login{host: c.Host, port: int(c.Port), database: c.Database, user: c.User, password: c.Password, sslMode: ssl}
	db.owner, err = pgxpool.NewWithConfig(ctx, cfg)
	return err
}

// openCluster creates the benchmark database in the private cluster when it is not there, and
// lets the login role read it.
func (db *database) openCluster(ctx context.Context) error {
	db.name = benchDatabase
	if db.scale != "bench" {
		db.name = db.scale
	}
	admin, err := pgx.ConnectConfig(ctx, db.srv.AdminConfig("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", db.name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+db.name); err != nil {
			return err
		}
	}
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return err
	}
	cfg.ConnConfig = db.srv.AdminConfig(db.name)
	if db.owner, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return err
	}
	grant := "GRANT CONNECT ON DATABASE " + db.name + " TO " + pgtest.LoginUser + "; GRANT USAGE ON SCHEMA public TO " +
		pgtest.LoginUser + "; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO " + pgtest.LoginUser
	if _, err := db.owner.Exec(ctx, grant); err != nil {
		return err
	}
	db.login = login{host: db.srv.Host, port: db.srv.Port, database: db.name, user: pgtest.LoginUser,
		password: pgtest.LoginPassword, sslMode: "disable"}
	return nil
}

// marker is stored as the comment of the public schema once the dataset is loaded: a run that
// finds it reuses the data, an interrupted load is redone.
func (db *database) marker() string {
	o := db.opt
	return fmt.Sprintf("support-analytics bench data: %d customers, %d tickets, %d orders (at most %d per customer), seed %d, end %s",
		o.Customers, o.Tickets, o.Orders, o.MaxOrders, o.Seed, o.End.Format(time.RFC3339))
}

// seed loads the benchmark dataset unless the marker says it is there, then vacuums it so that
// index-only scans work, as they do on a store autovacuum has visited.
func (db *database) seed(ctx context.Context) error {
	var comment *string
	if err := db.owner.QueryRow(ctx, "SELECT obj_description('public'::regnamespace, 'pg_namespace')").Scan(&comment); err != nil {
		return err
	}
	if comment != nil && *comment == db.marker() {
		log.Printf("reusing the benchmark data in database %s", db.name)
		return nil
	}
	log.Printf("loading the benchmark data into database %s (a few minutes at 1x)", db.name)
	loadBegan := time.Now()
	opt := db.opt
	opt.Drop = true
	opt.Logf = log.Printf
	if _, err := demo.Load(ctx, db.owner, db.owner, opt); err != nil {
		return err
	}
	began := time.Now()
	if _, err := db.owner.Exec(ctx, "VACUUM (ANALYZE)"); err != nil {
		return err
	}
	log.Printf("vacuumed in %s", time.Since(began).Round(time.Millisecond))
	db.load = time.Since(loadBegan)
	log.Printf("data generated, loaded, indexed and vacuumed in %s", db.load.Round(time.Second))
	if db.srv != nil {
		if _, err := db.owner.Exec(ctx, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+pgtest.LoginUser); err != nil {
			return err
		}
	}
	_, err := db.owner.Exec(ctx, "COMMENT ON SCHEMA public IS "+quote(db.marker()))
	return err
}

// quote is a string literal for a utility statement (COMMENT takes no parameters); the text is ours.
func quote(s string) string { return "'" + s + "'" }

// describe counts the rows of every table.
func (db *database) describe(ctx context.Context) []tableSize {
	var out []tableSize
	for _, name := range []string{"tickets", "messages", "csat_responses", "chat_displays", "customers", "orders", "order_lines",
		"cart_events", "exchange_rates"} {
		var n int64
		var bytes int64
		err := db.owner.QueryRow(ctx, "SELECT count(*), pg_total_relation_size($1::regclass) FROM "+
			pgx.Identifier{"public", name}.Sanitize(), "public."+name).Scan(&n, &bytes)
		if err != nil {
			log.Printf("count %s: %v", name, err)
			continue
		}
		out = append(out, tableSize{name: name, rows: n, bytes: bytes})
	}
	return out
}

type tableSize struct {
	name        string
	rows, bytes int64
}

func (db *database) close() {
	if db.owner != nil {
		db.owner.Close()
	}
	if db.srv != nil {
		if err := db.srv.Stop(); err != nil {
			log.Printf("stop the cluster: %v", err)
		}
	}
}

// version is the server's version line, shortened.
func (db *database) version(ctx context.Context) string {
	var v string
	if err := db.owner.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "PostgreSQL (version unknown)"
	}
	return "PostgreSQL " + strings.Fields(v)[0]
}
