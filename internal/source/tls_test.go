package source

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// newClientCert returns a self-signed client certificate and its key, PEM.
func newClientCert(t *testing.T, cn string) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func TestTLSServerVerification(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	srv.Config.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError) // the rejected handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile := writeFile(t, filepath.Join(dir, "ca.crt"), certPEM(srv.Certificate()))
	caDir := filepath.Join(dir, "certs")
	if err := os.Mkdir(caDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(caDir, "1d879c6c.0"), certPEM(srv.Certificate()))
	writeFile(t, filepath.Join(caDir, "junk.pem"), []byte("not a certificate"))
	writeFile(t, filepath.Join(caDir, "README"), []byte("ignored"))

	for _, tt := range []struct {
		name    string
		o       Options
		wantErr string
	}{
		{name: "system pool rejects test CA, no retry", o: Options{}, wantErr: "after 1 attempt: tls: failed to verify certificate"},
		{name: "ca file", o: Options{CAFile: caFile}},
		{name: "ca dir", o: Options{CADir: caDir}},
		{name: "insecure", o: Options{InsecureSkipVerify: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Retries = 3
			c := newTestClient(t, tt.o)
			body, err := c.Do(t.Context(), Request{URL: srv.URL})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Do() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(body) != "ok" {
				t.Fatalf("Do() = %q, %v", body, err)
			}
		})
	}
}

func TestTLSClientCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cert, key := newClientCert(t, "proxy-user")
	caCert, _ := newClientCert(t, "some-ca")
	proxy := append(append(append([]byte{}, cert...), key...), caCert...) // proxy, key, chain
	proxyFile := writeFile(t, filepath.Join(dir, "x509up"), proxy)
	certFile := writeFile(t, filepath.Join(dir, "usercert.pem"), cert)
	keyFile := writeFile(t, filepath.Join(dir, "userkey.pem"), key)

	for name, o := range map[string]Options{
		"proxy file":        {ProxyFile: proxyFile, InsecureSkipVerify: true},
		"cert and key file": {CertFile: certFile, KeyFile: keyFile, InsecureSkipVerify: true},
	} {
		t.Run(name, func(t *testing.T) {
			body, err := newTestClient(t, o).Do(t.Context(), Request{URL: srv.URL})
			if err != nil || string(body) != "proxy-user" {
				t.Fatalf("Do() = %q, %v; want the client certificate sent", body, err)
			}
		})
	}
}

func TestTLSOptionErrors(t *testing.T) {
	dir := t.TempDir()
	cert, _ := newClientCert(t, "x")
	certOnly := writeFile(t, filepath.Join(dir, "cert-only.pem"), cert)
	junk := writeFile(t, filepath.Join(dir, "junk.pem"), []byte("junk"))
	junkDir := filepath.Join(dir, "junkdir")
	if err := os.Mkdir(junkDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(junkDir, "a.pem"), []byte("junk"))
	writeFile(t, filepath.Join(junkDir, "b.0"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	for _, tt := range []struct {
		name    string
		o       Options
		wantErr string
	}{
		{name: "missing ca file", o: Options{CAFile: dir + "/nope.crt"}, wantErr: dir + "/nope.crt"},
		{name: "ca file without certificate", o: Options{CAFile: junk}, wantErr: `ca file "` + junk},
		{name: "missing ca dir", o: Options{CADir: dir + "/nodir"}, wantErr: dir + "/nodir"},
		{name: "ca dir without certificate", o: Options{CADir: junkDir}, wantErr: `ca dir "` + junkDir},
		{name: "proxy without key", o: Options{ProxyFile: certOnly}, wantErr: `proxy file "` + certOnly},
		{name: "missing proxy", o: Options{ProxyFile: dir + "/x509up"}, wantErr: dir + "/x509up"},
		{name: "cert without key", o: Options{CertFile: certOnly}, wantErr: "set together"},
		{name: "proxy and cert", o: Options{ProxyFile: certOnly, CertFile: certOnly, KeyFile: junk}, wantErr: "exclusive"},
		{name: "bad key file", o: Options{CertFile: certOnly, KeyFile: junk}, wantErr: `key file "` + junk},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient("tls", tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), `source "tls": `) {
				t.Fatalf("NewClient() error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
