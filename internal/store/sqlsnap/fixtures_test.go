package sqlsnap

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// engine gives each test an empty database of one kind.
type engine struct {
	name string
	// fresh returns the DSN of an empty database (no jobs, no qmonit_schema).
	fresh func(t testing.TB) string
}

func sqliteEngine() engine {
	return engine{name: DialectSQLite, fresh: func(t testing.TB) string {
		return "sqlite://" + filepath.Join(t.TempDir(), "snap shot #1 100%.db")
	}}
}

// serverEngine drops the tables of the database behind dsn before each test.
func serverEngine(name, dsn string) engine {
	return engine{name: name, fresh: func(t testing.TB) string {
		db := rawDB(t, dsn)
		for _, table := range []string{"jobs", "qmonit_schema"} {
			if _, err := db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table); err != nil {
				t.Fatalf("drop %s: %v", table, err)
			}
		}
		return dsn
	}}
}

// rawDB opens dsn without the package, for setting up and inspecting.
func rawDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	tg, err := parseDSN(dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(tg.driver, tg.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openDB(t testing.TB, dsn string) *DB {
	t.Helper()
	d, err := Open(t.Context(), dsn, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d
}

// hostile are values that break naive SQL, HTML, collations and encodings.
var hostile = []string{
	"", " ", "a", "a ", "A", "O'Brien \"quoted\" `tick`", "<img src=x onerror=alert(1)>",
	"Robert'); DROP TABLE jobs;--", "ünïcödé 漢字 🚀", "tab\tnew\nline\r", `back\slash`, "%_*?",
	strings.Repeat("🚀", 250), "$1 ? :name @p1",
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }
func str(v string) *string   { return &v }

// fixture returns n distinct rows; seed varies the values, not the keys.
func fixture(n, seed int) []Row {
	rows := make([]Row, n)
	for i := range rows {
		r := &rows[i]
		h := hostile[i%len(hostile)]
		r.Queue = fmt.Sprintf("Q%04d%s", i/len(hostile), h)
		r.ProdSource, r.Resource = []string{"managed", "user", "ptest"}[i/len(hostile)%3], h // "a", "a " and "A" differ only there
		for a := range r.Attrs {
			r.Attrs[a] = hostile[(i+a+seed)%len(hostile)]
		}
		r.Attrs[point.Cloud] = fmt.Sprintf("CLOUD%d", seed)
		r.ResourceFactor, r.Corepower = 0.1+0.2, float64(i)*1.5+float64(seed)
		r.Pledge = []float64{1e-300, math.MaxFloat64, -42.125, 0}[i%4]
		r.Jobs = map[string]int64{}
		for s, st := range states {
			if (i+s+seed)%3 != 0 { // PanDA omits zero states
				r.Jobs[st] = int64(i*s + seed)
			}
		}
		if i%5 == 0 {
			r.Jobs["running"] = math.MaxInt64
		}
		if i%4 != 0 {
			r.Avg = map[string]*float64{"1h_running": f64(float64(i) / 3), "30d_failed": f64(1e6 + float64(seed)), "7d_activated": nil}
			r.Coverage24h = f64(float64(i%10) / 10)
		}
		if i%3 == 0 {
			r.DatadiskName, r.DatadiskGB, r.DatadiskFiles = str(h+"_DATADISK"), f64(1234.5678+float64(seed)), i64(int64(i)<<40)
		}
	}
	return rows
}

// expect is what Rows should return after rows were written at now.
func expect(rows []Row, now time.Time) []Row {
	ts := now.UTC().Truncate(time.Microsecond)
	out := make([]Row, len(rows))
	for i, r := range rows {
		r.Jobs = make(map[string]int64, len(states))
		for _, st := range states {
			r.Jobs[st] = rows[i].Jobs[st]
		}
		r.Avg = nil
		for _, k := range avgKeys {
			if v := rows[i].Avg[k]; v != nil {
				if r.Avg == nil {
					r.Avg = map[string]*float64{}
				}
				r.Avg[k] = v
			}
		}
		r.UpdatedAt, r.LastSeenAt = ts, ts
		out[i] = r
	}
	sortRows(out)
	return out
}

func sortRows(rows []Row) {
	slices.SortFunc(rows, func(a, b Row) int {
		return strings.Compare(a.Queue+"\x00"+a.ProdSource+"\x00"+a.Resource,
			b.Queue+"\x00"+b.ProdSource+"\x00"+b.Resource)
	})
}

// merge returns old with the rows of next replacing or adding by key.
func merge(old, next []Row) []Row {
	out := slices.Clone(next)
	for _, o := range old {
		if !slices.ContainsFunc(next, func(n Row) bool { return sameKey(&o, &n) }) {
			out = append(out, o)
		}
	}
	sortRows(out)
	return out
}

func sameKey(a, b *Row) bool {
	return a.Queue == b.Queue && a.ProdSource == b.ProdSource && a.Resource == b.Resource
}

// checkRows compares Rows() with want through JSON, which shows values
// behind pointers and prints a readable difference.
func checkRows(t testing.TB, d *DB, want []Row) {
	t.Helper()
	got, err := d.Rows(t.Context())
	if err != nil {
		t.Fatalf("Rows: %v", err)
	}
	diffRows(t, got, want)
}

func diffRows(t testing.TB, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d rows, want %d", len(got), len(want))
	}
	bad := 0
	for i := range min(len(got), len(want)) {
		g, _ := json.Marshal(got[i])
		w, _ := json.Marshal(want[i])
		if string(g) != string(w) {
			t.Errorf("row %d:\n got %s\nwant %s", i, g, w)
			if bad++; bad == 3 {
				t.FailNow()
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}
