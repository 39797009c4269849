package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeClock is a clock that only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTrackerTransitions(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1767225600, 0)}
	var logs bytes.Buffer
	tr := NewTracker(slog.New(slog.NewTextHandler(&logs, nil)), clock.Now)
	run := func(err error) {
		t.Helper()
		got := tr.Run(t.Context(), "panda", func(context.Context) error {
			clock.Advance(1500 * time.Millisecond)
			return err
		})
		if !errors.Is(got, err) {
			t.Fatalf("Run() = %v, want %v", got, err)
		}
		clock.Advance(time.Minute)
	}
	check := func(step string, wantUp bool, wantFails int, wantLogs ...string) {
		t.Helper()
		st, ok := tr.Status("panda")
		if !ok || st.Up != wantUp || st.ConsecutiveFailures != wantFails || st.Duration != 1500*time.Millisecond {
			t.Errorf("%s: Status() = %+v, %v", step, st, ok)
		}
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if logs.Len() == 0 {
			lines = nil
		}
		if len(lines) != len(wantLogs) {
			t.Fatalf("%s: logs = %q, want %d lines", step, lines, len(wantLogs))
		}
		for i, w := range wantLogs {
			if !strings.Contains(lines[i], w) {
				t.Errorf("%s: log line %q lacks %q", step, lines[i], w)
			}
		}
	}

	boom := errors.New("boom")
	run(nil)
	check("first success", true, 0)
	run(boom)
	check("down", false, 1, `level=WARN msg="source down" source=panda err=boom duration_seconds=1.5`)
	run(fmt.Errorf("again: %w", boom))
	check("still down", false, 2, "source down")
	st, _ := tr.Status("panda")
	if st.LastError != "again: boom" || !st.LastSuccess.Equal(time.Unix(1767225601, 500e6)) {
		t.Errorf("Status() = %+v", st)
	}
	run(nil)
	check("up again", true, 0, "source down", `level=INFO msg="source up again" source=panda`)
	run(nil)
	check("still up", true, 0, "source down", "source up again")

	want := `
# HELP qmonit_source_duration_seconds Duration of the last run of the source.
# TYPE qmonit_source_duration_seconds gauge
qmonit_source_duration_seconds{source="panda"} 1.5
# HELP qmonit_source_failures_total Failed runs of the source.
# TYPE qmonit_source_failures_total counter
qmonit_source_failures_total{source="panda"} 2
# HELP qmonit_source_last_success_timestamp_seconds Unix time of the last successful run of the source (0 if none yet).
# TYPE qmonit_source_last_success_timestamp_seconds gauge
qmonit_source_last_success_timestamp_seconds{source="panda"} 1.7672258475e+09
# HELP qmonit_source_up 1 if the last run of the source succeeded, else 0.
# TYPE qmonit_source_up gauge
qmonit_source_up{source="panda"} 1
`
	if err := testutil.CollectAndCompare(tr, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestTrackerFirstRunFails(t *testing.T) {
	var logs bytes.Buffer
	tr := NewTracker(slog.New(slog.NewTextHandler(&logs, nil)), nil)
	_ = tr.Run(t.Context(), "datadisk", func(context.Context) error { return errors.New("no route") })
	if !strings.Contains(logs.String(), `msg="source down" source=datadisk err="no route"`) {
		t.Errorf("logs = %q", logs.String())
	}
	want := `
# HELP qmonit_source_up 1 if the last run of the source succeeded, else 0.
# TYPE qmonit_source_up gauge
qmonit_source_up{source="datadisk"} 0
# HELP qmonit_source_last_success_timestamp_seconds Unix time of the last successful run of the source (0 if none yet).
# TYPE qmonit_source_last_success_timestamp_seconds gauge
qmonit_source_last_success_timestamp_seconds{source="datadisk"} 0
`
	if err := testutil.CollectAndCompare(tr, strings.NewReader(want),
		"qmonit_source_up", "qmonit_source_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	if _, ok := tr.Status("panda"); ok {
		t.Error("Status() of a source that never ran is ok")
	}
}

func TestTrackerConcurrent(t *testing.T) {
	tr := NewTracker(slog.New(slog.DiscardHandler), nil)
	names := []string{"panda", "cric", "datadisk"}
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			_ = tr.Run(t.Context(), names[i%3], func(context.Context) error {
				if i%2 == 0 {
					return errors.New("odd")
				}
				return nil
			})
		})
		wg.Go(func() { _ = testutil.CollectAndCount(tr) })
		wg.Go(func() { _ = tr.Snapshot() })
	}
	wg.Wait()
	snap := tr.Snapshot()
	if len(snap) != 3 || snap[0].Name != "cric" || snap[1].Name != "datadisk" || snap[2].Name != "panda" {
		t.Fatalf("Snapshot() = %+v, want 3 sources sorted by name", snap)
	}
	if n := testutil.CollectAndCount(tr); n != 12 {
		t.Errorf("CollectAndCount() = %d, want 12", n)
	}
}
