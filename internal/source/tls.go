package source

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxPEMFile caps every certificate, key or CA file read: real ones are a
// few kB, a CA bundle a few hundred.
const maxPEMFile = 8 << 20

// buildTLS turns the TLS options into a tls.Config. Errors name the option
// and the file.
func buildTLS(o Options) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipVerify} //nolint:gosec // opt-in
	cert, err := clientCert(o)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		conf.Certificates = []tls.Certificate{*cert}
	}
	if o.CAFile == "" && o.CADir == "" {
		return conf, nil // the system pool
	}
	pool := x509.NewCertPool()
	if o.CAFile != "" {
		pem, err := readPEMFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca file %q: no PEM certificate found", o.CAFile)
		}
	}
	if o.CADir != "" {
		if err := addCADir(pool, o.CADir); err != nil {
			return nil, err
		}
	}
	conf.RootCAs = pool
	return conf, nil
}

// clientCert loads the client certificate from CertFile+KeyFile or from
// ProxyFile (nil when none is set).
func clientCert(o Options) (*tls.Certificate, error) {
	switch {
	case o.ProxyFile != "" && (o.CertFile != "" || o.KeyFile != ""):
		return nil, errors.New("proxy file and cert/key files are exclusive")
	case (o.CertFile == "") != (o.KeyFile == ""):
		return nil, errors.New("cert file and key file must be set together")
	case o.ProxyFile != "":
		pem, err := readPEMFile(o.ProxyFile)
		if err != nil {
			return nil, fmt.Errorf("proxy file: %w", err)
		}
		// X509KeyPair takes the CERTIFICATE blocks of its first argument
		// (proxy first, then the chain) and the first PRIVATE KEY block of
		// its second, so the one file serves as both.
		cert, err := tls.X509KeyPair(pem, pem)
		if err != nil {
			return nil, fmt.Errorf("proxy file %q: %w", o.ProxyFile, err)
		}
		return &cert, nil
	case o.CertFile != "":
		certPEM, err := readPEMFile(o.CertFile)
		if err != nil {
			return nil, fmt.Errorf("cert file: %w", err)
		}
		keyPEM, err := readPEMFile(o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("key file: %w", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("cert file %q, key file %q: %w", o.CertFile, o.KeyFile, err)
		}
		return &cert, nil
	}
	return nil, nil
}

// addCADir adds every *.pem and *.0 file of dir that holds a PEM
// certificate (as in /etc/grid-security/certificates); other files, and
// files that do not parse, are ignored. A directory without any usable
// certificate is an error.
func addCADir(pool *x509.CertPool, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("ca dir: %w", err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".pem") && !strings.HasSuffix(name, ".0") {
			continue
		}
		pem, err := readPEMFile(filepath.Join(dir, name))
		if err != nil {
			continue // a dangling link or unreadable file: ignored like junk
		}
		if pool.AppendCertsFromPEM(pem) {
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("ca dir %q: no *.pem or *.0 file holds a PEM certificate", dir)
	}
	return nil
}

// readPEMFile reads a regular file of at most maxPEMFile bytes.
func readPEMFile(path string) ([]byte, error) { return readRegular(path, maxPEMFile) }
