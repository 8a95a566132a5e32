package store

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/supportops/grafana-support-analytics/pkg/models"
)

const (
	applicationName = "grafana-support-analytics"
	maxConnLifetime = 30 * time.Minute
	maxConnIdleTime = 5 * time.Minute
	healthCheck     = 30 * time.Second
	maxConnect      = 5 * time.Second
	// cancelDeadlineDelay gives the server's reply to a cancel request time to arrive before the
	// socket is cut, so the connection usually survives a cancelled query.
	cancelDeadlineDelay = time.Second
)

// poolConfig builds the pool of one store. prefix ("helpdesk"/"orders") names the settings keys.
func poolConfig(prefix string, st models.StoreSettings, s models.Settings) (*pgxpool.Config, error) {
	tlsCfg, err := tlsConfig(prefix, st)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(connString(st))
	if err != nil {
		// The string holds no secret; still, show only the settings the user can fix.
		return nil, backend.DownstreamError(fmt.Errorf("%w: %s connection settings are not valid", models.ErrSettings, prefix))
	}
	cc := cfg.ConnConfig
	cc.Password = st.Password
	cc.TLSConfig = tlsCfg
	// Environment variables and defaults of the Grafana host must not leak into the connection.
	cc.Fallbacks = nil
	cc.ValidateConnect = nil
	cc.SSLNegotiation = ""
	cc.KerberosSrvName, cc.KerberosSpn = "", ""
	cc.ConnectTimeout = min(maxConnect, s.QueryTimeout)
	cc.RuntimeParams = map[string]string{
		"application_name":              applicationName,
		"default_transaction_read_only": "on",
		"statement_timeout":             strconv.FormatInt(s.QueryTimeout.Milliseconds(), 10),
		"lock_timeout":                  strconv.FormatInt(s.QueryTimeout.Milliseconds(), 10),
	}
	// Cancelling a request's ctx sends PostgreSQL a cancel request, so the statement stops on the
	// server too instead of running on after Grafana gave up.
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelDeadlineDelay}
	}
	cfg.MaxConns = int32(s.MaxOpenConns)
	cfg.MinConns = 0
	cfg.MaxConnLifetime = maxConnLifetime
	cfg.MaxConnIdleTime = maxConnIdleTime
	cfg.HealthCheckPeriod = healthCheck
	return cfg, nil
}

// connString holds only validated, quoted fields, never the password (parse errors would show
// it). TLS is configured separately: sslmode=disable only stops pgconn from building its own.
// The empty file settings stop pgconn from reading ~/.pgpass and ~/.postgresql certificates of
// the Grafana host (the plugin takes nothing from the host's files or environment).
func connString(st models.StoreSettings) string {
	quote := func(v string) string {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
	}
	return strings.Join([]string{
		"host=" + quote(st.Host),
		"port=" + strconv.Itoa(int(st.Port)),
		"dbname=" + quote(st.Database),
		"user=" + quote(st.User),
		"sslmode=disable",
		"passfile=''", "sslrootcert=''", "sslcert=''", "sslkey=''",
	}, " ")
}

// tlsConfig follows libpq's sslmode semantics with certificates given as PEM content.
func tlsConfig(prefix string, st models.StoreSettings) (*tls.Config, error) {
	if st.SSLMode == models.SSLDisable || strings.HasPrefix(st.Host, "/") {
		return nil, nil // unix sockets never use TLS
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if st.TLSClientCert != "" || st.TLSClientKey != "" {
		cert, err := tls.X509KeyPair([]byte(st.TLSClientCert), []byte(st.TLSClientKey))
		if err != nil {
			return nil, tlsError("%s TLS client certificate or key is not valid PEM (%sTlsClientCert, %sTlsClientKey)", prefix, prefix, prefix)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if st.TLSCACert != "" {
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM([]byte(st.TLSCACert)) {
			return nil, tlsError("%s TLS CA certificate is not valid PEM (%sTlsCACert)", prefix, prefix)
		}
	}
	switch {
	case st.SSLMode == models.SSLVerifyFull:
		cfg.ServerName = st.Host
	case st.SSLMode == models.SSLVerifyCA || st.TLSCACert != "":
		// As libpq: "require" with a CA behaves like verify-ca.
		cfg.InsecureSkipVerify = true
		cfg.VerifyPeerCertificate = verifyChain(cfg.RootCAs)
	default:
		cfg.InsecureSkipVerify = true
	}
	return cfg, nil
}

func tlsError(format string, args ...any) error {
	return backend.DownstreamError(fmt.Errorf("%w: %s", models.ErrSettings, fmt.Sprintf(format, args...)))
}

// verifyChain checks the server's chain against roots (nil: the system's) without the host name.
func verifyChain(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return fmt.Errorf("the server sent no TLS certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, der := range raw {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return err
			}
			certs[i] = c
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := certs[0].Verify(opts)
		return err
	}
}

// spareSessions reports whether one read may take a second session of the pool at once: when the
// pool allows more than two (maxOpenConns).
func (s *Store) spareSessions() bool { return s.pool.Stat().MaxConns() > 2 }
