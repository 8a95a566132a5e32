package plugin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/plugin"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// newInstance builds an instance as Grafana does, disposed when t ends.
func newInstance(t *testing.T, jsonData map[string]any, secure map[string]string) *plugin.Datasource {
	t.Helper()
	raw, err := json.Marshal(jsonData)
	require.NoError(t, err)
	inst, err := plugin.NewDatasource(context.Background(), backend.DataSourceInstanceSettings{
		UID: "ds", Name: "Support Analytics", JSONData: raw, DecryptedSecureJSONData: secure,
	})
	require.NoError(t, err, "the factory never fails")
	t.Cleanup(inst.(instancemgmt.InstanceDisposer).Dispose)
	return inst.(*plugin.Datasource)
}

func TestInvalidSettingsAnswerEveryQuery(t *testing.T) {
	tests := []struct {
		name     string
		jsonData map[string]any
		secure   map[string]string
		want     string
	}{
		{"missing host", map[string]any{"helpdeskUser": "u"}, nil, "settings: helpdeskHost is required"},
		{"bad schema", map[string]any{"helpdeskHost": "db", "helpdeskUser": "u", "helpdeskSchema": "a;b"}, nil,
			`settings: helpdeskSchema "a;b" is not a valid schema name: use letters, digits, _ and - (at most 63 bytes)`},
		{"bad certificate", map[string]any{"helpdeskHost": "db", "helpdeskUser": "u", "helpdeskSslMode": "verify-ca"},
			map[string]string{"helpdeskTlsCACert": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"},
			"settings: helpdesk TLS CA certificate is not valid PEM (helpdeskTlsCACert)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			d := newInstance(t, tt.jsonData, tt.secure)
			require.Error(t, d.SettingsError())
			assert.Equal(t, tt.want, d.SettingsError().Error())
			assert.Nil(t, d.Stores())

			health, err := d.CheckHealth(ctx, &backend.CheckHealthRequest{})
			require.NoError(t, err)
			assert.Equal(t, backend.HealthStatusError, health.Status)
			assert.Equal(t, tt.want, health.Message)

			resp, err := d.QueryData(ctx, &backend.QueryDataRequest{Queries: []backend.DataQuery{
				{RefID: "A", JSON: []byte(`{"queryType":"metrics","metrics":["tickets"]}`)},
				{RefID: "B", JSON: []byte(`{}`)},
			}})
			require.NoError(t, err)
			for _, ref := range []string{"A", "B"} {
				require.Error(t, resp.Responses[ref].Error, ref)
				assert.Equal(t, tt.want, resp.Responses[ref].Error.Error())
				assert.Equal(t, backend.ErrorSourceDownstream, resp.Responses[ref].ErrorSource)
			}
		})
	}
}

func TestDatasourceExposesSettingsAndStores(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	jsonData, secure := dbSettings(db, "support", "shop", map[string]any{"currency": "EUR", "maxOpenConns": "3"})
	d := newInstance(t, jsonData, secure)
	require.NoError(t, d.SettingsError())
	assert.Equal(t, "EUR", d.Settings().Currency)
	assert.Equal(t, 3, d.Settings().MaxOpenConns)
	assert.Equal(t, "support", d.Stores().Helpdesk.Schema())
	assert.Equal(t, "shop", d.Stores().Orders.Schema())
}

func TestDisposeClosesThePools(t *testing.T) {
	db := pgtest.Start(t).NewDatabase(t)
	jsonData, secure := dbSettings(db, "public", "public", nil)
	raw, err := json.Marshal(jsonData)
	require.NoError(t, err)
	inst, err := plugin.NewDatasource(context.Background(), backend.DataSourceInstanceSettings{JSONData: raw, DecryptedSecureJSONData: secure})
	require.NoError(t, err)
	d := inst.(*plugin.Datasource)

	rows, err := d.Stores().Helpdesk.Query(context.Background(), "SELECT 1")
	require.NoError(t, err)
	rows.Close()
	d.Dispose()
	_, err = d.Stores().Orders.Query(context.Background(), "SELECT 1")
	assert.ErrorContains(t, err, "closed pool")
}

func TestCatalogResourceWorksWithoutStores(t *testing.T) {
	d := newInstance(t, map[string]any{}, nil)
	var got *backend.CallResourceResponse
	err := d.CallResource(context.Background(), &backend.CallResourceRequest{Method: "GET", Path: "catalog"},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { got = r; return nil }))
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, 200, got.Status)
}

// levelLog records the level of every line logged through it.
type levelLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *levelLog) add(level, msg string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+" "+msg+" "+fmt.Sprint(args...))
}

func (l *levelLog) Debug(msg string, args ...any)          { l.add("debug", msg, args...) }
func (l *levelLog) Info(msg string, args ...any)           { l.add("info", msg, args...) }
func (l *levelLog) Warn(msg string, args ...any)           { l.add("warn", msg, args...) }
func (l *levelLog) Error(msg string, args ...any)          { l.add("error", msg, args...) }
func (l *levelLog) With(...any) log.Logger                 { return l }
func (l *levelLog) Level() log.Level                       { return log.Debug }
func (l *levelLog) FromContext(context.Context) log.Logger { return l }
func (l *levelLog) at(level string) (out []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.HasPrefix(line, level+" ") {
			out = append(out, line)
		}
	}
	return out
}

// queryHandler is a full SDK handler that answers QueryData only.
type queryHandler struct {
	backend.BaseHandler
	q backend.QueryDataHandler
}

func (h queryHandler) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	return h.q.QueryData(ctx, req)
}

// A query the browser cancelled is not an error in the plugin's log: the SDK's request log (one of
// the middlewares every plugin runs behind) records it at info level as cancelled. A query that
// fails still logs an error, so the log shows what went wrong.
func TestCancelledRequestIsNotLoggedAsError(t *testing.T) {
	ds := demoInstance(t, pgtest.Start(t), demo.Size{Customers: 100, Tickets: 300, Orders: 150})
	logs := &levelLog{}
	h := backend.NewLoggerMiddleware(logs, nil).CreateHandlerMiddleware(&queryHandler{q: ds})
	queries := []backend.DataQuery{
		storedQuery(t, json.RawMessage(`{"refId":"A","queryType":"metrics","metrics":["tickets"]}`), demo.DefaultEnd.AddDate(0, 0, -7), demo.DefaultEnd),
		storedQuery(t, json.RawMessage(`{"refId":"B","queryType":"tickets"}`), demo.DefaultEnd.AddDate(0, 0, -7), demo.DefaultEnd),
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp, err := h.QueryData(ctx, &backend.QueryDataRequest{Queries: queries})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, resp)
	assert.Empty(t, logs.at("error"), "a cancelled request logs no error")
	assert.NotEmpty(t, logs.at("info"), "the request log still records the request")
	assert.Contains(t, strings.Join(logs.at("info"), "\n"), "cancelled")

	// The same log does record a failing query at error level: the harness can see errors.
	bad := storedQuery(t, json.RawMessage(`{"refId":"C","queryType":"metrics","metrics":["no_such_metric"]}`), demo.DefaultEnd.AddDate(0, 0, -7), demo.DefaultEnd)
	resp, err = h.QueryData(context.Background(), &backend.QueryDataRequest{Queries: append(queries, bad)})
	require.NoError(t, err)
	require.NoError(t, resp.Responses["A"].Error)
	require.NoError(t, resp.Responses["B"].Error)
	require.Error(t, resp.Responses["C"].Error)
	assert.NotEmpty(t, logs.at("error"))
}
