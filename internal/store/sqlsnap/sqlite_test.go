package sqlsnap

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSQLite(t *testing.T) {
	runSuite(t, sqliteEngine())
}

func TestOpenDefaultFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data dir")
	d := openDefault(t, dir)
	if err := d.Write(t.Context(), fixture(3, 1), t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "snapshot.db")); err != nil {
		t.Fatalf("default file: %v", err)
	}
	var mode string
	if err := d.db.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var timeout int
	if err := d.db.QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&timeout); err != nil || timeout == 0 {
		t.Errorf("busy_timeout = %d, %v; want > 0", timeout, err)
	}
	// A second handle on the same file (a second process) sees the rows.
	checkRows(t, openDefault(t, dir), expect(fixture(3, 1), t0))
}

func openDefault(t *testing.T, dir string) *DB {
	t.Helper()
	d, err := Open(t.Context(), "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name, dsn, dataDir string
		want               []string
	}{
		{"no DSN, no data dir", "", "", []string{"no data directory"}},
		{"unknown scheme", "redis://user:s3cr3t@host:6379/0", "", []string{`"redis"`, "mysql://", "postgres://", "sqlite://"}},
		{"no scheme", "user:s3cr3t@tcp(host:3306)/db", "", []string{"no scheme", "mysql://"}},
		{"bad mysql", "mysql://user:s3cr3t@tcp(127.0.0.1:1/db", "", []string{"mysql"}},
		{"mysql down", "mysql://user:s3cr3t@tcp(127.0.0.1:1)/db?timeout=2s", "", []string{"user:xxxxx@tcp(127.0.0.1:1)"}},
		{"postgres down", "postgres://user:s3cr3t@127.0.0.1:1/db?connect_timeout=2", "", []string{"user:xxxxx@127.0.0.1:1"}},
		{"postgres password param", "postgresql://127.0.0.1:1/db?user=u&password=s3cr3t&connect_timeout=2", "", []string{"password=xxxxx"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Open(t.Context(), tc.dsn, tc.dataDir, nil)
			if err == nil {
				d.Close()
				t.Fatal("Open succeeded, want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, "s3cr3t") {
				t.Errorf("error shows the password: %s", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}
