package sqlsnap

import (
	"os"
	"strings"
	"testing"
	"time"
)

// integrationDSN returns the DSN in env, or skips naming the variable.
func integrationDSN(t *testing.T, env, example string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("integration test skipped under -short (uses %s)", env)
	}
	dsn := os.Getenv(env)
	if dsn == "" {
		t.Skipf("%s not set; set it to run against a real server, e.g. %s=%q", env, env, example)
	}
	return dsn
}

func TestMySQLIntegration(t *testing.T) {
	dsn := integrationDSN(t, "MYSQL_DSN", "monitor:monitorpw@tcp(127.0.0.1:3306)/monitor?parseTime=true")
	if !strings.HasPrefix(dsn, "mysql://") {
		dsn = "mysql://" + dsn // the variable holds a go-sql-driver DSN
	}
	e := serverEngine(DialectMySQL, dsn)
	runSuite(t, e)
	t.Run("same rows as SQLite", func(t *testing.T) { testSameAsSQLite(t, e) })
}

func TestPostgresIntegration(t *testing.T) {
	dsn := integrationDSN(t, "PG_DSN", "postgres://monitor:monitorpw@127.0.0.1:5432/monitor?sslmode=disable")
	e := serverEngine(DialectPostgres, dsn)
	runSuite(t, e)
	t.Run("same rows as SQLite", func(t *testing.T) { testSameAsSQLite(t, e) })
}

// testSameAsSQLite runs the same cycles, with upserts and expiry, on e and
// on SQLite, and requires identical Rows.
func testSameAsSQLite(t *testing.T, e engine) {
	server, lite := openDB(t, e.fresh(t)), openDB(t, sqliteEngine().fresh(t))
	first, second := fixture(450, 1), fixture(450, 2)
	cycles := []struct {
		rows []Row
		at   time.Duration
	}{
		{first, 0},
		{second[100:], 30 * time.Minute},
		{second[200:], 70 * time.Minute}, // rows 0-99, last seen at t0, expire
	}
	for i, c := range cycles {
		for _, d := range []*DB{server, lite} {
			if err := d.Write(t.Context(), c.rows, t0.Add(c.at), time.Hour); err != nil {
				t.Fatalf("cycle %d on %s: %v", i, d.Dialect(), err)
			}
		}
	}
	got, err := server.Rows(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want, err := lite.Rows(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 350 {
		t.Fatalf("SQLite holds %d rows, want 350", len(want))
	}
	diffRows(t, got, want)
	diffRows(t, want, merge(expect(second[100:200], t0.Add(30*time.Minute)), expect(second[200:], t0.Add(70*time.Minute))))
}
