package store

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supportops/grafana-support-analytics/pkg/models"
	"github.com/supportops/grafana-support-analytics/pkg/testutil/certs"
)

func TestPoolConfig(t *testing.T) {
	st := models.StoreSettings{Host: "db.internal", Port: 6432, Database: "support db", User: "o'brien", Password: "Pw-Config-3", Schema: "public", SSLMode: models.SSLDisable}
	s := models.Settings{MaxOpenConns: 7, QueryTimeout: 30 * time.Second}
	cfg, err := poolConfig("helpdesk", st, s)
	require.NoError(t, err)

	cc := cfg.ConnConfig
	assert.Equal(t, "db.internal", cc.Host)
	assert.Equal(t, uint16(6432), cc.Port)
	assert.Equal(t, "support db", cc.Database)
	assert.Equal(t, "o'brien", cc.User)
	assert.Equal(t, "Pw-Config-3", cc.Password)
	assert.Nil(t, cc.TLSConfig)
	assert.Empty(t, cc.Fallbacks)
	assert.Equal(t, 5*time.Second, cc.ConnectTimeout)
	assert.NotNil(t, cc.BuildContextWatcherHandler)
	assert.Equal(t, map[string]string{
		"application_name": "grafana-support-analytics", "default_transaction_read_only": "on",
		"statement_timeout": "30000", "lock_timeout": "30000",
	}, cc.RuntimeParams)
	assert.Equal(t, int32(7), cfg.MaxConns)
	assert.Equal(t, int32(0), cfg.MinConns)
	assert.Equal(t, 30*time.Minute, cfg.MaxConnLifetime)
	assert.Equal(t, 5*time.Minute, cfg.MaxConnIdleTime)
	assert.Equal(t, 30*time.Second, cfg.HealthCheckPeriod)
	assert.NotContains(t, connString(st), "Pw-Config-3")

	s.QueryTimeout = 2 * time.Second
	cfg, err = poolConfig("helpdesk", st, s)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, cfg.ConnConfig.ConnectTimeout, "connecting never outlasts the query timeout")
}

// handshake runs a TLS handshake of cfg against a server presenting pki's server certificate.
func handshake(t *testing.T, pki certs.PKI, cfg *tls.Config) error {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pki.ServerCert}})
	require.NoError(t, err)
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_ = conn.(*tls.Conn).Handshake()
	}()
	conn, err := net.DialTimeout("tcp", l.Addr().String(), 10*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	return tls.Client(conn, cfg).Handshake()
}

func TestTLSConfigModes(t *testing.T) {
	pki := certs.New(t, "server.example")
	other := certs.New(t, "server.example")
	tests := []struct {
		name    string
		st      models.StoreSettings
		wantErr string // of the handshake; "" accepts
	}{
		{"require trusts any server", models.StoreSettings{Host: "db.internal", SSLMode: "require"}, ""},
		{"require with a CA verifies the chain", models.StoreSettings{Host: "db.internal", SSLMode: "require", TLSCACert: other.CAPEM}, "certificate signed by unknown authority"},
		{"verify-ca ignores the host name", models.StoreSettings{Host: "db.internal", SSLMode: "verify-ca", TLSCACert: pki.CAPEM}, ""},
		{"verify-ca rejects another CA", models.StoreSettings{Host: "db.internal", SSLMode: "verify-ca", TLSCACert: other.CAPEM}, "certificate signed by unknown authority"},
		{"verify-full checks the host name", models.StoreSettings{Host: "db.internal", SSLMode: "verify-full", TLSCACert: pki.CAPEM}, "not db.internal"},
		{"verify-full accepts the right host", models.StoreSettings{Host: "server.example", SSLMode: "verify-full", TLSCACert: pki.CAPEM}, ""},
		{"client certificate", models.StoreSettings{Host: "server.example", SSLMode: "verify-full", TLSCACert: pki.CAPEM, TLSClientCert: pki.ClientPEM, TLSClientKey: pki.ClientKey}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tlsConfig("helpdesk", tt.st)
			require.NoError(t, err)
			require.NotNil(t, cfg)
			err = handshake(t, pki, cfg)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.wantErr)
			}
		})
	}
}

func TestTLSConfigWithoutTLS(t *testing.T) {
	for _, st := range []models.StoreSettings{
		{Host: "db", SSLMode: "disable", TLSCACert: "ignored"},
		{Host: "/var/run/postgresql", SSLMode: "verify-full"},
	} {
		cfg, err := tlsConfig("helpdesk", st)
		require.NoError(t, err)
		assert.Nil(t, cfg)
	}
}

func TestTLSConfigBadPEM(t *testing.T) {
	pki := certs.New(t, "server.example")
	tests := []struct {
		st   models.StoreSettings
		want string
	}{
		{models.StoreSettings{Host: "db", SSLMode: "verify-ca", TLSCACert: "not a certificate"},
			"settings: orders TLS CA certificate is not valid PEM (ordersTlsCACert)"},
		{models.StoreSettings{Host: "db", SSLMode: "require", TLSClientCert: pki.ClientPEM, TLSClientKey: "nope"},
			"settings: orders TLS client certificate or key is not valid PEM (ordersTlsClientCert, ordersTlsClientKey)"},
	}
	for _, tt := range tests {
		_, err := tlsConfig("orders", tt.st)
		require.Error(t, err)
		assert.Equal(t, tt.want, err.Error())
		assert.ErrorIs(t, err, models.ErrSettings)

		s := models.Settings{Helpdesk: tt.st, Orders: tt.st, OrdersUsesHelpdesk: true, MaxOpenConns: 1, QueryTimeout: time.Second}
		s.Helpdesk.Schema = "public"
		_, err = Open(s)
		assert.ErrorIs(t, err, models.ErrSettings, "Open reports it too")
	}
}

func TestPoolConfigIgnoresTheHostEnvironment(t *testing.T) {
	t.Setenv("PGHOST", "elsewhere")
	t.Setenv("PGPASSWORD", "from-env")
	t.Setenv("PGAPPNAME", "other-app")
	t.Setenv("PGOPTIONS", "-c search_path=evil")
	t.Setenv("PGTARGETSESSIONATTRS", "read-write")
	t.Setenv("PGSSLROOTCERT", "/nonexistent/root.crt")
	t.Setenv("PGSSLNEGOTIATION", "direct")
	st := models.StoreSettings{Host: "db.internal", Port: 5432, Database: "d", User: "u", Schema: "public", SSLMode: models.SSLRequire}
	cfg, err := poolConfig("helpdesk", st, models.Settings{MaxOpenConns: 1, QueryTimeout: time.Second})
	require.NoError(t, err, "no file named by the environment is read")

	cc := cfg.ConnConfig
	assert.Equal(t, "db.internal", cc.Host)
	assert.Empty(t, cc.Password, "an empty password stays empty")
	assert.Nil(t, cc.ValidateConnect)
	assert.Empty(t, cc.SSLNegotiation)
	assert.Equal(t, "grafana-support-analytics", cc.RuntimeParams["application_name"])
	assert.NotContains(t, cc.RuntimeParams, "options")
	require.NotNil(t, cc.TLSConfig)
	assert.True(t, cc.TLSConfig.InsecureSkipVerify, "require without a CA does not verify")
}
