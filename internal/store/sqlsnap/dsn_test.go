package sqlsnap

import (
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		name, dsn, dataDir       string
		dialect, driver, wantDSN string
		redacted                 string
	}{
		{name: "default", dataDir: "/var/lib/q monit", dialect: DialectSQLite, driver: "sqlite",
			wantDSN: "file:/var/lib/q%20monit/snapshot.db?_pragma=busy_timeout%2810000%29&_pragma=journal_mode%28WAL%29&_pragma=synchronous%28NORMAL%29&_txlock=immediate"},
		{name: "sqlite URL keeps own pragmas", dsn: "sqlite://rel/s.db?_pragma=journal_mode(DELETE)&_txlock=deferred",
			dialect: DialectSQLite, driver: "sqlite",
			wantDSN: "file:rel/s.db?_pragma=journal_mode(DELETE)&_txlock=deferred&_pragma=busy_timeout%2810000%29&_pragma=synchronous%28NORMAL%29"},
		{name: "file URI", dsn: "file:/tmp/x.db?mode=rwc", dialect: DialectSQLite, driver: "sqlite",
			wantDSN: "file:/tmp/x.db?mode=rwc&_pragma=busy_timeout%2810000%29&_pragma=journal_mode%28WAL%29&_pragma=synchronous%28NORMAL%29&_txlock=immediate"},
		{name: "mysql driver form", dsn: "mysql://monitor:pw@tcp(db:3306)/monitor?parseTime=true",
			dialect: DialectMySQL, driver: "mysql", wantDSN: "monitor:pw@tcp(db:3306)/monitor?parseTime=true",
			redacted: "mysql://monitor:xxxxx@tcp(db:3306)/monitor?parseTime=true"},
		{name: "mysql URL form", dsn: "mysql://monitor:p%40ss@db:3306/monitor?parseTime=true",
			dialect: DialectMySQL, driver: "mysql", wantDSN: "monitor:p@ss@tcp(db:3306)/monitor?parseTime=true",
			redacted: "mysql://monitor:xxxxx@tcp(db:3306)/monitor?parseTime=true"},
		{name: "mysql unix socket", dsn: "mysql://root@unix(/run/mysqld.sock)/monitor",
			dialect: DialectMySQL, driver: "mysql", wantDSN: "root@unix(/run/mysqld.sock)/monitor"},
		{name: "postgres", dsn: "postgres://monitor:pw@db:5432/monitor?sslmode=disable",
			dialect: DialectPostgres, driver: "pgx", wantDSN: "postgres://monitor:pw@db:5432/monitor?sslmode=disable",
			redacted: "postgres://monitor:xxxxx@db:5432/monitor?sslmode=disable"},
		{name: "postgresql", dsn: "postgresql://db/monitor", dialect: DialectPostgres, driver: "pgx",
			wantDSN: "postgresql://db/monitor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDSN(tc.dsn, tc.dataDir)
			if err != nil {
				t.Fatal(err)
			}
			if got.dialect != tc.dialect || got.driver != tc.driver || got.dsn != tc.wantDSN {
				t.Errorf("parseDSN = %s %s %q\n want %s %s %q", got.dialect, got.driver, got.dsn, tc.dialect, tc.driver, tc.wantDSN)
			}
			if tc.redacted != "" && got.redacted != tc.redacted {
				t.Errorf("redacted = %q, want %q", got.redacted, tc.redacted)
			}
			if strings.Contains(got.redacted, ":pw@") || strings.Contains(got.redacted, "p@ss") {
				t.Errorf("redacted form shows the password: %q", got.redacted)
			}
		})
	}
}
