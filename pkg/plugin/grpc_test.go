package plugin_test

// The plugin as Grafana runs it: the real executable, started and spoken to over hashicorp's
// go-plugin protocol with the SDK's handshake and gRPC services.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/demo"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

const executable = "gpx_support_analytics"

// pluginClient talks to a running plugin process as Grafana does.
type pluginClient struct {
	logs        *syncBuffer
	diagnostics grpcplugin.DiagnosticsClient
	data        grpcplugin.DataClient
	resource    grpcplugin.ResourceClient
}

// buildPlugin compiles ./pkg into dir, as the build does for Grafana.
func buildPlugin(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, executable)
	cmd := exec.Command("go", "build", "-o", bin, "github.com/supportops/grafana-support-analytics/pkg")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// syncBuffer collects the plugin's log for a failing test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startPlugin builds the executable, starts it and dispenses its gRPC clients. The process is
// killed when t ends; its log is shown when t failed.
func startPlugin(t *testing.T) *pluginClient {
	t.Helper()
	bin := buildPlugin(t, t.TempDir())
	logs := &syncBuffer{}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{grpcplugin.ProtocolVersion: {
			"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
			"resource":    &grpcplugin.ResourceGRPCPlugin{},
			"data":        &grpcplugin.DataGRPCPlugin{},
			"stream":      &grpcplugin.StreamGRPCPlugin{},
		}},
		Cmd:              exec.Command(bin),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: logs, Level: hclog.Debug}),
		StartTimeout:     30 * time.Second,
	})
	t.Cleanup(func() {
		client.Kill()
		if t.Failed() {
			t.Logf("plugin log:\n%s", logs.String())
		}
	})
	rpc, err := client.Client()
	require.NoError(t, err, "start the plugin")
	dispense := func(name string) any {
		raw, err := rpc.Dispense(name)
		require.NoError(t, err, "dispense %s", name)
		return raw
	}
	return &pluginClient{
		logs:        logs,
		diagnostics: dispense("diagnostics").(grpcplugin.DiagnosticsClient),
		data:        dispense("data").(grpcplugin.DataClient),
		resource:    dispense("resource").(grpcplugin.ResourceClient),
	}
}

// Log is what the plugin logged so far.
func (c *pluginClient) Log() string { return c.logs.String() }

// pluginContext is what Grafana sends with each request for a data source instance. The uid is
// derived from the settings: the same settings reach the same cached instance, other settings
// get their own, as when a user saves new ones.
func pluginContext(jsonData map[string]any, secure map[string]string) (*pluginv2.PluginContext, error) {
	raw, err := json.Marshal(jsonData)
	if err != nil {
		return nil, err
	}
	secret, err := json.Marshal(secure)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append(append([]byte{}, raw...), secret...))
	return &pluginv2.PluginContext{
		OrgId:    1,
		PluginId: shippedPluginID,
		DataSourceInstanceSettings: &pluginv2.DataSourceInstanceSettings{
			Id:                      1,
			Uid:                     "ds-" + hex.EncodeToString(sum[:6]),
			Name:                    "Support Analytics",
			JsonData:                raw,
			DecryptedSecureJsonData: secure,
			LastUpdatedMS:           1,
		},
	}, nil
}

// CheckHealth runs "Save & test" for an instance with these settings.
func (c *pluginClient) CheckHealth(ctx context.Context, jsonData map[string]any, secure map[string]string) (*pluginv2.CheckHealthResponse, error) {
	pc, err := pluginContext(jsonData, secure)
	if err != nil {
		return nil, err
	}
	return c.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: pc})
}

// QueryData sends queries (see dataQuery) for an instance with these settings.
func (c *pluginClient) QueryData(ctx context.Context, jsonData map[string]any, secure map[string]string, queries ...*pluginv2.DataQuery) (*pluginv2.QueryDataResponse, error) {
	pc, err := pluginContext(jsonData, secure)
	if err != nil {
		return nil, err
	}
	return c.data.QueryData(ctx, &pluginv2.QueryDataRequest{PluginContext: pc, Queries: queries})
}

// CallResource calls a resource and gathers its streamed answer into one response.
func (c *pluginClient) CallResource(ctx context.Context, jsonData map[string]any, secure map[string]string, method, path string, body []byte) (*pluginv2.CallResourceResponse, error) {
	pc, err := pluginContext(jsonData, secure)
	if err != nil {
		return nil, err
	}
	stream, err := c.resource.CallResource(ctx, &pluginv2.CallResourceRequest{
		PluginContext: pc, Method: method, Path: path, Url: path, Body: body,
	})
	if err != nil {
		return nil, err
	}
	var out *pluginv2.CallResourceResponse
	for {
		part, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if out == nil {
				return nil, errors.New("the resource sent no response")
			}
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = part
			continue
		}
		out.Body = append(out.Body, part.Body...)
	}
}

// dataQuery is one query of a request: model is the query's JSON (refId is added), over [from, to).
func dataQuery(t *testing.T, refID string, model map[string]any, from, to time.Time) *pluginv2.DataQuery {
	t.Helper()
	m := map[string]any{"refId": refID}
	for k, v := range model {
		m[k] = v
	}
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	queryType, _ := m["queryType"].(string)
	return &pluginv2.DataQuery{
		RefId: refID, QueryType: queryType, Json: raw, MaxDataPoints: 1000, IntervalMS: 60_000,
		TimeRange: &pluginv2.TimeRange{FromEpochMS: from.UnixMilli(), ToEpochMS: to.UnixMilli()},
	}
}

// responseFrames decodes the frames of one query's response.
func responseFrames(t *testing.T, r *pluginv2.DataResponse) data.Frames {
	t.Helper()
	frames, err := data.UnmarshalArrowFrames(r.Frames)
	require.NoError(t, err)
	return frames
}

// dbSettings are settings that connect both stores to db (one connection), with the helpdesk
// relations in helpdeskSchema and the order relations in ordersSchema, plus extra jsonData.
func dbSettings(db *pgtest.DB, helpdeskSchema, ordersSchema string, extra map[string]any) (map[string]any, map[string]string) {
	jsonData := map[string]any{
		"helpdeskHost":     db.Host + ":" + strconv.Itoa(db.Port),
		"helpdeskDatabase": db.Name,
		"helpdeskUser":     db.User,
		"helpdeskSchema":   helpdeskSchema,
		"helpdeskSslMode":  "disable",
		"ordersSchema":     ordersSchema,
	}
	for k, v := range extra {
		jsonData[k] = v
	}
	return jsonData, map[string]string{"helpdeskPassword": db.Password}
}

// smallDemo loads a small demo data set into schemas support (helpdesk) and shop (orders).
func smallDemo(t *testing.T, db *pgtest.DB) {
	t.Helper()
	_, err := demo.Load(context.Background(), db.AdminPool, db.AdminPool, demo.Options{
		HelpdeskSchema: "support", OrdersSchema: "shop",
		Size: demo.Size{Customers: 200, Tickets: 400, Orders: 300},
	})
	require.NoError(t, err)
	db.GrantRead(t, "support")
	db.GrantRead(t, "shop")
}

func TestPluginOverGRPC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := startPlugin(t)
	db := pgtest.Start(t).NewDatabase(t)
	smallDemo(t, db)

	t.Run("health OK", func(t *testing.T) {
		jsonData, secure := dbSettings(db, "support", "shop", nil)
		res, err := p.CheckHealth(ctx, jsonData, secure)
		require.NoError(t, err)
		assert.Equal(t, pluginv2.CheckHealthResponse_OK, res.Status, res.Message)
		assert.Regexp(t, `^helpdesk store: PostgreSQL \d+\.\d+, schema support — order store: PostgreSQL \d+\.\d+, schema shop$`, res.Message)
		assert.JSONEq(t, `{"errors":[],"notes":[]}`, string(res.JsonDetails))
	})

	t.Run("health names a missing column", func(t *testing.T) {
		other := pgtest.Start(t).NewDatabase(t)
		other.LoadSchema(t, "support")
		other.LoadSchema(t, "shop")
		other.Exec(t, "ALTER TABLE shop.orders DROP COLUMN status")
		jsonData, secure := dbSettings(other, "support", "shop", nil)
		res, err := p.CheckHealth(ctx, jsonData, secure)
		require.NoError(t, err)
		assert.Equal(t, pluginv2.CheckHealthResponse_ERROR, res.Status)
		assert.Contains(t, res.Message, "order store: relation shop.orders has no column status")
	})

	t.Run("health with a wrong password", func(t *testing.T) {
		jsonData, _ := dbSettings(db, "support", "shop", nil)
		secure := map[string]string{"helpdeskPassword": "Wrong-Pa55-Over-Grpc"}
		res, err := p.CheckHealth(ctx, jsonData, secure)
		require.NoError(t, err)
		assert.Equal(t, pluginv2.CheckHealthResponse_ERROR, res.Status)
		assert.Contains(t, res.Message, "helpdesk store: password authentication failed for user grafana")
		assert.NotContains(t, res.Message, "Wrong-Pa55-Over-Grpc")
		assert.NotContains(t, string(res.JsonDetails), "Wrong-Pa55-Over-Grpc")
	})

	t.Run("health with a closed port", func(t *testing.T) {
		port := pgtest.ClosedPort(t)
		jsonData, secure := dbSettings(db, "support", "shop", map[string]any{"helpdeskHost": "127.0.0.1:" + strconv.Itoa(port)})
		res, err := p.CheckHealth(ctx, jsonData, secure)
		require.NoError(t, err)
		assert.Equal(t, pluginv2.CheckHealthResponse_ERROR, res.Status)
		assert.Contains(t, res.Message, "helpdesk store: cannot connect to 127.0.0.1:"+strconv.Itoa(port)+": connection refused")
		assert.NotContains(t, res.Message, db.Password)
	})

	t.Run("invalid settings answer health and queries", func(t *testing.T) {
		jsonData, secure := dbSettings(db, "support", "shop", map[string]any{"timezone": "Europe/Pariss"})
		res, err := p.CheckHealth(ctx, jsonData, secure)
		require.NoError(t, err)
		assert.Equal(t, pluginv2.CheckHealthResponse_ERROR, res.Status)
		assert.Equal(t, `settings: timezone "Europe/Pariss" is not a known IANA time zone (e.g. Europe/Paris, UTC)`, res.Message)

		to := demo.DefaultEnd
		q, err := p.QueryData(ctx, jsonData, secure, dataQuery(t, "A", map[string]any{"queryType": "metrics", "metrics": []string{"tickets"}}, to.AddDate(0, 0, -7), to))
		require.NoError(t, err)
		assert.Equal(t, res.Message, q.Responses["A"].Error)
	})

	t.Run("every query gets its own response", func(t *testing.T) {
		jsonData, secure := dbSettings(db, "support", "shop", nil)
		to := demo.DefaultEnd
		from := to.AddDate(0, 0, -30)
		res, err := p.QueryData(ctx, jsonData, secure,
			dataQuery(t, "A", map[string]any{"queryType": "metrics", "metrics": []string{"tickets"}}, from, to),
			dataQuery(t, "B", map[string]any{"queryType": "no_such_type"}, from, to),
		)
		require.NoError(t, err)
		require.Len(t, res.Responses, 2)
		assert.Contains(t, res.Responses, "A")
		assert.Contains(t, res.Responses, "B")
		assert.Contains(t, res.Responses["B"].Error, `unknown queryType "no_such_type"`, "a bad query is that query's error alone")
		require.Empty(t, res.Responses["A"].Error)
		assert.NotEmpty(t, responseFrames(t, res.Responses["A"]))
	})

	t.Run("catalog resource", func(t *testing.T) {
		jsonData, secure := dbSettings(db, "support", "shop", nil)
		res, err := p.CallResource(ctx, jsonData, secure, "GET", "catalog", nil)
		require.NoError(t, err)
		assert.Equal(t, int32(200), res.Code)
		var catalog map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(res.Body, &catalog))
		assert.Contains(t, catalog, "metrics")
	})

	// Secrets stay out of the plugin's log too.
	assert.NotContains(t, p.Log(), db.Password)
	assert.NotContains(t, p.Log(), "Wrong-Pa55-Over-Grpc")
}
