package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/engine"
	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/store"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// testEnv is a fresh database with the canonical schema in public, and the plugin's settings and
// stores pointing at it as the login role.
type testEnv struct {
	t        *testing.T
	db       *pgtest.DB
	settings models.Settings
	stores   *store.Stores
}

// newEnv creates the environment; jsonData overrides settings keys (SPEC 3 names).
func newEnv(t *testing.T, jsonData map[string]any) *testEnv {
	t.Helper()
	db := pgtest.Start(t).NewDatabase(t)
	db.LoadSchema(t, "public")
	return envOn(t, db, jsonData)
}

// envOn builds settings and stores for an existing database.
func envOn(t *testing.T, db *pgtest.DB, jsonData map[string]any) *testEnv {
	t.Helper()
	jd := map[string]any{
		"helpdeskHost":     db.Host + ":" + itoa(db.Port),
		"helpdeskDatabase": db.Name,
		"helpdeskUser":     db.User,
		"helpdeskSslMode":  "disable",
	}
	for k, v := range jsonData {
		jd[k] = v
	}
	raw, err := json.Marshal(jd)
	require.NoError(t, err)
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{JSONData: raw,
		DecryptedSecureJSONData: map[string]string{"helpdeskPassword": db.Password}})
	require.NoError(t, err)
	st, err := store.Open(s)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	return &testEnv{t: t, db: db, settings: s, stores: st}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// exec runs fixture SQL as the superuser.
func (e *testEnv) exec(sql string, args ...any) {
	e.t.Helper()
	e.db.Exec(e.t, sql, args...)
}

// engine returns the engine with "now" fixed.
func (e *testEnv) engine(now time.Time) *engine.Engine {
	return engine.New(e.settings, e.stores.Helpdesk, e.stores.Orders).WithClock(func() time.Time { return now })
}

// query parses a query JSON as the plugin does.
func parse(t *testing.T, js string) models.Query {
	t.Helper()
	q, err := models.ParseQuery(json.RawMessage(js))
	require.NoError(t, err)
	return q
}

var ctx = context.Background()

// ts parses an RFC 3339 instant.
func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
