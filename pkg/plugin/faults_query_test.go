package plugin_test

// Fault scenarios of the query path: one bad query among good ones, injection, limits.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// notices are the texts of the notices of every frame.
func notices(frames data.Frames) []string {
	var out []string
	for _, f := range frames {
		if f.Meta != nil {
			for _, n := range f.Meta.Notices {
				out = append(out, n.Text)
			}
		}
	}
	return out
}

// total is the single value of a metric without groups (a numeric-wide frame).
func total(t *testing.T, r backend.DataResponse, metric string) float64 {
	t.Helper()
	require.NoError(t, r.Error)
	require.Len(t, r.Frames, 1)
	f := r.Frames[0]
	field, i := f.FieldByName(metric)
	require.GreaterOrEqual(t, i, 0, "field %s", metric)
	require.Equal(t, 1, field.Len())
	v, ok := field.ConcreteAt(0)
	require.True(t, ok, "%s has a value", metric)
	return v.(float64)
}

// scalar runs a query of one number on the admin pool.
func scalar(t *testing.T, db *pgtest.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.AdminPool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// Scenario 2: a request with bad queries among good ones answers every query; each bad one alone
// fails, with a message that names its problem.
func testBadQueryAmongGood(t *testing.T, demo *pgtest.DB) {
	ctx := context.Background()
	jsonData, secure := role(t, demo, "badquery", map[string]any{"maxRangeDays": 90})
	d := newInstance(t, jsonData, secure)
	long := demoTo.AddDate(0, 0, -120)
	queries := []backend.DataQuery{
		dq("good-metrics", `{"metrics":["tickets","revenue"],"groupBy":["time"],"interval":"day"}`, demoFrom, demoTo),
		dq("unknown-metric", `{"metrics":["tickets","no_such_metric"]}`, demoFrom, demoTo),
		dq("broken-json", `{"metrics":["tickets"`, demoFrom, demoTo),
		dq("wrong-type", `{"metrics":"tickets"}`, demoFrom, demoTo),
		dq("bad-dimension", `{"metrics":["revenue"],"groupBy":["agent"]}`, demoFrom, demoTo),
		dq("too-long", `{"metrics":["tickets"]}`, long, demoTo),
		dq("empty-range", `{"metrics":["tickets"]}`, demoTo, demoFrom),
		dq("bad-timezone", `{"metrics":["tickets"],"timezone":"Mars/Olympus"}`, demoFrom, demoTo),
		dq("bad-segment", `{"metrics":["csat"],"filters":{"segments":["gold"]}}`, demoFrom, demoTo),
		dq("bad-variable", `{"queryType":"variable","dimension":"colour"}`, demoFrom, demoTo),
		dq("bad-type", `{"queryType":"pie_chart"}`, demoFrom, demoTo),
		dq("good-table", `{"queryType":"tickets","limit":5}`, demoFrom, demoTo),
		dq("good-variable", `{"queryType":"variable","dimension":"channel"}`, demoFrom, demoTo),
	}
	want := map[string]string{
		"unknown-metric": `bad query: unknown metric "no_such_metric": use one of `,
		"broken-json":    `bad query: the query is not valid JSON for this data source: unexpected end of JSON input`,
		"wrong-type":     `bad query: the query is not valid JSON for this data source: field "metrics" must be a list, got string`,
		"bad-dimension":  `bad query: metric revenue cannot be grouped by agent: it supports time, `,
		"too-long":       `bad query: the time range is 120 days, longer than the 90 days this data source allows (maxRangeDays): choose a shorter range`,
		"empty-range":    `bad query: the time range is empty: its end (2026-10-24T00:00:00Z) must be after its start (2026-11-23T00:00:00Z)`,
		"bad-timezone":   `bad query: unknown time zone "Mars/Olympus": use an IANA name such as Europe/Paris or UTC`,
		"bad-segment":    `bad query: unknown segment "gold" in filters.segments: use `,
		"bad-variable":   `bad query: unknown dimension "colour" for a variable: use one of `,
		"bad-type":       `bad query: unknown queryType "pie_chart": use one of metrics, tickets, top_products, live_feed, retention, variable`,
	}
	resp := run(ctx, t, d, false, queries...)
	for _, q := range queries {
		r := resp.Responses[q.RefID]
		if prefix, bad := want[q.RefID]; bad {
			require.Error(t, r.Error, q.RefID)
			assert.True(t, strings.HasPrefix(r.Error.Error(), prefix), "%s: %q should start with %q", q.RefID, r.Error, prefix)
			assert.Equal(t, backend.ErrorSourceDownstream, r.ErrorSource, q.RefID)
			assert.Equal(t, backend.StatusBadRequest, r.Status, q.RefID)
			assert.Empty(t, r.Frames, q.RefID)
			continue
		}
		require.NoError(t, r.Error, q.RefID)
		require.NotEmpty(t, r.Frames, q.RefID)
		assert.Positive(t, r.Frames[0].Rows(), q.RefID)
	}
}

// Scenario 3: values are values. Filters and settings lists reach SQL, if at all, as bound
// parameters; the data is unchanged afterwards; schema names are validated, then quoted.
func testInjection(t *testing.T, srv *pgtest.Server) {
	ctx := context.Background()
	db := srv.NewDatabase(t)
	db.LoadSchema(t, "support")
	db.LoadSchema(t, "shop")
	const odd = `it's 100% \ "quoted"; ok`
	const drop = `x'; DROP TABLE tickets; --`
	at := demoTo.Add(-time.Hour)
	db.Exec(t, `INSERT INTO support.tickets (id, channel, project, topic, created_at) VALUES
('t1', 'email', 'shop', 'billing', $1), ('t2', 'email', 'shop', $2, $1), ('t3', 'chat', 'shop', 'sales', $1)`, at, odd)
	db.Exec(t, `INSERT INTO shop.orders (id, customer_key, created_at, total, currency, status, project) VALUES
('o1', 'c1', $1, 10, 'USD', 'paid', 'shop'), ('o2', 'c2', $1, 20, 'USD', $2, 'shop')`, at, drop)
	jsonData, secure := role(t, db, "injection", map[string]any{
		"excludedStatuses": []string{"cancelled", `x'); DROP TABLE orders; --`, drop},
		"vipTags":          []string{`vip'; DELETE FROM customers; --`},
	})
	d := newInstance(t, jsonData, secure)
	require.NoError(t, d.SettingsError())

	filtered := func(values ...string) string {
		raw := `["` + strings.Join(values, `","`) + `"]`
		return `{"metrics":["tickets"],"filters":{"topics":` + raw + `}}`
	}
	tests := []struct {
		name, model string
		want        float64
		notice      string
	}{
		{"no filter", `{"metrics":["tickets"]}`, 3, ""},
		{"quotes and semicolons", filtered(`x'; DROP TABLE tickets; --`), 0, ""},
		{"a stored odd value matches itself", filtered(`it's 100% \\ \"quoted\"; ok`), 1, ""},
		{"percent is no wildcard", filtered(`bill%`, `%`), 0, ""},
		{"underscore is no wildcard", filtered(`_illing`), 0, ""},
		{"backslashes", filtered(`\\`, `\\'`, `billing\\`), 0, ""},
		{"NUL byte", filtered(`billing\u0000`, `\u0000`), 0, ""},
		{"non-UTF-8", "{\"metrics\":[\"tickets\"],\"filters\":{\"topics\":[\"\xff\xfe'\"]}}", 0, ""},
		{"an interpolated multi-value variable", filtered(`{billing,sales}`, `billing|sales`), 0, ""},
		{"an uninterpolated variable is no filter", filtered(`$topic`), 3,
			"Filter topics ($topic) is a dashboard variable that was not set (public or embedded dashboard, or alert rule): showing all topics."},
		{"exact values still match", filtered(`billing`, `sales`, drop), 2, ""},
	}
	for _, tt := range tests {
		r := one(ctx, t, d, false, dq("A", tt.model, demoFrom, demoTo))
		assert.Equal(t, tt.want, total(t, r, "tickets"), tt.name)
		if tt.notice != "" {
			assert.Contains(t, notices(r.Frames), tt.notice, tt.name)
		}
	}

	// The excluded statuses are bound as a text array: o2, whose status is the injection string, is
	// excluded as a value.
	assert.Equal(t, float64(1), total(t, one(ctx, t, d, false, dq("A", `{"metrics":["orders"]}`, demoFrom, demoTo)), "orders"))

	drill := one(ctx, t, d, false, dq("A", `{"queryType":"tickets","filters":{"topics":["`+drop+`"]}}`, demoFrom, demoTo))
	require.NoError(t, drill.Error)
	assert.Zero(t, drill.Frames[0].Rows(), "drill-down with the injection filter")

	variable := one(ctx, t, d, false, dq("A", `{"queryType":"variable","dimension":"topic; DROP TABLE tickets"}`, demoFrom, demoTo))
	assert.ErrorContains(t, variable.Error, `unknown dimension "topic; DROP TABLE tickets" for a variable`)
	values := one(ctx, t, d, false, dq("A", `{"queryType":"variable","dimension":"topic"}`, demoFrom, demoTo))
	require.NoError(t, values.Error)
	var got []string
	for i := 0; i < values.Frames[0].Rows(); i++ {
		v, _ := values.Frames[0].Fields[0].ConcreteAt(i)
		got = append(got, fmt.Sprint(v))
	}
	assert.Equal(t, []string{"billing", odd, "sales"}, got, "stored values come back as they are")

	// PostgreSQL text holds no NUL byte: a settings list with one is refused up front, instead of
	// failing every order read with an encoding error.
	jsonData["excludedStatuses"] = []string{"cancelled", "a\x00b"}
	nul := newInstance(t, jsonData, secure)
	assert.EqualError(t, nul.SettingsError(), `settings: excludedStatuses has a value with a NUL character (\u0000): remove it`)

	assert.Equal(t, 3, scalar(t, db, "SELECT count(*) FROM support.tickets"), "tickets intact")
	assert.Equal(t, 2, scalar(t, db, "SELECT count(*) FROM shop.orders"), "orders intact")
}

// Scenario 3 (settings): a schema name that needs more than quoting is refused; one that needs
// quoting works.
func testSchemaNames(t *testing.T, srv *pgtest.Server) {
	ctx := context.Background()
	for _, bad := range []string{`sup"port`, `a'b`, `a;b`, `a b`, `support.tickets`, `x"; DROP TABLE tickets; --`, "a\x00b"} {
		d := newInstance(t, map[string]any{"helpdeskHost": "127.0.0.1", "helpdeskUser": "u", "helpdeskSchema": bad}, nil)
		require.Error(t, d.SettingsError(), bad)
		assert.Contains(t, d.SettingsError().Error(), "is not a valid schema name: use letters, digits, _ and - (at most 63 bytes)", bad)
		seen.err(d.SettingsError())
	}

	db := srv.NewDatabase(t)
	db.LoadSchema(t, "support-eu")
	db.LoadSchema(t, "shop-eu")
	db.Exec(t, `INSERT INTO "support-eu".tickets (id, channel, project, created_at) VALUES ('t1', 'email', 'shop', $1)`, demoTo.Add(-time.Hour))
	jsonData, secure := role(t, db, "dash", nil)
	for _, s := range []string{"support-eu", "shop-eu"} {
		db.Exec(t, fmt.Sprintf(`GRANT USAGE ON SCHEMA %q TO %s; GRANT SELECT ON ALL TABLES IN SCHEMA %q TO %s`, s, jsonData["helpdeskUser"], s, jsonData["helpdeskUser"]))
	}
	jsonData["helpdeskSchema"], jsonData["ordersSchema"] = "support-eu", "shop-eu"
	d := newInstance(t, jsonData, secure)
	res := health(ctx, t, d)
	assert.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
	assert.Contains(t, res.Message, "schema support-eu")
	assert.Equal(t, float64(1), total(t, one(ctx, t, d, false, dq("A", `{"metrics":["tickets"]}`, demoFrom, demoTo)), "tickets"))
}

// Scenario 8: maxRangeDays, the drill-down row limit and the series cap, through the plugin.
func testLimits(t *testing.T, srv *pgtest.Server, demo *pgtest.DB) {
	ctx := context.Background()
	jsonData, secure := role(t, demo, "limits", map[string]any{"maxRangeDays": 31})
	d := newInstance(t, jsonData, secure)

	r := one(ctx, t, d, false, dq("A", `{"metrics":["tickets"]}`, demoTo.AddDate(0, 0, -32), demoTo))
	assert.EqualError(t, r.Error, "bad query: the time range is 32 days, longer than the 31 days this data source allows (maxRangeDays): choose a shorter range")
	r = one(ctx, t, d, false, dq("A", `{"metrics":["tickets"]}`, demoTo.AddDate(0, 0, -31), demoTo))
	assert.NoError(t, r.Error, "31 days are allowed")

	n := scalar(t, demo, "SELECT count(*) FROM support.tickets WHERE created_at >= $1 AND created_at < $2", demoFrom, demoTo)
	require.Greater(t, n, 5)
	r = one(ctx, t, d, false, dq("A", `{"queryType":"tickets","limit":5}`, demoFrom, demoTo))
	require.NoError(t, r.Error)
	assert.Equal(t, 5, r.Frames[0].Rows())
	assert.Equal(t, []string{fmt.Sprintf("showing the first 5 of %d tickets: raise limit or narrow the filters to see the rest", n)}, notices(r.Frames))

	// The series cap: 3,000 topics of one ticket and 150 larger ones (big-i has i+2 tickets); the
	// 100 largest are big-050 .. big-149.
	db := srv.NewDatabase(t)
	db.LoadSchema(t, "support")
	db.LoadSchema(t, "shop")
	at := demoTo.Add(-2 * time.Hour)
	db.Exec(t, `INSERT INTO support.tickets (id, channel, project, topic, created_at)
SELECT 's' || i, 'email', 'shop', 'small-' || lpad(i::text, 4, '0'), $1 FROM generate_series(1, 3000) AS i`, at)
	db.Exec(t, `INSERT INTO support.tickets (id, channel, project, topic, created_at)
SELECT 'b' || i || '-' || k, 'chat', 'shop', 'big-' || lpad(i::text, 3, '0'), $1
FROM generate_series(0, 149) AS i, generate_series(0, i + 1) AS k`, at)
	jsonData, secure = role(t, db, "series", nil)
	d = newInstance(t, jsonData, secure)
	const notice = "showing the top 100 of 3150 topic values by Tickets (total over the range): filter on topic to see the others"

	table := one(ctx, t, d, false, dq("A", `{"metrics":["tickets","closed_tickets"],"groupBy":["topic"]}`, demoFrom, demoTo))
	require.NoError(t, table.Error)
	require.Len(t, table.Frames, 1)
	f := table.Frames[0]
	assert.Equal(t, engine.MaxSeries, f.Rows())
	first, _ := f.Fields[0].ConcreteAt(0)
	last, _ := f.Fields[0].ConcreteAt(f.Rows() - 1)
	assert.Equal(t, []any{"big-050", "big-149"}, []any{first, last})
	assert.Equal(t, []string{notice}, notices(table.Frames))

	series := one(ctx, t, d, false, dq("A", `{"metrics":["tickets"],"groupBy":["time","topic"],"interval":"day","compare":"previous_period"}`, demoFrom, demoTo))
	require.NoError(t, series.Error)
	f = series.Frames[0]
	assert.Equal(t, data.FrameTypeTimeSeriesWide, f.Meta.Type)
	assert.Len(t, f.Fields, 1+3*engine.MaxSeries, "time, then tickets, previous and change of 100 topics")
	assert.Equal(t, []string{notice}, notices(series.Frames))
	figures.add(t, "series cap: 3150 topics -> %d rows (table), %d fields (time series with compare)", table.Frames[0].Rows(), len(f.Fields))
}
