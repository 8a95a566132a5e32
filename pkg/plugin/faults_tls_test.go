package plugin_test

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/testutil/certs"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/pgtest"
)

// enableTLS turns TLS on in a private cluster with pki's server certificate: the files go to the
// cluster's own directory, the settings through ALTER SYSTEM and a reload.
func enableTLS(t *testing.T, srv *pgtest.Server, db *pgtest.DB, pki certs.PKI) {
	t.Helper()
	crt, key := filepath.Join(srv.SocketDir, "server.crt"), filepath.Join(srv.SocketDir, "server.key")
	require.NoError(t, os.WriteFile(crt, []byte(pki.ServerPEM), 0o644))
	require.NoError(t, os.WriteFile(key, []byte(pki.ServerKey), 0o600))
	if os.Geteuid() == 0 { // pgtest runs the server as postgres: the key must be its own
		pg, err := user.Lookup("postgres")
		require.NoError(t, err)
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		for _, f := range []string{crt, key} {
			require.NoError(t, os.Chown(f, uid, gid))
		}
	}
	for _, sql := range []string{
		"ALTER SYSTEM SET ssl_cert_file = '" + crt + "'",
		"ALTER SYSTEM SET ssl_key_file = '" + key + "'",
		"ALTER SYSTEM SET ssl = on",
		"SELECT pg_reload_conf()",
	} {
		db.Exec(t, sql)
	}
	_, on := waitFor(10*time.Second, func() bool {
		var ssl string
		return db.AdminPool.QueryRow(context.Background(), "SHOW ssl").Scan(&ssl) == nil && ssl == "on"
	})
	require.True(t, on, "ssl is on after the reload")
}

// Scenario 10: verify-full against a server whose certificate the test made, the CA given as
// settings content; a wrong CA or host name fails with a message that says what to check.
func testTLS(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.StartPrivate(t)
	db := srv.NewDatabase(t)
	db.LoadSchema(t, "support")
	db.LoadSchema(t, "shop")
	pki := certs.New(t, "127.0.0.1")
	enableTLS(t, srv, db, pki)
	seen.watch(pki.ClientKey)

	jsonData, secure := role(t, db, "tls", map[string]any{"helpdeskSslMode": "verify-full"})
	secure["helpdeskTlsCACert"] = pki.CAPEM
	secure["helpdeskTlsClientCert"], secure["helpdeskTlsClientKey"] = pki.ClientPEM, pki.ClientKey
	d := newInstance(t, jsonData, secure)
	res := health(ctx, t, d)
	assert.Equal(t, backend.HealthStatusOk, res.Status, res.Message)
	rows, err := d.Stores().Helpdesk.Query(ctx, `SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)
	require.NoError(t, err)
	var ssl bool
	var version string
	require.True(t, rows.Next())
	require.NoError(t, rows.Scan(&ssl, &version))
	rows.Close()
	assert.True(t, ssl, "the plugin's session is encrypted")
	assert.NoError(t, one(ctx, t, d, false, dq("A", `{"metrics":["tickets"]}`, demoFrom, demoTo)).Error)
	figures.add(t, "verify-full with the CA as settings content: health OK over %s", version)

	addr := "127.0.0.1:" + strconv.Itoa(db.Port)
	for _, c := range []struct {
		name, host, ca, want string
	}{
		{"another CA", "127.0.0.1", certs.New(t, "127.0.0.1").CAPEM,
			"helpdesk store: cannot connect to " + addr + ": TLS certificate rejected: x509: certificate signed by unknown authority (check helpdeskSslMode and helpdeskTlsCACert)"},
		{"another host name", "localhost", pki.CAPEM,
			"helpdesk store: cannot connect to localhost:" + strconv.Itoa(db.Port) + ": TLS certificate rejected: x509: certificate is not valid for any names, but wanted to match localhost (check helpdeskSslMode and helpdeskTlsCACert)"},
	} {
		jd := map[string]any{}
		for k, v := range jsonData {
			jd[k] = v
		}
		jd["helpdeskHost"] = c.host + ":" + strconv.Itoa(db.Port)
		sec := map[string]string{}
		for k, v := range secure {
			sec[k] = v
		}
		sec["helpdeskTlsCACert"] = c.ca
		d := newInstance(t, jd, sec)
		res := health(ctx, t, d)
		assert.Equal(t, backend.HealthStatusError, res.Status, c.name)
		assert.Contains(t, res.Message, c.want, c.name)
		r := one(ctx, t, d, false, dq("A", `{"metrics":["tickets"]}`, demoFrom, demoTo))
		require.Error(t, r.Error, c.name)
		assert.Contains(t, r.Error.Error(), c.want, c.name)
	}
}
