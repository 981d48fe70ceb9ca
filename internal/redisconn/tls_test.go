package redisconn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/redisconn"
	"github.com/vodq/vodq/internal/redistest"
)

// trustedCA signs the certificates of the TLS tests' servers. TestMain
// makes Go trust it through SSL_CERT_FILE, which is how an operator makes
// vodq trust a private CA: there is no VODQ_* setting for it.
var trustedCA *authority

func TestMain(m *testing.M) {
	// go-redis logs each failed dial; the tests that provoke them check the
	// errors themselves.
	redis.SetLogger(quiet{})
	os.Exit(runWithTrustedCA(m))
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func runWithTrustedCA(m *testing.M) int {
	dir, err := os.MkdirTemp("", "redisconn-ca-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "make a directory for the test CA:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	trustedCA, err = newAuthority("vodq test CA")
	if err == nil {
		err = writePEM(filepath.Join(dir, "ca.pem"), "CERTIFICATE", trustedCA.cert.Raw)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "make the test CA:", err)
		return 1
	}
	// Go reads the system roots once, on first use, which comes later.
	os.Setenv("SSL_CERT_FILE", filepath.Join(dir, "ca.pem"))
	return m.Run()
}

func TestOpenSpeaksTLSToAServerItTrusts(t *testing.T) {
	t.Parallel()
	skipWithoutTLS(t)
	srv, tlsAddr := startTLS(t, trustedCA)
	ctx := context.Background()
	err := srv.Client(t).Do(ctx, "ACL", "SETUSER", "vodq", "on", ">tls-password", "~*", "+@all").Err()
	if err != nil {
		t.Fatalf("create ACL user: %v", err)
	}

	rdb := mustOpen(t, config.Redis{URL: "rediss://vodq:tls-password@" + tlsAddr + "/0"})
	if err := redisconn.Ping(ctx, rdb, 5*time.Second); err != nil {
		t.Fatalf("ping over TLS as an ACL user: %v", err)
	}
	if err := rdb.Set(ctx, "vodq:tls", "ok", time.Minute).Err(); err != nil {
		t.Errorf("write over TLS: %v", err)
	}

	// The TLS port speaks nothing but TLS.
	plain := mustOpen(t, config.Redis{URL: "redis://vodq:tls-password@" + tlsAddr + "/0"})
	if err := redisconn.Ping(ctx, plain, 2*time.Second); err == nil {
		t.Errorf("a plain redis:// URL reached the TLS port; the test server is not using TLS")
	}
}

func TestOpenRefusesAServerItDoesNotTrust(t *testing.T) {
	t.Parallel()
	skipWithoutTLS(t)
	stranger, err := newAuthority("unknown CA")
	if err != nil {
		t.Fatal(err)
	}
	_, tlsAddr := startTLS(t, stranger)

	rdb := mustOpen(t, config.Redis{URL: "rediss://" + tlsAddr + "/0"})
	err = redisconn.Ping(context.Background(), rdb, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("ping a server whose certificate no trusted CA signed: error %v, "+
			"want a certificate error", err)
	}
}

// skipWithoutTLS skips a test when redis-server was built without TLS.
func skipWithoutTLS(t *testing.T) {
	t.Helper()
	bin := redistest.Binary()
	if bin == "" {
		t.Fatal("redis-server not found on PATH: install the Debian package redis-server")
	}
	// With both ports 0 a TLS build exits at once; others refuse the directive.
	probe := exec.Command(bin, "--port", "0", "--tls-port", "0", "--save", "", "--appendonly", "no")
	out, _ := probe.CombinedOutput()
	if strings.Contains(string(out), "Bad directive") {
		t.Skip("redis-server was built without TLS support")
	}
}

// startTLS starts a redis-server with a TLS port whose certificate ca
// signed for 127.0.0.1, and returns it with the TLS port's address. The
// plain port (srv.Addr) stays open for the test's own setup.
func startTLS(t *testing.T, ca *authority) (*redistest.Server, string) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, err := ca.issue(dir, "127.0.0.1")
	if err != nil {
		t.Fatalf("issue a server certificate: %v", err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := writePEM(caFile, "CERTIFICATE", ca.cert.Raw); err != nil {
		t.Fatal(err)
	}
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t, "--tls-port", strconv.Itoa(port), "--tls-cert-file", certFile,
		"--tls-key-file", keyFile, "--tls-ca-cert-file", caFile, "--tls-auth-clients", "no")
	return srv, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// authority is a certificate authority made for one test run.
type authority struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newAuthority(name string) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority{key: key, cert: cert}, nil
}

// issue writes a server certificate for the IP address ip and its key into
// dir, and returns their paths.
func (a *authority) issue(dir, ip string) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: ip},
		IPAddresses:  []net.IP{net.ParseIP(ip)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	if err := writePEM(certFile, "CERTIFICATE", der); err != nil {
		return "", "", err
	}
	return certFile, keyFile, writePEM(keyFile, "EC PRIVATE KEY", keyDER)
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}
