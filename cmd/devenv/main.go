// Command devenv runs Support Analytics as a user sees it: a real Grafana with the built plugin
// (dist/), the repository's provisioning (data source, dashboards, alert rule) and the demo data
// in PostgreSQL.
//
//	go run ./cmd/devenv demo          # until Ctrl-C (Grafana on 127.0.0.1:3000)
//	go run ./cmd/devenv e2e [ARGS]    # runs `npx playwright test ARGS` against it, then stops it
//
// Where Grafana comes from, in this order:
//   - GRAFANA_URL set: that server (it must already have the plugin, provisioning and a store;
//     E2E_DATABASE_URL then names the store's superuser URL for the tests);
//   - a working Docker engine: `docker compose up -d --build` with docker-compose.yaml;
//   - ../shared/grafana/start (a Grafana packed for machines without Docker) with a private
//     PostgreSQL cluster (the PostgreSQL 15 server binaries) seeded with the demo data;
//   - none of these: it fails and says how to get one.
//
// devenv stops whatever it started, also when the tests fail or on Ctrl-C.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

const (
	database    = "support"
	pluginID    = "supportops-analytics-datasource"
	sharedDir   = "../shared/grafana"
	howToGetOne = "no Grafana to test against: install Docker with Compose v2 (the tests then use docker-compose.yaml), " +
		"or set GRAFANA_URL to a Grafana 12.3+ that has this plugin (dist/), provisioning/ and a store " +
		"seeded by cmd/seed, with E2E_DATABASE_URL set to that store's superuser URL"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("devenv: ")
	if len(os.Args) < 2 || (os.Args[1] != "demo" && os.Args[1] != "e2e") {
		log.Fatal("usage: devenv demo | devenv e2e [playwright test arguments]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1], os.Args[2:])
	if err != nil {
		log.Print(err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// env is a running Grafana with the plugin and a store, and how to take it all down.
type env struct {
	grafanaURL  string
	databaseURL string                  // superuser URL of the store, for tests that change data
	control     map[string]func() error // store/stop, store/start
	logHint     func() string           // where to read Grafana's log, or its error lines
	teardown    []func()
}

func (e *env) close() {
	for i := len(e.teardown) - 1; i >= 0; i-- {
		e.teardown[i]()
	}
}

func run(ctx context.Context, mode string, args []string) (int, error) {
	root, err := os.Getwd()
	if err != nil {
		return 1, err
	}
	e := &env{control: map[string]func() error{}, logHint: func() string { return "(unknown)" }}
	defer e.close()
	if err := start(ctx, e, root, mode); err != nil {
		return 1, err
	}
	controlURL, err := serveControl(ctx, e)
	if err != nil {
		return 1, err
	}
	if mode == "demo" {
		log.Printf("Grafana with Support Analytics and the demo data: %s (Ctrl-C stops it)", e.grafanaURL)
		log.Printf("for browser tests run by hand: GRAFANA_URL=%s E2E_CONTROL_URL=%s npx playwright test", e.grafanaURL, controlURL)
		<-ctx.Done()
		return 0, nil
	}
	cmd := exec.CommandContext(ctx, "npx", append([]string{"playwright", "test"}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "GRAFANA_URL="+e.grafanaURL, "E2E_DATABASE_URL="+e.databaseURL,
		"E2E_CONTROL_URL="+controlURL)
	log.Printf("running the browser tests against %s", e.grafanaURL)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), fmt.Errorf("browser tests failed; Grafana's log: %s", e.logHint())
		}
		return 1, err
	}
	return 0, nil
}

func start(ctx context.Context, e *env, root, mode string) error {
	if url := os.Getenv("GRAFANA_URL"); url != "" {
		e.grafanaURL = strings.TrimRight(url, "/")
		e.databaseURL = os.Getenv("E2E_DATABASE_URL")
		if mode == "e2e" && e.databaseURL == "" {
			return errors.New("GRAFANA_URL is set: also set E2E_DATABASE_URL to the superuser URL of its store")
		}
		return nil
	}
	if dockerWorks(ctx) {
		return startCompose(ctx, e, root)
	}
	shared := filepath.Join(root, sharedDir)
	if _, err := os.Stat(filepath.Join(shared, "start")); err == nil {
		return startLocal(ctx, e, root, shared, mode)
	}
	return errors.New(howToGetOne)
}

func dockerWorks(ctx context.Context) bool {
	if _, err := exec.LookPath("docker"); err != nil {
		return false
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return exec.CommandContext(c, "docker", "info").Run() == nil
}

// startCompose runs the compose demo (which seeds its own PostgreSQL) and publishes the store on
// 127.0.0.1 for the tests.
func startCompose(ctx context.Context, e *env, root string) error {
	compose := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "docker", append([]string{"compose"}, args...)...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stdout, os.Stderr
		return cmd.Run()
	}
	log.Print("starting the compose demo (docker compose up -d --build)")
	if err := compose("up", "-d", "--build"); err != nil {
		return err
	}
	e.teardown = append(e.teardown, func() { _ = compose("down") })
	e.grafanaURL = "http://127.0.0.1:" + getenv("GRAFANA_PORT", "3000")
	user, pass, db := getenv("POSTGRES_USER", "support"), getenv("POSTGRES_PASSWORD", "supportdemo"), getenv("POSTGRES_DB", database)
	e.databaseURL = fmt.Sprintf("postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable", user, pass, getenv("POSTGRES_PORT", "5432"), db)
	e.control["store/stop"] = func() error { return compose("stop", "postgres") }
	e.control["store/start"] = func() error { return compose("start", "postgres") }
	e.logHint = func() string { return "docker compose logs grafana" }
	return waitHTTP(ctx, e.grafanaURL+"/api/health", 3*time.Minute)
}

// startLocal starts a private PostgreSQL cluster with the demo data ending now, then the
// packed Grafana on the built plugin and the repository's provisioning.
func startLocal(ctx context.Context, e *env, root, shared, mode string) error {
	dist := filepath.Join(root, "dist")
	if _, err := os.Stat(filepath.Join(dist, "plugin.json")); err != nil {
		return errors.New("dist/ has no plugin.json: build the plugin first (go tool mage -v dist)")
	}
	dir, err := os.MkdirTemp("", "support-analytics-"+mode+"-")
	if err != nil {
		return err
	}
	e.teardown = append(e.teardown, func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	began := time.Now()
	srv, err := pgtest.Launch(filepath.Join(dir, "pg"))
	if err != nil {
		return fmt.Errorf("PostgreSQL: %w", err)
	}
	e.teardown = append(e.teardown, func() { _ = srv.Stop() })
	if err := seed(ctx, srv); err != nil {
		return err
	}
	log.Printf("PostgreSQL on port %d with the demo data (%s)", srv.Port, time.Since(began).Round(time.Millisecond))
	e.databaseURL = fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d&sslmode=disable", database, srv.SocketDir, srv.Port)
	e.control["store/stop"] = srv.Stop
	e.control["store/start"] = srv.Resume

	port := getenv("GRAFANA_PORT", "3000")
	if mode == "e2e" {
		if port, err = freePort(); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(shared, "start"), dist, filepath.Join(root, "provisioning"), port)
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(),
		"GRAFANA_RUN_DIR="+filepath.Join(dir, "grafana"),
		// provisioning/ reads the plugin folder (for its dashboards) and the store from these.
		"GF_PATHS_PLUGINS="+filepath.Join(dir, "grafana", "plugins"),
		"POSTGRES_HOST=127.0.0.1",
		"POSTGRES_PORT="+strconv.Itoa(srv.Port),
		"POSTGRES_DB="+database,
		"POSTGRES_USER="+pgtest.LoginUser,
		"POSTGRES_PASSWORD="+pgtest.LoginPassword,
	)
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s/start: %w", sharedDir, err)
	}
	e.grafanaURL = strings.TrimSpace(string(out))
	runDir := filepath.Join(dir, "grafana")
	e.logHint = func() string { return errorLines(filepath.Join(runDir, "grafana.log")) }
	e.teardown = append(e.teardown, func() {
		stop := exec.Command(filepath.Join(shared, "stop"), port)
		stop.Env = append(os.Environ(), "GRAFANA_RUN_DIR="+runDir)
		_ = stop.Run()
	})
	return nil
}

// errorLines returns the last error lines of Grafana's log (the log itself goes with the run's
// temporary folder).
func errorLines(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var errs []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "level=error") {
			errs = append(errs, line)
		}
	}
	if len(errs) > 30 {
		errs = errs[len(errs)-30:]
	}
	if len(errs) == 0 {
		return "no error lines"
	}
	return "its last error lines:\n" + strings.Join(errs, "\n")
}

// seed creates the database, loads the demo data ending at the current minute and lets the
// plugin's login role read it.
func seed(ctx context.Context, srv *pgtest.Server) error {
	admin, err := pgx.ConnectConfig(ctx, srv.AdminConfig("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+database); err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return err
	}
	cfg.ConnConfig = srv.AdminConfig(database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	opt := demo.Options{End: time.Now().UTC().Truncate(time.Minute)}
	if _, err := demo.Load(ctx, pool, pool, opt); err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	_, err = pool.Exec(ctx, "GRANT CONNECT ON DATABASE "+database+" TO "+pgtest.LoginUser+
		"; GRANT USAGE ON SCHEMA public TO "+pgtest.LoginUser+
		"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+pgtest.LoginUser)
	return err
}

// serveControl lets the browser tests change the world behind Grafana, on 127.0.0.1 only:
// POST /store/stop and /store/start take the store down and bring it back (the alert rule's Error
// state); POST /orders?id=ID&total=AMOUNT places a paid order now (the live feed).
func serveControl(ctx context.Context, e *env) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		conn, err := pgx.Connect(ctx, e.databaseURL)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `INSERT INTO orders (id, customer_key, created_at, status, total, currency, project)
			SELECT $1, customer_key, now(), 'paid', $2::numeric, 'USD', NULL FROM customers ORDER BY customer_key LIMIT 1`,
			r.URL.Query().Get("id"), r.URL.Query().Get("total"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	for name, f := range e.control {
		if f == nil {
			continue
		}
		mux.HandleFunc("POST /"+name, func(w http.ResponseWriter, _ *http.Request) {
			if err := f(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			log.Printf("control: %s", name)
		})
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	e.teardown = append(e.teardown, func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

func waitHTTP(ctx context.Context, url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url) //nolint:gosec // our own loopback URL
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s", url, within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

func getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
