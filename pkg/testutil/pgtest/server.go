// Package pgtest gives tests a throw-away PostgreSQL: one cluster per test binary, started on
// first use, with a fresh database per test.
//
// Use it from a package's TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestX(t *testing.T) {
//		db := pgtest.Start(t).NewDatabase(t)
//		db.LoadSchema(t, "support")
//		...
//	}
//
// When TEST_DATABASE_URL is set (a superuser URL), that server is used instead of a private
// cluster.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Login role the code under test connects as: not a superuser, password over TCP (scram).
const (
	LoginUser     = "grafana"
	LoginPassword = "test-secret-Pa55"
)

const (
	envURL      = "TEST_DATABASE_URL"
	installHint = "install PostgreSQL: apt-get update && apt-get install -y postgresql-15 " +
		"(or set " + envURL + " to a superuser URL of a running server)"
	dirPrefix   = "pgtest-"
	ownerFile   = "owner.pid"
	readyWithin = 60 * time.Second
)

// Server is a PostgreSQL server for tests: a private cluster, or the server of
// TEST_DATABASE_URL.
type Server struct {
	Host      string // TCP host, 127.0.0.1 for a private cluster
	Port      int
	SocketDir string // unix-socket directory of a private cluster; empty for TEST_DATABASE_URL

	admin    *pgx.ConnConfig // superuser connection to the maintenance database
	external bool

	binDir, baseDir, dataDir, logPath string
	options                           []string // extra server settings (-c name=value), see Launch

	mu      sync.Mutex
	running bool
	pools   map[*pgxpool.Pool]bool // admin pools of live databases, reset on Restart
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Main runs the tests of m and stops the shared cluster afterwards, when this process started
// one; also on SIGINT/SIGTERM. Call it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; ok {
			stopShared()
			os.Exit(130)
		}
	}()
	code := m.Run()
	signal.Stop(sigs)
	close(sigs)
	stopShared()
	return code
}

func stopShared() {
	if s := shared.srv; s != nil && !s.external {
		_ = s.Stop()
		s.removeFiles()
	}
}

// Start returns the shared server of this test binary, starting it on first use.
func Start(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() {
		if url := os.Getenv(envURL); url != "" {
			shared.srv, shared.err = external(url)
			return
		}
		shared.srv, shared.err = startPrivate()
	})
	if shared.err != nil {
		tb.Fatalf("pgtest: %v", shared.err)
	}
	return shared.srv
}

// StartPrivate starts a cluster for this test alone, removed in tb.Cleanup; for tests that stop
// the server and must not disturb the others. It ignores TEST_DATABASE_URL.
func StartPrivate(tb testing.TB) *Server {
	tb.Helper()
	s, err := startPrivate()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		_ = s.Stop()
		s.removeFiles()
	})
	return s
}

func external(url string) (*Server, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envURL, err)
	}
	s := &Server{Host: cfg.Host, Port: int(cfg.Port), admin: cfg, external: true, running: true}
	if strings.HasPrefix(s.Host, "/") { // a socket URL: the login role still goes over TCP
		s.Host = "127.0.0.1"
	}
	if err := s.createLoginRole(); err != nil {
		return nil, err
	}
	return s, nil
}

func startPrivate() (*Server, error) {
	binDir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if err := checkRunuser(); err != nil {
			return nil, err
		}
	}
	reapOrphans()
	base, err := makeBaseDir()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host:      "127.0.0.1",
		SocketDir: base,
		binDir:    binDir,
		baseDir:   base,
		dataDir:   filepath.Join(base, "data"),
		logPath:   filepath.Join(base, "postgres.log"),
	}
	if err := s.initdb(); err != nil {
		s.removeFiles()
		return nil, err
	}
	if err := s.startFreshPort(); err != nil {
		s.removeFiles()
		return nil, err
	}
	if err := s.createLoginRole(); err != nil {
		_ = s.Stop()
		s.removeFiles()
		return nil, err
	}
	return s, nil
}

// Stop shuts a private cluster down (fast mode), leaving its data for Restart.
func (s *Server) Stop() error {
	if s.external {
		return errors.New("pgtest: Stop needs a private cluster; unset " + envURL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	if out, err := s.pgctl("stop", "-D", s.dataDir, "-m", "fast", "-w", "-t", "60"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	s.running = false
	return nil
}

// Restart starts a stopped private cluster again, on the same port and data. The AdminPools
// of its databases drop their dead connections.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if s.external {
		tb.Fatalf("pgtest: Restart needs a private cluster; unset %s", envURL)
	}
	if err := s.start(); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.pools {
		p.Reset()
	}
}

func (s *Server) track(p *pgxpool.Pool, live bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pools == nil {
		s.pools = map[*pgxpool.Pool]bool{}
	}
	if live {
		s.pools[p] = true
	} else {
		delete(s.pools, p)
	}
}

// Running reports whether the server is up as far as pgtest knows (after Stop it is not).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// AdminConfig returns a superuser connection config for the named database.
func (s *Server) AdminConfig(database string) *pgx.ConnConfig {
	cfg := s.admin.Copy()
	cfg.Database = database
	return cfg
}

func (s *Server) initdb() error {
	if err := os.WriteFile(filepath.Join(s.baseDir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	out, err := s.run(filepath.Join(s.binDir, "initdb"), "-D", s.dataDir, "-U", "postgres",
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
	if err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	conf := strings.Join([]string{
		"",
		"# pgtest: throw-away cluster, durability off",
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = '" + s.baseDir + "'",
		"fsync = off",
		"full_page_writes = off",
		"synchronous_commit = off",
		"shared_buffers = 64MB",
		"max_connections = 200",
		"max_wal_size = 2GB",
		"logging_collector = off",
		"log_min_duration_statement = -1",
		"",
	}, "\n")
	f, err := os.OpenFile(filepath.Join(s.dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// startFreshPort starts on a free port, trying another one when another process took it
// between our probe and the server's bind.
func (s *Server) startFreshPort() error {
	var err error
	for range 5 {
		if s.Port, err = freePort(); err != nil {
			return err
		}
		if err = s.start(); err == nil || !strings.Contains(err.Error(), "already in use") {
			return err
		}
	}
	return err
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil
	}
	s.admin = s.socketConfig()
	opts := "-p " + strconv.Itoa(s.Port)
	for _, o := range s.options {
		opts += " -c " + o
	}
	out, err := s.pgctl("start", "-D", s.dataDir, "-l", s.logPath, "-w", "-t", "60", "-o", opts)
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s\nlog tail:\n%s", err, out, s.logTail())
	}
	if err := s.waitReady(); err != nil {
		return fmt.Errorf("server not ready: %v\nlog tail:\n%s", err, s.logTail())
	}
	s.running = true
	return nil
}

func (s *Server) socketConfig() *pgx.ConnConfig {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable",
		s.SocketDir, s.Port))
	if err != nil {
		panic(err) // the string is ours
	}
	return cfg
}

func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyWithin)
	defer cancel()
	for {
		conn, err := pgx.ConnectConfig(ctx, s.admin)
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) createLoginRole() error {
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, s.admin)
	if err != nil {
		return fmt.Errorf("connect as superuser: %w", err)
	}
	defer conn.Close(ctx)
	// Literal password: utility statements take no parameters. Concurrent test binaries on one
	// TEST_DATABASE_URL server may race to create the role, hence the retry as ALTER.
	create := fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", LoginUser, LoginPassword)
	alter := fmt.Sprintf("ALTER ROLE %s LOGIN PASSWORD '%s'", LoginUser, LoginPassword)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", LoginUser).Scan(&exists); err != nil {
		return fmt.Errorf("look up login role: %w", err)
	}
	stmt := create
	if exists {
		stmt = alter
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		if _, err2 := conn.Exec(ctx, alter); err2 != nil {
			return fmt.Errorf("create login role: %w", err)
		}
	}
	return nil
}

func (s *Server) pgctl(args ...string) (string, error) {
	return s.run(filepath.Join(s.binDir, "pg_ctl"), args...)
}

// run executes a PostgreSQL program; as root it runs as the postgres user, since initdb and
// the server refuse to run as root.
func (s *Server) run(prog string, args ...string) (string, error) {
	cmd := exec.Command(prog, args...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", prog}, args...)...)
	}
	cmd.Dir = s.baseDir
	// A process group of its own keeps a terminal's Ctrl-C away from the server: Main's handler
	// stops it cleanly instead.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

func (s *Server) removeFiles() {
	if s.baseDir != "" {
		_ = os.RemoveAll(s.baseDir)
	}
}

func findBinDir() (string, error) {
	if dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(dirs) > 0 {
		sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
				return d, nil
			}
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found; " + installHint)
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func checkRunuser() error {
	if _, err := exec.LookPath("runuser"); err != nil {
		return errors.New("running as root needs runuser (util-linux) to start PostgreSQL as user postgres")
	}
	if err := exec.Command("id", "-u", "postgres").Run(); err != nil {
		return errors.New("running as root needs a 'postgres' system user; " + installHint)
	}
	return nil
}

// makeBaseDir creates the cluster's directory, owned by postgres when we are root. Its
// parents must be traversable by postgres; the system temp dir is when TMPDIR is not.
func makeBaseDir() (string, error) {
	parent := os.TempDir()
	if os.Geteuid() == 0 && !traversable(parent) {
		parent = "/tmp"
	}
	dir, err := os.MkdirTemp(parent, dirPrefix)
	if err != nil {
		return "", err
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres:", dir).CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("chown %s: %v: %s", dir, err, out)
		}
	}
	return dir, nil
}

func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == "/" {
			return true
		}
	}
}

// ClosedPort is a port of 127.0.0.1 nothing listens on (it was free a moment ago): for tests of a
// store that cannot be reached.
func ClosedPort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("pgtest: no free port: %v", err)
	}
	return port
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// reapOrphans stops and removes clusters left by test processes that died without cleaning up
// (a panic or a test timeout skips Main's cleanup).
func reapOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		binDir, err := findBinDir()
		if err != nil {
			return
		}
		orphan := &Server{binDir: binDir, baseDir: dir, dataDir: filepath.Join(dir, "data")}
		if _, err := os.Stat(filepath.Join(orphan.dataDir, "postmaster.pid")); err == nil {
			_, _ = orphan.pgctl("stop", "-D", orphan.dataDir, "-m", "immediate", "-w")
		}
		_ = os.RemoveAll(dir)
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
