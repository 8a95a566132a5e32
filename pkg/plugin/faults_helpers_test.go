package plugin_test

// The harness of the fault suite (faults_*_test.go, docs/RELIABILITY.md): a log that keeps what the
// plugin logs, a record of every answer the suite saw, login roles with distinctive passwords made
// with the documented read-only SQL, and pg_stat_activity probes.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/plugin"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// applicationName is how the plugin's sessions show in pg_stat_activity.
const applicationName = "grafana-support-analytics"

// pluginLog replaces the SDK's logger for this test binary: everything the plugin logs, at every
// level, is kept for the secrets check.
var pluginLog = &logSink{root: &logBuffer{}}

func init() { backend.Logger = pluginLog }

type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

type logSink struct {
	root  *logBuffer
	attrs []any
}

func (l *logSink) write(level, msg string, args []any) {
	l.root.mu.Lock()
	defer l.root.mu.Unlock()
	fmt.Fprintf(&l.root.buf, "%s %s %v %v\n", level, msg, l.attrs, args)
}

func (l *logSink) Debug(msg string, args ...any) { l.write("DEBUG", msg, args) }
func (l *logSink) Info(msg string, args ...any)  { l.write("INFO", msg, args) }
func (l *logSink) Warn(msg string, args ...any)  { l.write("WARN", msg, args) }
func (l *logSink) Error(msg string, args ...any) { l.write("ERROR", msg, args) }
func (l *logSink) Level() log.Level              { return log.Debug }

func (l *logSink) With(args ...any) log.Logger {
	return &logSink{root: l.root, attrs: append(append([]any{}, l.attrs...), args...)}
}

func (l *logSink) FromContext(ctx context.Context) log.Logger {
	if attrs := log.ContextualAttributesFromContext(ctx); len(attrs) > 0 {
		return l.With(attrs...)
	}
	return l
}

func (l *logSink) String() string {
	l.root.mu.Lock()
	defer l.root.mu.Unlock()
	return l.root.buf.String()
}

// seen is every answer the fault suite got from the plugin (errors, frames with their notices and
// executed queries, health results), and every secret it configured.
var seen = &record{}

type record struct {
	mu      sync.Mutex
	outputs []string
	secrets []string
}

func (r *record) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outputs = append(r.outputs, s)
}

func (r *record) response(t *testing.T, resp *backend.QueryDataResponse) {
	t.Helper()
	for ref, dr := range resp.Responses {
		if dr.Error != nil {
			r.add(ref + ": " + dr.Error.Error())
		}
		for _, f := range dr.Frames {
			raw, err := json.Marshal(f)
			require.NoError(t, err)
			r.add(string(raw))
		}
	}
}

func (r *record) health(res *backend.CheckHealthResult) {
	r.add(res.Message + " " + string(res.JSONDetails))
}

func (r *record) err(err error) {
	if err != nil {
		r.add(err.Error())
	}
}

// secret returns a distinctive password, watched for in every output from now on.
func (r *record) secret(name string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	s := "Fault-" + name + "-" + hex.EncodeToString(b) + "-Pw"
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, s)
	return s
}

func (r *record) watch(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, secret)
}

func (r *record) snapshot() (outputs, secrets []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.outputs...), append([]string{}, r.secrets...)
}

// figures are the measured numbers of the suite, logged at its end (go test -v -run TestFaults)
// for docs/RELIABILITY.md.
var figures = &figureLog{}

type figureLog struct {
	mu    sync.Mutex
	lines []string
}

func (f *figureLog) add(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log("figure: " + line)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, t.Name()+": "+line)
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// --- roles

// readOnlyRoleSQL is the read-only role of docs/RELIABILITY.md, as the documentation gives it.
func readOnlyRoleSQL(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "RELIABILITY.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)## Read-only role\n.*?```sql\n(.*?)```").FindSubmatch(doc)
	require.NotNil(t, m, "docs/RELIABILITY.md has a Read-only role section with a sql block")
	return string(m[1])
}

var (
	roleSeq atomic.Int64
	roleMu  sync.Mutex
)

// role creates a login role for db with the documented SQL (schemas support and shop) and a
// distinctive password, dropped when t ends. It returns the settings of an instance logging in
// as that role, with extra jsonData.
func role(t *testing.T, db *pgtest.DB, name string, extra map[string]any) (map[string]any, map[string]string) {
	t.Helper()
	user := fmt.Sprintf("fault_%s_%d_%d", name, os.Getpid(), roleSeq.Add(1))
	password := seen.secret(name)
	sql := strings.NewReplacer("grafana_support", user, "change-me", password,
		"DATABASE helpdesk", "DATABASE "+pgx.Identifier{db.Name}.Sanitize()).Replace(readOnlyRoleSQL(t))
	// Scenarios run in parallel, and two GRANTs on the same schema at once can fail with "tuple
	// concurrently updated" (both rewrite the schema's ACL), as can a GRANT beside another scenario's
	// DROP OWNED BY (which revokes): one role is created, or dropped, at a time.
	func() {
		roleMu.Lock()
		defer roleMu.Unlock() // also when Exec fails the test
		for _, schema := range []string{"support", "shop"} {
			db.Exec(t, "CREATE SCHEMA IF NOT EXISTS "+schema)
		}
		db.Exec(t, sql)
	}()
	t.Cleanup(func() {
		roleMu.Lock()
		defer roleMu.Unlock()
		ctx := context.Background()
		_, _ = db.AdminPool.Exec(ctx, "DROP OWNED BY "+user)
		_, _ = db.AdminPool.Exec(ctx, "DROP ROLE IF EXISTS "+user)
	})
	jsonData, _ := dbSettings(db, "support", "shop", extra)
	jsonData["helpdeskUser"] = user
	return jsonData, map[string]string{"helpdeskPassword": password}
}

// --- running the plugin

// at is the usual range of the suite: the last 30 days of the demo data.
var (
	demoTo   = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	demoFrom = demoTo.AddDate(0, 0, -30)
)

// dq is one query of a request.
func dq(refID, model string, from, to time.Time) backend.DataQuery {
	return backend.DataQuery{RefID: refID, JSON: json.RawMessage(model), MaxDataPoints: 1000, Interval: time.Minute,
		TimeRange: backend.TimeRange{From: from, To: to}}
}

// run sends queries as Grafana does (alert: as an alert rule) and records the answers.
func run(ctx context.Context, t *testing.T, d backend.QueryDataHandler, alert bool, queries ...backend.DataQuery) *backend.QueryDataResponse {
	t.Helper()
	req := &backend.QueryDataRequest{Queries: queries}
	if alert {
		req.Headers = map[string]string{"FromAlert": "true"}
	}
	resp, err := d.QueryData(ctx, req)
	require.NoError(t, err, "QueryData fails only when nothing could run")
	require.Len(t, resp.Responses, len(queries), "one answer per query")
	seen.response(t, resp)
	return resp
}

// one runs a single query and returns its answer.
func one(ctx context.Context, t *testing.T, d backend.QueryDataHandler, alert bool, q backend.DataQuery) backend.DataResponse {
	t.Helper()
	return run(ctx, t, d, alert, q).Responses[q.RefID]
}

// health runs "Save & test" and records the result.
func health(ctx context.Context, t *testing.T, d *plugin.Datasource) *backend.CheckHealthResult {
	t.Helper()
	res, err := d.CheckHealth(ctx, &backend.CheckHealthRequest{})
	require.NoError(t, err, "a store problem is a health result, not a Go error")
	seen.health(res)
	return res
}

// timed runs f and returns how long it took.
func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// --- pg_stat_activity

// sessions counts the plugin's sessions on db; active: only those running a statement.
func sessions(t *testing.T, db *pgtest.DB, active bool) int {
	t.Helper()
	var n int
	err := db.AdminPool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
WHERE datname = $1 AND application_name = $2 AND (NOT $3 OR state = 'active')`, db.Name, applicationName, active).Scan(&n)
	require.NoError(t, err)
	return n
}

// waitFor polls cond every 10 ms until it holds or within passes; it returns how long it took and
// whether cond held.
func waitFor(within time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > within {
			return time.Since(start), false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
