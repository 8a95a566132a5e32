package plugin_test

// Load scenarios: a burst of concurrent queries through one instance, a hundred settings changes
// through the SDK's instance manager, and the heap on the longest allowed range. They run alone
// (not in parallel with other tests): they count goroutines, sessions and heap bytes.

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/plugin"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// sampler counts the plugin's sessions on db every few milliseconds until stopped.
type sampler struct {
	max, samples atomic.Int64
	stop         chan struct{}
	done         sync.WaitGroup
}

func sampleSessions(t *testing.T, db *pgtest.DB) *sampler {
	s := &sampler{stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		for {
			var n int64
			if err := db.AdminPool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
WHERE datname = $1 AND application_name = $2`, db.Name, applicationName).Scan(&n); err == nil {
				s.samples.Add(1)
				if n > s.max.Load() {
					s.max.Store(n)
				}
			}
			select {
			case <-s.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return s
}

func (s *sampler) finish() (max, samples int64) {
	close(s.stop)
	s.done.Wait()
	return s.max.Load(), s.samples.Load()
}

// stableGoroutines is the goroutine count once it stopped changing (three equal counts 50 ms apart,
// at most 5 s).
func stableGoroutines() int {
	n, same := runtime.NumGoroutine(), 0
	_, _ = waitFor(5*time.Second, func() bool {
		time.Sleep(40 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			same++
		} else {
			n, same = m, 0
		}
		return same >= 2
	})
	return n
}

// settledGoroutines waits until the goroutine count is at most limit (background goroutines of
// finished work take a moment to end) and returns it.
func settledGoroutines(limit int) int {
	n := runtime.NumGoroutine()
	_, _ = waitFor(10*time.Second, func() bool {
		n = runtime.NumGoroutine()
		return n <= limit
	})
	return n
}

// goroutineSlack is what may differ between two counts without a leak (the runtime's and the
// test framework's own goroutines come and go); a leak per query would be a hundred.
const goroutineSlack = 5

// loadQueries are the varied queries of the burst: every metric family, both stores, tables.
var loadQueries = []string{
	`{"metrics":["tickets","closed_tickets"],"groupBy":["time"],"interval":"day"}`,
	`{"metrics":["first_response_seconds_p50","resolution_seconds_p90"],"groupBy":["channel"]}`,
	`{"metrics":["csat","responses"],"groupBy":["agent"]}`,
	`{"metrics":["revenue","orders","average_order_value"],"groupBy":["time","currency"]}`,
	`{"metrics":["attributed_revenue","ticket_conversion_rate"],"groupBy":["segment"]}`,
	`{"metrics":["new_customers","returning_customer_revenue"]}`,
	`{"metrics":["items_sold"],"groupBy":["product"]}`,
	`{"queryType":"tickets","limit":20}`,
	`{"queryType":"top_products","limit":5}`,
	`{"queryType":"variable","dimension":"topic"}`,
}

// Scenario 7: 100 concurrent queries through one instance are all answered, never with more
// sessions than maxOpenConns, and leave no goroutine behind.
func testConcurrentQueries(t *testing.T, demo *pgtest.DB) {
	ctx := context.Background()
	const maxConns, burst = 4, 100
	jsonData, secure := role(t, demo, "burst", map[string]any{"maxOpenConns": maxConns})
	d := newInstance(t, jsonData, secure)
	require.NoError(t, one(ctx, t, d, false, dq("warm", loadQueries[0], demoFrom, demoTo)).Error)
	before := stableGoroutines()

	s := sampleSessions(t, demo)
	responses := make([]*backend.QueryDataResponse, burst)
	errs := make([]error, burst)
	var wg sync.WaitGroup
	elapsed := timed(func() {
		for i := range burst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Ranges differ so that the read cache cannot answer most of them; every other
				// query comes from an alert rule, which reads the stores directly.
				from := demoTo.AddDate(0, 0, -7-i%40)
				req := &backend.QueryDataRequest{Queries: []backend.DataQuery{dq("Q"+strconv.Itoa(i), loadQueries[i%len(loadQueries)], from, demoTo)}}
				if i%2 == 1 {
					req.Headers = map[string]string{"FromAlert": "true"}
				}
				responses[i], errs[i] = d.QueryData(ctx, req)
			}()
		}
		wg.Wait()
	})
	maxSeen, samples := s.finish()
	for i, resp := range responses {
		require.NoError(t, errs[i])
		seen.response(t, resp)
		r := resp.Responses["Q"+strconv.Itoa(i)]
		assert.NoError(t, r.Error, "query %d", i)
		assert.NotEmpty(t, r.Frames, "query %d", i)
	}
	assert.LessOrEqual(t, maxSeen, int64(maxConns), "sessions per store never above maxOpenConns")
	assert.Positive(t, samples)
	after := settledGoroutines(before + goroutineSlack)
	assert.LessOrEqual(t, after, before+goroutineSlack, "goroutines after the burst")
	figures.add(t, "%d concurrent queries answered in %s; at most %d sessions seen (maxOpenConns %d, %d samples); goroutines %d before, %d after",
		burst, ms(elapsed), maxSeen, maxConns, samples, before, after)
}

// Scenario 7: 100 settings changes through the SDK's instance manager, which builds a new instance
// for new settings and disposes the old one a few seconds later: the old pools close, and the
// sessions and goroutines come back to where they were.
func testSettingsChanges(t *testing.T, demo *pgtest.DB) {
	ctx := context.Background()
	const changes = 100
	jsonData, secure := role(t, demo, "changes", map[string]any{"maxOpenConns": 2})
	// The instances of earlier scenarios on this database are disposed: their sessions are closing.
	_, ok := waitFor(10*time.Second, func() bool { return sessions(t, demo, false) == 0 })
	require.True(t, ok, "baseline: no session of the plugin")
	im := instancemgmt.New(datasource.NewInstanceProvider(plugin.NewDatasource))
	before := stableGoroutines()
	s := sampleSessions(t, demo)

	var last instancemgmt.Instance
	elapsed := timed(func() {
		for i := range changes {
			jsonData["maxRangeDays"] = 100 + i
			raw, err := json.Marshal(jsonData)
			require.NoError(t, err)
			pc := backend.PluginContext{OrgID: 1, PluginID: shippedPluginID, DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
				ID: 1, UID: "fault-changes", Name: "Support Analytics", JSONData: raw, DecryptedSecureJSONData: secure,
				Updated: time.Unix(1_700_000_000+int64(i), 0),
			}}
			inst, err := im.Get(ctx, pc)
			require.NoError(t, err)
			require.True(t, inst != last, "new settings, new instance")
			last = inst
			r := one(ctx, t, inst.(backend.QueryDataHandler), false, dq("A", `{"metrics":["tickets"]}`, demoTo.AddDate(0, 0, -1), demoTo))
			require.NoError(t, r.Error, "change %d", i)
		}
	})
	// The manager disposes each replaced instance 5 s after its replacement; only the last stays.
	settled, ok := waitFor(20*time.Second, func() bool { return sessions(t, demo, false) <= 2 })
	assert.True(t, ok, "the replaced instances' sessions closed: %d left", sessions(t, demo, false))
	peak, _ := s.finish()
	last.(instancemgmt.InstanceDisposer).Dispose()
	closed, ok := waitFor(10*time.Second, func() bool { return sessions(t, demo, false) == 0 })
	assert.True(t, ok, "back to the baseline of no session")
	after := settledGoroutines(before + goroutineSlack)
	assert.LessOrEqual(t, after, before+goroutineSlack, "goroutines after the changes")
	figures.add(t, "%d settings changes in %s, at most %d sessions open meanwhile; old instances closed %s after the last change, the last %s after its Dispose; goroutines %d before, %d after",
		changes, ms(elapsed), peak, ms(settled), ms(closed), before, after)
}

// Scenario 8: the heap stays bounded for the longest range the default settings allow (732 days)
// over the demo store (2,000 customers, 6,000 tickets, 5,000 orders, 13 months).
func testMemoryOnLongestRange(t *testing.T, srv *pgtest.Server) {
	ctx := context.Background()
	db := srv.NewDatabase(t)
	_, err := demo.Load(ctx, db.AdminPool, db.AdminPool, demo.Options{HelpdeskSchema: "support", OrdersSchema: "shop"})
	require.NoError(t, err)
	jsonData, secure := role(t, db, "memory", nil)
	to := demo.DefaultEnd
	from := to.AddDate(0, 0, -732)
	queries := []backend.DataQuery{
		dq("A", `{"metrics":["tickets","closed_tickets","first_response_seconds_p90","csat","responses"],"groupBy":["time","channel"],"interval":"day"}`, from, to),
		dq("B", `{"metrics":["revenue","orders","new_customers","attributed_revenue","ticket_conversion_rate"],"groupBy":["time"],"interval":"day","compare":"previous_period"}`, from.AddDate(0, 0, 1), to),
		dq("C", `{"metrics":["tickets","csat"],"groupBy":["tag","segment"]}`, from, to),
	}

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var held uint64
	var elapsed time.Duration
	func() {
		raw, err := json.Marshal(jsonData)
		require.NoError(t, err)
		inst, err := plugin.NewDatasource(ctx, backend.DataSourceInstanceSettings{JSONData: raw, DecryptedSecureJSONData: secure})
		require.NoError(t, err)
		d := inst.(*plugin.Datasource)
		defer d.Dispose()
		elapsed = timed(func() {
			for ref, r := range run(ctx, t, d, false, queries...).Responses {
				require.NoError(t, r.Error, ref)
			}
		})
		held = heap()
	}()
	close(stop)
	wg.Wait()
	released := heap()
	mib := func(after uint64) string {
		if after < base {
			return "-" + fmt.Sprintf("%.1f MiB", float64(base-after)/(1<<20))
		}
		return fmt.Sprintf("%.1f MiB", float64(after-base)/(1<<20))
	}
	assert.Less(t, released, base+16<<20, "the instance's memory is released with it")
	figures.add(t, "732-day queries (3 panels, days x channels, compare, tag x segment) in %s: heap +%s at peak, +%s held by the live instance (read cache), %s after it is gone",
		ms(elapsed), mib(peak.Load()), mib(held), mib(released))
}
