package catalog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	pqBody   = `{"Q1":{"panda_resource":"Q1","atlas_site":"S1","cloud":"US","rc":"FED1"},"hans":{}}`
	pqBody2  = `{"Q2":{"panda_resource":"Q2","atlas_site":"S1","cloud":"DE"}}`
	siteBody = `{"S1":{"name":"S1","datapolicies":["Nucleus"],"fsconf":{"frontier":[["http://fr.example:3128/x",{}]]}}}`
	ddmBody  = `{"S1_DATADISK":{"name":"S1_DATADISK","site":"S1","servedrestfts":{"MASTER":["https://fts.example:8446"],"TESTING":"https://t:1"}}}`
	fedBody  = `{"FED1":{"name":"FED1","vos":["atlas"],"rcsites":["S1"],"pledges":{"2021":{"Q2":{"atlas":{"CPU":100}}}}},"NULL":{}}`
	ddBody   = `{"responses":[{"status":200,"aggregations":{"4":{"buckets":[{"key":"S1_DATADISK","doc_count":1,"1":{"value":10.0},"3":{"value":2000.0}}]}}}]}`
)

// fakeUpstream serves one body per dump, counts fetches and can fail.
type fakeUpstream struct {
	mu     sync.Mutex
	bodies map[string]string
	fail   map[string]error
	calls  map[string]int
}

func newFake() *fakeUpstream {
	return &fakeUpstream{
		bodies: map[string]string{PandaQueue: pqBody, Site: siteBody, DDMEndpoint: ddmBody, Federation: fedBody, Datadisk: ddBody},
		fail:   map[string]error{}, calls: map[string]int{},
	}
}

func (f *fakeUpstream) set(name, body string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies[name], f.fail[name] = body, err
}

func (f *fakeUpstream) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeUpstream) specs() map[string]Spec {
	out := map[string]Spec{}
	for _, name := range []string{PandaQueue, Site, DDMEndpoint, Federation, Datadisk} {
		every := time.Hour
		if name == PandaQueue {
			every = 10 * time.Minute
		}
		out[name] = Spec{Every: every, Fetch: func(context.Context, time.Time) ([]byte, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.calls[name]++
			if err := f.fail[name]; err != nil {
				return nil, err
			}
			return []byte(f.bodies[name]), nil
		}}
	}
	return out
}

func newTestCatalog(t *testing.T, dir string, f *fakeUpstream) (*Catalog, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	return New(Options{Dir: dir, VO: "atlas", Dumps: f.specs()}, logger), &logs
}

var t0 = time.Date(2021, 7, 15, 10, 0, 0, 0, time.UTC)

func TestRefreshJoinsAllDumps(t *testing.T) {
	f := newFake()
	c, _ := newTestCatalog(t, t.TempDir(), f)
	if err := c.Refresh(t.Context(), t0); err != nil {
		t.Fatal(err)
	}
	q, ok := c.Index().Queue("Q1")
	if !ok || q.Cloud != "US" {
		t.Fatalf("Queue(Q1) = %+v, %v", q, ok)
	}
	if d := c.Datadisks()["S1_DATADISK"]; d.Files != 10 || d.Bytes != 2000 {
		t.Errorf("datadisk = %+v", d)
	}
	for _, name := range []string{PandaQueue, Site, DDMEndpoint, Federation, Datadisk} {
		if at, ok := c.Held(name); !ok || !at.Equal(t0) {
			t.Errorf("Held(%s) = %v %v", name, at, ok)
		}
	}
}

func TestRefreshCadence(t *testing.T) {
	f := newFake()
	c, _ := newTestCatalog(t, t.TempDir(), f)
	for _, step := range []struct {
		at            time.Duration
		wantPQ, wantS int
	}{
		{0, 1, 1},
		{5 * time.Minute, 1, 1},  // nothing due
		{10 * time.Minute, 2, 1}, // pandaqueue every 10 min
		{59 * time.Minute, 3, 1},
		{60 * time.Minute, 3, 2}, // sites hourly
	} {
		if err := c.Refresh(t.Context(), t0.Add(step.at)); err != nil {
			t.Fatal(err)
		}
		if got := f.count(PandaQueue); got != step.wantPQ {
			t.Errorf("at +%v: pandaqueue fetched %d times, want %d", step.at, got, step.wantPQ)
		}
		if got := f.count(Site); got != step.wantS {
			t.Errorf("at +%v: site fetched %d times, want %d", step.at, got, step.wantS)
		}
	}
}

func TestFailedRefreshKeepsLastGoodCopy(t *testing.T) {
	for _, tt := range []struct {
		name string
		body string
		err  error
	}{
		{"fetch error", "", errors.New("connection refused")},
		{"empty object dump", "{}", nil},
		{"not JSON", "<html>oops</html>", nil},
		{"truncated", `{"Q2":{"panda_resource":`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			c, logs := newTestCatalog(t, t.TempDir(), f)
			if err := c.Refresh(t.Context(), t0); err != nil {
				t.Fatal(err)
			}
			f.set(PandaQueue, tt.body, tt.err)
			later := t0.Add(90 * time.Minute)
			if err := c.Refresh(t.Context(), later); err != nil {
				t.Fatalf("Refresh with a held copy: %v", err)
			}
			if _, ok := c.Index().Queue("Q1"); !ok {
				t.Fatal("last good copy lost")
			}
			if !strings.Contains(logs.String(), "using last good copy") || !strings.Contains(logs.String(), "age=1h30m0s") {
				t.Errorf("no warning naming the age: %s", logs.String())
			}
			// A failed dump is retried on the next cycle, not after its cadence.
			f.set(PandaQueue, pqBody2, nil)
			if err := c.Refresh(t.Context(), later.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if _, ok := c.Index().Queue("Q2"); !ok {
				t.Error("recovered dump not used")
			}
		})
	}
}

func TestNoQueuesAtAll(t *testing.T) {
	f := newFake()
	f.set(PandaQueue, "", errors.New("down"))
	c, _ := newTestCatalog(t, t.TempDir(), f)
	if err := c.Refresh(t.Context(), t0); !errors.Is(err, ErrNoQueues) {
		t.Fatalf("err = %v, want ErrNoQueues", err)
	}
}

func TestCacheSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	f := newFake()
	c, _ := newTestCatalog(t, dir, f)
	if err := c.Refresh(t.Context(), t0); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, PandaQueue+".json"))
	if err != nil || string(got) != pqBody {
		t.Fatalf("cache file = %q, %v", got, err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*tmp")); len(tmp) > 0 {
		t.Errorf("temp files left: %v", tmp)
	}

	// Restart with every upstream down: the cached copies are used.
	down := newFake()
	for name := range down.bodies {
		down.set(name, "", errors.New("down"))
	}
	c2, logs := newTestCatalog(t, dir, down)
	c2.Load()
	if at, ok := c2.Held(PandaQueue); !ok || !at.Equal(t0) {
		t.Fatalf("Held after Load = %v %v, want %v", at, ok, t0)
	}
	if err := c2.Refresh(t.Context(), t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("Refresh after restart: %v", err)
	}
	if _, ok := c2.Index().Queue("Q1"); !ok {
		t.Error("cached queue missing after restart")
	}
	if !strings.Contains(logs.String(), "age=2h0m0s") {
		t.Errorf("warning does not name the cache age: %s", logs.String())
	}

	// A fresh-enough cached copy is not fetched again (cron mode).
	f3 := newFake()
	c3, _ := newTestCatalog(t, dir, f3)
	c3.Load()
	if err := c3.Refresh(t.Context(), t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := f3.count(PandaQueue); n != 0 {
		t.Errorf("pandaqueue fetched %d times despite a 5-minute-old cache", n)
	}
}

func TestCorruptCacheIgnored(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, PandaQueue+".json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, logs := newTestCatalog(t, dir, newFake())
	c.Load()
	if _, ok := c.Held(PandaQueue); ok {
		t.Error("corrupt cache loaded")
	}
	if !strings.Contains(logs.String(), "catalog cache ignored") {
		t.Errorf("no warning: %s", logs.String())
	}
}
