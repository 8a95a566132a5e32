// Package certs makes throw-away X.509 material for TLS tests: a CA, a server certificate for
// given host names or IP addresses, and a client certificate, all valid for an hour.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// PKI is a CA with a server and a client certificate it signed, as PEM.
type PKI struct {
	CAPEM                string
	ServerPEM, ServerKey string // for the hosts given to New
	ClientPEM, ClientKey string
	ServerCert           tls.Certificate
}

// New makes a PKI whose server certificate is valid for hosts (DNS names or IP addresses).
func New(tb testing.TB, hosts ...string) PKI {
	tb.Helper()
	caKey := newKey(tb)
	// A name of its own: two CAs of one test are told apart, in x509's messages too.
	caTmpl := template(1, "test CA "+rand.Text()[:8])
	caTmpl.IsCA, caTmpl.BasicConstraintsValid, caTmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	check(tb, err)
	ca, err := x509.ParseCertificate(caDER)
	check(tb, err)

	leaf := func(serial int64, usage x509.ExtKeyUsage, hosts []string) (certPEM, keyPEM string) {
		key := newKey(tb)
		tmpl := template(serial, "leaf")
		tmpl.ExtKeyUsage, tmpl.KeyUsage = []x509.ExtKeyUsage{usage}, x509.KeyUsageDigitalSignature
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		check(tb, err)
		keyDER, err := x509.MarshalECPrivateKey(key)
		check(tb, err)
		return encode("CERTIFICATE", der), encode("EC PRIVATE KEY", keyDER)
	}
	p := PKI{CAPEM: encode("CERTIFICATE", caDER)}
	p.ServerPEM, p.ServerKey = leaf(2, x509.ExtKeyUsageServerAuth, hosts)
	p.ClientPEM, p.ClientKey = leaf(3, x509.ExtKeyUsageClientAuth, nil)
	p.ServerCert, err = tls.X509KeyPair([]byte(p.ServerPEM), []byte(p.ServerKey))
	check(tb, err)
	return p
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(tb, err)
	return key
}

func template(serial int64, name string) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
}

func encode(kind string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}))
}

func check(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("certs: %v", err)
	}
}
