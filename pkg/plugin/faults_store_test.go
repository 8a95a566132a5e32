package plugin_test

// Fault scenarios of the stores: read-only sessions, timeouts, cancellation, a store that goes down
// and comes back, a server that never answers, and what alert rules see meanwhile.

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/store"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// storeErr runs sql on the plugin's pool of st and returns its error, also one found while reading.
func storeErr(ctx context.Context, st *store.Store, sql string) error {
	rows, err := st.Query(ctx, sql)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	rows.Close()
	return rows.Err()
}

// Scenario 4: every session of the plugin's pools is read-only, and the documented role cannot
// write even in a session that turned read-only off.
func testReadOnly(t *testing.T, demo *pgtest.DB) {
	ctx := context.Background()
	const conns = 3
	jsonData, secure := role(t, demo, "readonly", map[string]any{"maxOpenConns": conns, "queryTimeoutSeconds": 7})
	jsonData["ordersHost"], jsonData["ordersUser"], jsonData["ordersDatabase"] = jsonData["helpdeskHost"], jsonData["helpdeskUser"], demo.Name
	jsonData["ordersSslMode"] = "disable"
	secure["ordersPassword"] = secure["helpdeskPassword"]
	d := newInstance(t, jsonData, secure)
	require.NoError(t, d.SettingsError())

	writes := map[*store.Store][]string{
		d.Stores().Helpdesk: {
			`INSERT INTO {{schema}}.tickets (id, channel, project, created_at) VALUES ('w', 'email', 'shop', now())`,
			`UPDATE {{schema}}.tickets SET topic = 'x'`,
			`DELETE FROM {{schema}}.tickets`,
			`CREATE TABLE {{schema}}.w (i int)`,
			`SELECT id FROM {{schema}}.tickets LIMIT 1 FOR UPDATE`,
		},
		d.Stores().Orders: {
			`INSERT INTO {{schema}}.orders (id, customer_key, created_at, status, total, currency) VALUES ('w', 'c', now(), 'paid', 1, 'USD')`,
			`TRUNCATE {{schema}}.orders`,
			`CREATE TEMP TABLE w (i int)`,
		},
	}
	for st, sqls := range writes {
		// Hold every connection the pool may open at once: each is a session of its own.
		var held []pgx.Rows
		for range conns {
			rows, err := st.Query(ctx, `SELECT pg_backend_pid(), current_setting('transaction_read_only'), current_setting('statement_timeout'), current_setting('application_name')`)
			require.NoError(t, err)
			held = append(held, rows)
		}
		pids := map[int32]bool{}
		for _, rows := range held {
			var pid int32
			var readOnly, timeout, app string
			require.True(t, rows.Next())
			require.NoError(t, rows.Scan(&pid, &readOnly, &timeout, &app))
			rows.Close()
			pids[pid] = true
			assert.Equal(t, "on", readOnly, "%s session %d", st.Label(), pid)
			assert.Equal(t, "7s", timeout, "the plugin's queryTimeoutSeconds, not the role's 30s")
			assert.Equal(t, applicationName, app)
		}
		assert.Len(t, pids, conns, "%s: %d sessions", st.Label(), conns)
		for _, sql := range sqls {
			err := storeErr(ctx, st, sql)
			seen.err(err)
			assert.ErrorContains(t, err, "in a read-only transaction (SQLSTATE 25006)", sql)
		}
	}
	assert.Equal(t, 0, scalar(t, demo, `SELECT count(*) FROM support.tickets WHERE id = 'w'`))

	refused := len(writes[d.Stores().Helpdesk]) + len(writes[d.Stores().Orders])

	// A session that turns read-only off still cannot write as the documented role.
	jsonData["maxOpenConns"] = 1
	d = newInstance(t, jsonData, secure)
	st := d.Stores().Helpdesk
	require.NoError(t, storeErr(ctx, st, `SET default_transaction_read_only = off`))
	for sql, want := range map[string]string{
		`INSERT INTO {{schema}}.tickets (id, channel, project, created_at) VALUES ('w', 'email', 'shop', now())`: "helpdesk store: permission denied for table tickets",
		`CREATE TABLE {{schema}}.w (i int)`: "helpdesk store: permission denied for schema support",
	} {
		err := storeErr(ctx, st, sql)
		seen.err(err)
		assert.ErrorContains(t, err, want)
	}
	figures.add(t, "read-only: %d of %d sessions per pool read-only, %d writes refused as read-only, 2 more as not permitted once read-only was turned off", conns, conns, refused)
}

// slowStore makes a database whose tickets relation is a view that sleeps a minute, and whose
// orders relation another session can lock.
func slowStore(t *testing.T, srv *pgtest.Server) *pgtest.DB {
	t.Helper()
	db := srv.NewDatabase(t)
	db.LoadSchema(t, "support")
	db.LoadSchema(t, "shop")
	db.Exec(t, `ALTER TABLE support.tickets RENAME TO tickets_data;
CREATE VIEW support.tickets AS SELECT d.* FROM support.tickets_data d WHERE pg_sleep(60) IS NOT NULL`)
	db.Exec(t, `INSERT INTO support.tickets_data (id, channel, project, created_at) VALUES ('t1', 'email', 'shop', $1)`, demoTo.Add(-time.Hour))
	return db
}

// Scenario 5: a slow store and a held lock hit queryTimeoutSeconds with a clear error on that
// query, and leave nothing running.
func testTimeouts(t *testing.T, srv *pgtest.Server) {
	ctx := context.Background()
	db := slowStore(t, srv)
	jsonData, secure := role(t, db, "timeout", map[string]any{"queryTimeoutSeconds": 1})
	d := newInstance(t, jsonData, secure)

	var slow backend.DataResponse
	elapsed := timed(func() {
		slow = run(ctx, t, d, false,
			dq("slow", `{"metrics":["tickets"]}`, demoFrom, demoTo),
			dq("fast", `{"metrics":["orders"]}`, demoFrom, demoTo)).Responses["slow"]
	})
	assert.EqualError(t, slow.Error, "helpdesk store: query timed out after 1s (queryTimeoutSeconds)")
	assert.Equal(t, backend.ErrorSourceDownstream, slow.ErrorSource)
	assert.Less(t, elapsed, 10*time.Second, "the view sleeps 60 s: the timeout ended it")
	figures.add(t, "slow view, queryTimeoutSeconds 1: error after %s", ms(elapsed))
	_, idle := waitFor(5*time.Second, func() bool { return sessions(t, db, true) == 0 })
	assert.True(t, idle, "no statement left running")

	// A lock held by another session: the order read waits for it up to the timeout.
	tx, err := db.AdminPool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, `LOCK TABLE shop.orders IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)
	var locked backend.DataResponse
	elapsed = timed(func() {
		locked = one(ctx, t, d, false, dq("A", `{"metrics":["orders"]}`, demoFrom.AddDate(0, 0, -1), demoTo))
	})
	require.Error(t, locked.Error)
	assert.Regexp(t, `^order store: query timed out after 1s( waiting for a lock)? \(queryTimeoutSeconds\)$`, locked.Error.Error())
	assert.Less(t, elapsed, 10*time.Second)
	figures.add(t, "held lock, queryTimeoutSeconds 1: error after %s (%q)", ms(elapsed), locked.Error)
}

// Scenario 5: cancelling the request stops the statement in PostgreSQL.
func testCancellation(t *testing.T, srv *pgtest.Server) {
	db := slowStore(t, srv)
	jsonData, secure := role(t, db, "cancel", map[string]any{"queryTimeoutSeconds": 30})
	d := newInstance(t, jsonData, secure)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		resp *backend.QueryDataResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := d.QueryData(ctx, &backend.QueryDataRequest{Queries: []backend.DataQuery{dq("A", `{"metrics":["tickets"]}`, demoFrom, demoTo)}})
		done <- result{resp, err}
	}()
	_, running := waitFor(10*time.Second, func() bool { return sessions(t, db, true) > 0 })
	require.True(t, running, "the slow statement shows in pg_stat_activity")
	cancel()
	gone, ok := waitFor(5*time.Second, func() bool { return sessions(t, db, true) == 0 })
	assert.True(t, ok, "the statement left pg_stat_activity")
	var res result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("QueryData did not return after its request was cancelled")
	}
	// The request itself ends cancelled (nobody reads its answer), so that the SDK logs it as
	// cancelled, not as an error (TestCancelledRequestIsNotLoggedAsError).
	seen.err(res.err)
	assert.ErrorIs(t, res.err, context.Canceled)
	assert.Nil(t, res.resp)
	figures.add(t, "cancel -> statement gone from pg_stat_activity after %s", ms(gone))
}

// Scenarios 6 and 11: the store goes down mid-run and comes back. Health and every query that must
// read fail fast with "cannot connect"; an alert rule never gets numbers from a store that is down
// (zeros would resolve or fire it); a dashboard panel refreshed within the read cache's TTL shows
// the numbers it read a moment ago. Once the store is back, the same instance answers again.
func testStoreDownAndBack(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.StartPrivate(t)
	db := srv.NewDatabase(t)
	smallDemo(t, db)
	jsonData, secure := role(t, db, "down", map[string]any{"queryTimeoutSeconds": 5})
	d := newInstance(t, jsonData, secure)
	known := dq("known", `{"metrics":["tickets","csat","revenue"]}`, demoFrom, demoTo)
	fresh := dq("fresh", `{"metrics":["ticket_conversion_rate","orders"],"groupBy":["time"],"interval":"day"}`, demoTo.AddDate(0, 0, -7), demoTo)

	dashboard := one(ctx, t, d, false, known)
	require.NoError(t, dashboard.Error)
	alert := one(ctx, t, d, true, known)
	require.NoError(t, alert.Error)
	require.Equal(t, backend.HealthStatusOk, health(ctx, t, d).Status)

	require.NoError(t, srv.Stop())
	unreachable := regexp.MustCompile(`^(helpdesk|order) store: (cannot connect to|connection to) 127\.0\.0\.1:` + strconv.Itoa(db.Port))

	var res *backend.CheckHealthResult
	elapsed := timed(func() { res = health(ctx, t, d) })
	assert.Equal(t, backend.HealthStatusError, res.Status)
	assert.Regexp(t, unreachable, res.Message)
	assert.Less(t, elapsed, 5*time.Second, "within the connect timeout")
	figures.add(t, "store down: health error after %s (%s)", ms(elapsed), res.Message)

	for _, c := range []struct {
		name  string
		q     backend.DataQuery
		alert bool
	}{
		{"alert rule, query it ran before", known, true},
		{"alert rule, new query", fresh, true},
		{"dashboard, new query", fresh, false},
	} {
		var r backend.DataResponse
		elapsed := timed(func() { r = one(ctx, t, d, c.alert, c.q) })
		require.Error(t, r.Error, c.name)
		assert.Regexp(t, unreachable, r.Error.Error(), c.name)
		assert.Equal(t, backend.ErrorSourceDownstream, r.ErrorSource, c.name)
		assert.Empty(t, r.Frames, "%s: no frames, so no zeros", c.name)
		assert.Less(t, elapsed, 5*time.Second, c.name)
		figures.add(t, "store down, %s: error after %s (%s)", c.name, ms(elapsed), r.Error)
	}
	cached := one(ctx, t, d, false, known)
	require.NoError(t, cached.Error, "a dashboard refresh within the read cache's TTL")
	assert.Equal(t, frameValues(t, dashboard), frameValues(t, cached), "the numbers read before the store went down")

	elapsed = timed(func() { srv.Restart(t) })
	figures.add(t, "store restarted in %s", ms(elapsed))
	assert.Equal(t, backend.HealthStatusOk, health(ctx, t, d).Status, "the same instance recovers by itself")
	r := one(ctx, t, d, false, fresh)
	require.NoError(t, r.Error)
	again := one(ctx, t, d, true, known)
	require.NoError(t, again.Error)
	assert.Equal(t, frameValues(t, alert), frameValues(t, again))

	// A restart while the plugin is idle: its pooled sessions died unnoticed, the next query still
	// succeeds.
	require.NoError(t, srv.Stop())
	srv.Restart(t)
	r = one(ctx, t, d, true, known)
	require.NoError(t, r.Error, "first query after a restart the plugin did not see")
}

// frameValues are the names and values of the fields of an answer's single frame (the executed
// query string lists the reads in the order they finished, which varies).
func frameValues(t *testing.T, r backend.DataResponse) map[string][]any {
	t.Helper()
	require.Len(t, r.Frames, 1)
	out := map[string][]any{}
	for _, f := range r.Frames[0].Fields {
		for i := 0; i < f.Len(); i++ {
			v, _ := f.ConcreteAt(i)
			out[f.Name] = append(out[f.Name], v)
		}
	}
	return out
}

// Scenario 6: a server that accepts connections and never answers costs the connect timeout, no
// more.
func testSilentServer(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	password := seen.secret("silent")
	d := newInstance(t, map[string]any{"helpdeskHost": l.Addr().String(), "helpdeskUser": "grafana", "helpdeskSslMode": "disable",
		"queryTimeoutSeconds": 2}, map[string]string{"helpdeskPassword": password})
	want := "store: cannot connect to " + l.Addr().String() + ": no answer in time"

	var res *backend.CheckHealthResult
	elapsed := timed(func() { res = health(ctx, t, d) })
	assert.Equal(t, backend.HealthStatusError, res.Status)
	assert.Contains(t, res.Message, want)
	assert.Less(t, elapsed, 10*time.Second)
	figures.add(t, "silent server, connect timeout 2 s: health error after %s", ms(elapsed))

	var r backend.DataResponse
	elapsed = timed(func() { r = one(ctx, t, d, true, dq("A", `{"metrics":["tickets"]}`, demoFrom, demoTo)) })
	require.Error(t, r.Error)
	assert.Contains(t, r.Error.Error(), want)
	assert.Less(t, elapsed, 10*time.Second)
	figures.add(t, "silent server, connect timeout 2 s: query error after %s", ms(elapsed))
}
