package plugin_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
