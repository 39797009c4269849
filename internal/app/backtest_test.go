package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/detect"
	"github.com/qmonit/qmonit/internal/sim"
	"github.com/qmonit/qmonit/internal/store/tsdb"
	"github.com/qmonit/qmonit/internal/testutil"
)

// firstIncident returns the first scripted incident of kind in [from, to].
func firstIncident(t *testing.T, g *sim.Grid, kind string, from, to time.Time) sim.Incident {
	t.Helper()
	for _, inc := range g.Incidents(from, to) {
		if inc.Kind == kind && !inc.Start.Before(from) {
			return inc
		}
	}
	t.Fatalf("no %s incident between %v and %v", kind, from, to)
	return sim.Incident{}
}

// sameDetectorState fails t when two detector snapshots differ, naming the
// first series or incident that does.
func sameDetectorState(t *testing.T, what string, got, want detect.Snapshot) {
	t.Helper()
	if !got.Cycle.Equal(want.Cycle) || len(got.Series) != len(want.Series) || len(got.Open) != len(want.Open) {
		t.Fatalf("%s: cycle %v, %d series, %d open; want %v, %d, %d", what, got.Cycle, len(got.Series), len(got.Open),
			want.Cycle, len(want.Series), len(want.Open))
	}
	for i := range want.Series {
		if !reflect.DeepEqual(got.Series[i], want.Series[i]) {
			t.Fatalf("%s: series %d = %+v; want %+v", what, i, got.Series[i], want.Series[i])
		}
	}
	for i := range want.Open {
		if !reflect.DeepEqual(got.Open[i], want.Open[i]) {
			t.Fatalf("%s: open incident %d = %+v; want %+v", what, i, got.Open[i], want.Open[i])
		}
	}
}

// TestDetectorStateSurvivesRestart runs cycles through a scripted site
// drain, then restarts the daemon twice: on a copy of the data directory
// taken while it ran (a crash) and on the directory itself after a clean
// stop. Each time the rebuilt detector must hold the same baselines, flags
// and open incidents (same IDs and starts) as the detector that ran on,
// and must go on exactly like it.
func TestDetectorStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	g, cfg := newDaemonEnv(t, 40, dir)
	drain := firstIncident(t, g.Grid, "site_drain", day0, day0.Add(48*time.Hour))
	iv := time.Duration(cfg.Interval)
	start := drain.Start.Add(-3 * time.Hour)
	d := openTestDaemon(t, cfg, start.Add(-iv))
	last := runCycles(t, d, g, start, 18+5) // 3 h of history, then 5 cycles of the drain
	before := d.det.Snapshot()
	if len(before.Open) == 0 || len(before.Series) == 0 {
		t.Fatalf("no open incident after the drain started: %d series, open %+v", len(before.Series), before.Open)
	}
	crashed := t.TempDir()
	testutil.CopyDir(t, dir, crashed)
	last = runCycles(t, d, g, last.Add(iv), 4)
	after := d.det.Snapshot()
	d.close()

	d2 := openTestDaemon(t, cfg, last) // clean restart on the same directory
	sameDetectorState(t, "after a clean restart", d2.det.Snapshot(), after)
	d2.close()

	cfg3 := *cfg
	cfg3.DataDir = crashed
	d3 := openTestDaemon(t, &cfg3, before.Cycle)
	defer d3.close()
	sameDetectorState(t, "after a crash", d3.det.Snapshot(), before)
	runCycles(t, d3, g, before.Cycle.Add(iv), 4)
	sameDetectorState(t, "4 cycles after a crash", d3.det.Snapshot(), after)
}

// backfillSim writes span of the simulated grid's history into a fresh
// store under a data directory, as `qmonit demo` does, and returns the
// config pointing at it and the history's start.
func backfillSim(t *testing.T, queues int, span time.Duration, end time.Time) (*sim.Grid, *config.Config, time.Time) {
	t.Helper()
	g, cfg := simConfig(t, queues, nil)
	u, err := newUpstreams(cfg, discardLogger(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.catalog.Refresh(t.Context(), simTime); err != nil {
		t.Fatal(err)
	}
	store, err := tsdb.Open(filepath.Join(cfg.DataDir, "tsdb"), tsdb.Options{}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	iv := time.Duration(cfg.Interval)
	n := int(span / iv)
	start := end.Add(-time.Duration(n) * iv)
	err = store.Backfill(t.Context(), n, historyCycles(g, u.catalog.Index(), u.catalog.Datadisks(), start, n, iv, 24*time.Hour), nil)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return g, cfg, start
}

func runBacktestCmd(t *testing.T, cfg *config.Config, from, to time.Time, output string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Backtest(t.Context(), BacktestOptions{Config: cfg, From: from, To: to, Output: output,
		Stdout: &out, Stderr: &errb, Logger: discardLogger()})
	return out.String(), errb.String(), err
}

// TestBacktestFindsScriptedIncidents fills a store with 36 simulated hours
// and back-tests the last day: every scripted incident starting in it must
// be found within 3 cycles of its start; the JSON output is a list in the
// sim's shape (start, end, kind, queues) with evidence, and the text output
// a table with the counts per day and per cloud.
func TestBacktestFindsScriptedIncidents(t *testing.T) {
	if testing.Short() {
		t.Skip("backfills 36 simulated hours")
	}
	end := time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC)
	g, cfg, start := backfillSim(t, 100, 36*time.Hour, end)
	from := start.Add(12 * time.Hour)
	found, err := backtestStore(t.Context(), cfg, from, end, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	var opened []detect.Incident
	for _, b := range found {
		opened = append(opened, detect.Incident{Start: b.Start, Queues: b.Queues})
	}
	script := g.Incidents(from, end)
	n := 0
	for _, s := range script {
		if s.Start.Before(from) {
			continue
		}
		n++
		if !matchScripted(s, opened, time.Duration(cfg.Interval)) {
			t.Errorf("scripted %s at %v on %v not found", s.Kind, s.Start, s.Queues)
		}
	}
	if n == 0 {
		t.Fatal("no scripted incident in the range: the test proves nothing")
	}
	t.Logf("%d scripted incidents, %d detected", n, len(found))

	var out, counts bytes.Buffer
	o := BacktestOptions{Output: "json", Stdout: &out, Stderr: &counts}
	if err := writeBacktest(o, found); err != nil {
		t.Fatal(err)
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil || len(raw) != len(found) {
		t.Fatalf("output is not a JSON list of %d incidents: %v\n%s", len(found), err, out.String())
	}
	for i, m := range raw {
		for _, k := range []string{"start", "end", "kind", "queues", "clouds", "evidence"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("incident %d lacks %q: %v", i, k, m)
			}
		}
		var start time.Time
		if err := json.Unmarshal(m["start"], &start); err != nil || start.Before(from) {
			t.Errorf("incident %d start %s: %v", i, m["start"], err)
		}
	}
	if !strings.Contains(counts.String(), from.Format(time.DateOnly)) || !strings.Contains(counts.String(), "CLOUD") {
		t.Errorf("counts:\n%s", counts.String())
	}

	out.Reset()
	if err := writeBacktest(BacktestOptions{Output: "text", Stdout: &out}, found); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"START", "QUEUES", fmt.Sprintf("%d incidents", len(found)), "DAY", "CLOUD"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBacktestOutputShape(t *testing.T) {
	end := time.Date(2026, 11, 12, 1, 0, 0, 0, time.UTC)
	incs := []BacktestIncident{
		{ID: "a", Kind: detect.KindQueue, Start: end.Add(-time.Hour), End: &end, State: "running", Direction: detect.Drop,
			Queues: []string{"Q1"}, Clouds: []string{"DE"}, Evidence: []detect.Finding{{Queue: "Q1", Cloud: "DE"}}},
		{ID: "b", Kind: detect.KindGroup, Start: end, Group: "cloud=FR", Queues: []string{"F1", "F2", "F3", "F4"},
			Clouds: []string{"FR"}, Evidence: []detect.Finding{{Queue: "F1", Cloud: "FR"}, {Queue: "F2", Cloud: "FR"}}},
	}
	var out, counts bytes.Buffer
	if err := writeBacktest(BacktestOptions{Output: "json", Stdout: &out, Stderr: &counts}, incs); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) != 2 {
		t.Fatalf("%v: %s", err, out.String())
	}
	if got[0]["end"] != end.Format(time.RFC3339) || got[1]["end"] != nil || got[0]["start"] != "2026-11-12T00:00:00Z" {
		t.Errorf("end not RFC 3339 then null while open: %v, %v", got[0]["end"], got[1]["end"])
	}
	if c := fmt.Sprint(got[1]["clouds"]); c != "[FR]" {
		t.Errorf("clouds = %s; want [FR]", c)
	}
	for _, want := range []string{"2 incidents", "2026-11-12  2", "DE     1", "FR     1"} {
		if !strings.Contains(counts.String(), want) {
			t.Errorf("counts lack %q:\n%s", want, counts.String())
		}
	}
	out.Reset()
	if err := writeBacktest(BacktestOptions{Output: "text", Stdout: &out}, incs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2026-11-12T00:00:00Z  2026-11-12T01:00:00Z  queue", "open", "F1,F2,F3 (+1 more)", "cloud=FR"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBacktestErrors(t *testing.T) {
	_, cfg := simConfig(t, 5, nil)
	from := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	if _, _, err := runBacktestCmd(t, cfg, from, from.Add(time.Hour), "json"); err == nil ||
		!strings.Contains(err.Error(), "no store at") {
		t.Errorf("no store: err = %v", err)
	}
	store, err := tsdb.Open(filepath.Join(cfg.DataDir, "tsdb"), tsdb.Options{}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = runBacktestCmd(t, cfg, from, from.Add(time.Hour), "json")
	if !errors.Is(err, ErrStoreInUse) || !strings.Contains(err.Error(), "stop qmonit") {
		t.Errorf("store held by a running qmonit: err = %v", err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	out, _, err := runBacktestCmd(t, cfg, from, from.Add(time.Hour), "json")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("empty store: %q, %v; want [] and no error", out, err)
	}
	for _, tt := range []struct {
		name     string
		from, to time.Time
		output   string
	}{
		{"bad output", from, from.Add(time.Hour), "xml"},
		{"to before from", from, from.Add(-time.Hour), "json"},
		{"range too long", from, from.Add(500 * 24 * time.Hour), "json"},
	} {
		if _, _, err := runBacktestCmd(t, cfg, tt.from, tt.to, tt.output); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
