package sqlsnap

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 is a cycle time with a zone and nanoseconds, to check UTC and truncation.
var t0 = time.Date(2025, 3, 1, 12, 10, 0, 123456789, time.FixedZone("CET", 3600))

// runSuite runs every engine-independent check against e.
func runSuite(t *testing.T, e engine) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, engine)
	}{
		{"round trip", testRoundTrip},
		{"upsert", testUpsert},
		{"stale deletion", testStale},
		{"failure mid-way writes nothing", testAtomic},
		{"invalid rows write nothing", testInvalid},
		{"migration", testMigration},
		{"newer schema refused", testNewerSchema},
		{"concurrent writes serialised", testConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, e) })
	}
}

func testRoundTrip(t *testing.T, e engine) {
	d := openDB(t, e.fresh(t))
	rows := fixture(450, 1) // three batches, the last one partial
	rows[0].Jobs["no_such_state"] = 7
	rows[0].Avg = map[string]*float64{"1h_no_such": f64(1)}
	if err := d.Write(t.Context(), rows, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	checkRows(t, d, expect(rows, t0))
	if got := d.Dialect(); got != e.name {
		t.Errorf("Dialect() = %q, want %q", got, e.name)
	}
}

func testUpsert(t *testing.T, e engine) {
	d := openDB(t, e.fresh(t))
	first := fixture(300, 1)
	if err := d.Write(t.Context(), first, t0, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	// The second cycle changes every value of rows 50.. and omits rows 0-49,
	// which keep their first values and time.
	second := fixture(300, 2)[50:]
	for i := range second {
		if i%2 == 0 {
			second[i].Avg, second[i].Coverage24h, second[i].DatadiskName = nil, nil, nil
		}
	}
	t1 := t0.Add(10 * time.Minute)
	if err := d.Write(t.Context(), second, t1, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	checkRows(t, d, merge(expect(first, t0), expect(second, t1)))
}

func testStale(t *testing.T, e engine) {
	d := openDB(t, e.fresh(t))
	rows := fixture(40, 1)
	write := func(rows []Row, now time.Time, stale time.Duration) {
		t.Helper()
		if err := d.Write(t.Context(), rows, now, stale); err != nil {
			t.Fatal(err)
		}
	}
	write(rows, t0, time.Hour)
	t1 := t0.Add(50 * time.Minute)
	write(rows[:30], t1, time.Hour) // rows 30.. seen 50 min ago: kept
	checkRows(t, d, merge(expect(rows, t0), expect(rows[:30], t1)))
	t2 := t0.Add(70 * time.Minute)
	write(rows[:20], t2, 0) // staleAfter 0 deletes nothing
	checkRows(t, d, merge(merge(expect(rows, t0), expect(rows[:30], t1)), expect(rows[:20], t2)))
	write(rows[:20], t2, time.Hour) // rows 30.. seen 70 min ago: deleted
	checkRows(t, d, merge(expect(rows[:30], t1), expect(rows[:20], t2)))
	write(nil, t2.Add(24*time.Hour), time.Hour) // an empty cycle still expires rows
	checkRows(t, d, nil)
}

func testAtomic(t *testing.T, e engine) {
	d := openDB(t, e.fresh(t))
	before := fixture(100, 1)
	if err := d.Write(t.Context(), before, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	want := expect(before, t0)
	cycle := fixture(3*batchRows+10, 2) // updates the first 100, adds the rest
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		hook func(cancel context.CancelFunc) func(context.Context, int) error
	}{
		{"error after two batches", func(context.CancelFunc) func(context.Context, int) error {
			return func(_ context.Context, b int) error {
				if b == 2 {
					return boom
				}
				return nil
			}
		}},
		{"context cancelled after first batch", func(cancel context.CancelFunc) func(context.Context, int) error {
			return func(_ context.Context, b int) error {
				if b == 1 {
					cancel()
				}
				return nil
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			d.beforeBatch = tc.hook(cancel)
			defer func() { d.beforeBatch = nil }()
			// A completed cycle would change every old row and add 510.
			if err := d.Write(ctx, cycle, t0.Add(48*time.Hour), time.Hour); err == nil {
				t.Fatal("Write succeeded, want an error")
			}
			checkRows(t, d, want)
		})
	}
}

func testInvalid(t *testing.T, e engine) {
	d := openDB(t, e.fresh(t))
	for _, tc := range []struct {
		name, wantErr string
		edit          func(rows []Row)
	}{
		{"NaN", "not a finite number", func(r []Row) { r[7].Corepower = math.NaN() }},
		{"infinite average", "avg1h_running_jobs", func(r []Row) { r[7].Avg = map[string]*float64{"1h_running": f64(math.Inf(1))} }},
		{"invalid UTF-8", "not valid UTF-8", func(r []Row) { r[7].Attrs[3] = "bad\xff" }},
		{"NUL byte", "NUL", func(r []Row) { r[7].Queue = "a\x00b" }},
		{"key too long", "longer than 255", func(r []Row) { r[7].Resource = strings.Repeat("x", 256) }},
		{"duplicate key", "duplicate key, first in row 3", func(r []Row) { r[7].Queue, r[7].ProdSource, r[7].Resource = r[3].Queue, r[3].ProdSource, r[3].Resource }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := fixture(10, 1)
			tc.edit(rows)
			err := d.Write(t.Context(), rows, t0, time.Hour)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "row 7") {
				t.Fatalf("Write error = %v, want one naming row 7 and %q", err, tc.wantErr)
			}
			checkRows(t, d, nil)
		})
	}
}

// legacyTable is a table as an older qmonit or the seed left it: the key,
// two of today's columns and one unknown column.
const legacyTable = `CREATE TABLE jobs (panda_queue VARCHAR(255) NOT NULL, prod_source VARCHAR(255) NOT NULL,
	resource VARCHAR(255) NOT NULL, atlas_site VARCHAR(255), running_jobs INTEGER, legacy_note VARCHAR(40),
	PRIMARY KEY (panda_queue, prod_source, resource))`

func testMigration(t *testing.T, e engine) {
	dsn := e.fresh(t)
	raw := rawDB(t, dsn)
	create, d := legacyTable, dialects[e.name]
	if e.name == DialectMySQL {
		create += " DEFAULT CHARSET=latin1" // converted to utf8mb4 by the migration
	}
	insert := "INSERT INTO jobs (panda_queue, prod_source, resource, atlas_site, running_jobs, legacy_note) VALUES (" +
		d.ph(1) + "," + d.ph(2) + "," + d.ph(3) + "," + d.ph(4) + "," + d.ph(5) + "," + d.ph(6) + ")"
	for _, stmt := range []struct {
		q    string
		args []any
	}{{create, nil}, {insert, []any{"OLD_Q", "managed", "SCORE", "OLD_SITE", 5, "kept"}}} {
		if _, err := raw.ExecContext(t.Context(), stmt.q, stmt.args...); err != nil {
			t.Fatalf("set up legacy table: %v", err)
		}
	}
	before := time.Now().UTC().Add(-time.Second)
	db := openDB(t, dsn)
	got, err := db.Rows(t.Context())
	if err != nil || len(got) != 1 {
		t.Fatalf("Rows after migration = %d rows, %v; want the legacy row", len(got), err)
	}
	old := got[0]
	if old.Attrs[0] != "OLD_SITE" || old.Jobs["running"] != 5 || old.Jobs["failed"] != 0 ||
		old.Avg != nil || old.DatadiskName != nil || !old.UpdatedAt.IsZero() || old.LastSeenAt.Before(before) {
		t.Errorf("legacy row after migration = %+v", old)
	}
	// Reopening is a no-op; the migrated table takes today's rows, hostile
	// ones included, and expires the legacy row in time.
	db = openDB(t, dsn)
	rows := fixture(60, 1)
	if err := db.Write(t.Context(), rows, old.LastSeenAt.Add(2*time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	checkRows(t, db, expect(rows, old.LastSeenAt.Add(2*time.Hour)))
	var nulls int
	if err := raw.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM jobs WHERE legacy_note IS NULL").Scan(&nulls); err != nil || nulls != 60 {
		t.Errorf("unknown column after migration: %d NULLs, %v; want 60", nulls, err)
	}
	var version int
	if err := raw.QueryRowContext(t.Context(), "SELECT version FROM qmonit_schema").Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("schema version = %d, %v; want %d", version, err, schemaVersion)
	}
}

func testNewerSchema(t *testing.T, e engine) {
	dsn := e.fresh(t)
	openDB(t, dsn)
	raw := rawDB(t, dsn)
	if _, err := raw.ExecContext(t.Context(), "UPDATE qmonit_schema SET version = 99"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), dsn, "", nil)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open on a newer schema: err = %v, want one saying newer", err)
	}
}

func testConcurrent(t *testing.T, e engine) {
	d := openDB(t, e.fresh(t))
	const writers = 8
	cycles := make([][]Row, writers)
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		cycles[w] = fixture(250, w) // same keys, values differ per writer
		wg.Go(func() { errs[w] = d.Write(t.Context(), cycles[w], t0, time.Hour) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got, err := d.Rows(t.Context())
	if err != nil || len(got) != 250 {
		t.Fatalf("Rows = %d rows, %v; want 250", len(got), err)
	}
	// Serialised writes leave one writer's cycle whole, never a mix.
	winner := -1
	for w := range writers {
		if got[0].Corepower == expect(cycles[w], t0)[0].Corepower {
			winner = w
		}
	}
	if winner < 0 {
		t.Fatal("first row matches no writer's cycle")
	}
	diffRows(t, got, expect(cycles[winner], t0))
}
