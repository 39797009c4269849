package spool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func openTest(t *testing.T, dir string, o Options) *Spool {
	t.Helper()
	s, err := Open(dir, o, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open(%q) = %v", dir, err)
	}
	return s
}

func appendAll(t *testing.T, s *Spool, batches ...string) {
	t.Helper()
	for _, b := range batches {
		if err := s.Append([]byte(b)); err != nil {
			t.Fatalf("Append(%q) = %v", b, err)
		}
	}
}

// recorder is a SendFunc that records batches and answers with errs[batch].
type recorder struct {
	mu   sync.Mutex
	got  []string
	errs map[string]error
}

func (r *recorder) send(_ context.Context, b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, string(b))
	return r.errs[string(b)]
}

func TestOrderAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{Name: "t"})
	appendAll(t, s, "a", "b", "c")
	s = openTest(t, dir, Options{Name: "t"}) // restart
	appendAll(t, s, "d", "e")
	if n, bytes, oldest := s.Backlog(); n != 5 || bytes != 5 || oldest.IsZero() {
		t.Fatalf("Backlog() = %d, %d, %v; want 5, 5, non-zero", n, bytes, oldest)
	}
	var r recorder
	if err := s.Replay(t.Context(), r.send); err != nil {
		t.Fatalf("Replay() = %v", err)
	}
	if want := []string{"a", "b", "c", "d", "e"}; !slices.Equal(r.got, want) {
		t.Fatalf("sent %q; want %q", r.got, want)
	}
	if n, _, _ := s.Backlog(); n != 0 {
		t.Fatalf("Backlog() = %d after replay; want 0", n)
	}
	if n, _, _ := openTest(t, dir, Options{}).Backlog(); n != 0 {
		t.Fatalf("reopened Backlog() = %d; want 0", n)
	}
}

func TestMaxBytesDropsOldest(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{Name: "t", MaxBytes: 10})
	appendAll(t, s, "aaaa", "bbbb", "cccc", "dd") // 14 bytes: a must go
	if n, bytes, _ := s.Backlog(); n != 3 || bytes != 10 {
		t.Fatalf("Backlog() = %d, %d; want 3, 10", n, bytes)
	}
	appendAll(t, s, "eeeeeeee") // needs b and c gone
	var r recorder
	if err := s.Replay(t.Context(), r.send); err != nil {
		t.Fatalf("Replay() = %v", err)
	}
	if want := []string{"dd", "eeeeeeee"}; !slices.Equal(r.got, want) {
		t.Fatalf("sent %q; want %q", r.got, want)
	}
	if got := testutil.ToFloat64(collectorMetric(s, "qmonit_spool_dropped_batches_total")); got != 3 {
		t.Fatalf("dropped = %v; want 3", got)
	}
	if got := s.Dropped(); got != 3 {
		t.Fatalf("Dropped() = %d; want 3", got)
	}
	if err := s.Append(make([]byte, 11)); err == nil {
		t.Fatal("Append(11 bytes) with MaxBytes 10 = nil; want error")
	}
}

func TestQuarantineOnPermanentError(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{Name: "t"})
	appendAll(t, s, "ok1", "bad", "ok2")
	r := recorder{errs: map[string]error{
		"bad": fmt.Errorf("write: %w: 400 unable to parse 'bad'", ErrPermanent),
	}}
	if err := s.Replay(t.Context(), r.send); err != nil {
		t.Fatalf("Replay() = %v", err)
	}
	if want := []string{"ok1", "bad", "ok2"}; !slices.Equal(r.got, want) {
		t.Fatalf("sent %q; want %q", r.got, want)
	}
	qdir := filepath.Join(dir, "quarantine")
	des, err := os.ReadDir(qdir)
	if err != nil || len(des) != 2 {
		t.Fatalf("quarantine holds %d files, %v; want 2", len(des), err)
	}
	batch, _ := os.ReadFile(filepath.Join(qdir, des[0].Name()))
	reason, _ := os.ReadFile(filepath.Join(qdir, des[1].Name()))
	if string(batch) != "bad" || !strings.Contains(string(reason), "unable to parse 'bad'") ||
		!strings.HasSuffix(des[1].Name(), ".reason") {
		t.Fatalf("quarantine %s=%q %s=%q", des[0].Name(), batch, des[1].Name(), reason)
	}
	if got := testutil.ToFloat64(collectorMetric(s, "qmonit_spool_quarantined_batches_total")); got != 1 {
		t.Fatalf("quarantined = %v; want 1", got)
	}
	// A new spool on the same dir must not reuse the quarantined name.
	s = openTest(t, dir, Options{Name: "t"})
	appendAll(t, s, "next")
	if s.entries[0].seq <= 2 {
		t.Fatalf("new batch seq = %d; want > 2", s.entries[0].seq)
	}
}

func TestStopOnTransientError(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{Name: "t"})
	appendAll(t, s, "a", "b", "c")
	down := errors.New("connection refused")
	r := recorder{errs: map[string]error{"b": down}}
	if err := s.Replay(t.Context(), r.send); !errors.Is(err, down) {
		t.Fatalf("Replay() = %v; want %v", err, down)
	}
	if want := []string{"a", "b"}; !slices.Equal(r.got, want) {
		t.Fatalf("sent %q; want %q", r.got, want)
	}
	if n, _, _ := s.Backlog(); n != 2 {
		t.Fatalf("Backlog() = %d; want 2", n)
	}
	if got := testutil.ToFloat64(collectorMetric(s, "qmonit_spool_replay_failures_total")); got != 1 {
		t.Fatalf("replay failures = %v; want 1", got)
	}
	r = recorder{}
	if err := s.Replay(t.Context(), r.send); err != nil {
		t.Fatalf("second Replay() = %v", err)
	}
	if want := []string{"b", "c"}; !slices.Equal(r.got, want) {
		t.Fatalf("second replay sent %q; want %q", r.got, want)
	}
}

func TestOpenIgnoresPartialFiles(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{Name: "t"})
	appendAll(t, s, "a")
	for name, data := range map[string]string{
		".tmp-12345":                   "half a bat", // interrupted Append
		"garbage.batch":                "x",          // wrong name
		"00000000000000000007.batch.x": "y",
		"notes.txt":                    "z",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s = openTest(t, dir, Options{Name: "t"})
	var r recorder
	if err := s.Replay(t.Context(), r.send); err != nil {
		t.Fatalf("Replay() = %v", err)
	}
	if want := []string{"a"}; !slices.Equal(r.got, want) {
		t.Fatalf("sent %q; want %q", r.got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp-12345")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temp file still there: %v", err)
	}
}

func TestConcurrentAppendReplay(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{Name: "t"})
	var r recorder
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			if err := s.Append(fmt.Appendf(nil, "%03d", i)); err != nil {
				t.Errorf("Append: %v", err)
			}
		}
	})
	wg.Go(func() {
		for range 50 {
			if err := s.Replay(t.Context(), r.send); err != nil {
				t.Errorf("Replay: %v", err)
			}
		}
	})
	wg.Wait()
	if err := s.Replay(t.Context(), r.send); err != nil {
		t.Fatalf("Replay() = %v", err)
	}
	if len(r.got) != 200 || !slices.IsSorted(r.got) {
		t.Fatalf("sent %d batches, sorted=%v; want 200 in order", len(r.got), slices.IsSorted(r.got))
	}
}

func TestCollector(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{Name: "influx"})
	appendAll(t, s, "abc")
	if n, err := testutil.GatherAndCount(registryWith(t, s)); err != nil || n != 6 {
		t.Fatalf("GatherAndCount() = %d, %v; want 6", n, err)
	}
	if got := testutil.ToFloat64(collectorMetric(s, "qmonit_spool_backlog_bytes")); got != 3 {
		t.Fatalf("backlog bytes = %v; want 3", got)
	}
}
