package influx

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/store/spool"
)

func rollupOptions(url string) Options {
	return Options{URL: url, Database: "qmonit", RetentionPolicy: "10m",
		HourlyRetentionPolicy: "1h", DailyRetentionPolicy: "1d", BatchSize: 3}
}

func TestRollupsGoToTheirRetentionPolicy(t *testing.T) {
	f, srv := newFake(t)
	s, err := New(rollupOptions(srv.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	pts := synthPoints(5, t0)
	rs := make([]Rollup, len(pts))
	for i := range pts {
		rs[i] = Rollup{Point: &pts[i], Start: t0.Truncate(time.Hour), Value: float64(i) + 0.5, Samples: 6}
	}
	ctx := context.Background()
	var sent int
	for _, tg := range []Target{Hourly, Daily} {
		batches := s.EncodeRollups(tg, rs)
		if len(batches) != 2 { // 5 rollups, 3 per batch
			t.Fatalf("%s: %d batches, want 2", tg, len(batches))
		}
		for _, b := range batches {
			if err := s.Send(ctx, b); err != nil {
				t.Fatalf("%s: send: %v", tg, err)
			}
			sent++
		}
	}
	if err := s.Send(ctx, s.Encode(pts)[0]); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) != sent+1 {
		t.Fatalf("%d requests, want %d", len(f.reqs), sent+1)
	}
	wantRP := []string{"1h", "1h", "1d", "1d", "10m"}
	for i, r := range f.reqs {
		if r.Query["rp"] != wantRP[i] || r.Query["db"] != "qmonit" {
			t.Errorf("request %d: db=%q rp=%q, want qmonit/%s", i, r.Query["db"], r.Query["rp"], wantRP[i])
		}
		for _, l := range r.Lines {
			if strings.HasPrefix(l, "#") {
				t.Errorf("request %d sent the target header %q", i, l)
			}
		}
	}
	first := f.reqs[0].Lines[0]
	wantTS := " " + strconv.FormatInt(t0.Truncate(time.Hour).UnixNano(), 10)
	if !strings.HasPrefix(first, "jobs,") || !strings.Contains(first, " jobs=0.5,samples=6i,resource_factor=1,") ||
		!strings.HasSuffix(first, wantTS) {
		t.Errorf("rollup line = %q", first)
	}
}

func TestDatadisksLine(t *testing.T) {
	f, srv := newFake(t)
	s, err := New(rollupOptions(srv.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Datadisk{Time: t0, Queue: "ANALY_X, y", Datadisk: "CERN-PROD_DATADISK", Cloud: "CERN",
		OccupiedGB: 1234.5, Files: 42, RunningAvg: [6]float64{1, 2, 3, 4.5, 5, 6}, ResourceFactor: 8}
	b := s.EncodeDatadisks([]Datadisk{d})
	if len(b) != 1 {
		t.Fatalf("%d batches", len(b))
	}
	if err := s.Send(context.Background(), b[0]); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	want := `datadisks,atlas_site=No\ value,cloud=CERN,datadisk=CERN-PROD_DATADISK,panda_queue=ANALY_X\,\ y,tier=No\ value ` +
		`files=42i,occupied_gb=1234.5,resource_factor=8,running_avg1h=1,running_avg6h=2,running_avg12h=3,` +
		`running_avg24h=4.5,running_avg7d=5,running_avg30d=6 ` + strconv.FormatInt(t0.UnixNano(), 10)
	if got := f.reqs[0].Lines; len(got) != 1 || got[0] != want {
		t.Errorf("datadisks lines = %q\nwant %q", got, want)
	}
	if f.reqs[0].Query["rp"] != "1h" {
		t.Errorf("datadisks rp = %q, want 1h", f.reqs[0].Query["rp"])
	}
}

func TestTargetsV2Buckets(t *testing.T) {
	f, srv := newFake(t)
	s, err := New(Options{URL: srv.URL, Version: 2, Org: "o", Bucket: "raw", HourlyBucket: "h"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasTarget(Hourly) || s.HasTarget(Daily) {
		t.Fatalf("HasTarget hourly=%v daily=%v, want true false", s.HasTarget(Hourly), s.HasTarget(Daily))
	}
	pts := synthPoints(1, t0)
	rs := []Rollup{{Point: &pts[0], Start: t0, Value: 1, Samples: 1}}
	if got := s.EncodeRollups(Daily, rs); got != nil {
		t.Errorf("EncodeRollups(Daily) without a daily bucket = %d batches, want none", len(got))
	}
	if err := s.Send(context.Background(), s.EncodeRollups(Hourly, rs)[0]); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r := f.reqs[0]; r.Path != "/api/v2/write" || r.Query["bucket"] != "h" || r.Query["org"] != "o" {
		t.Errorf("v2 hourly request = %s %v", r.Path, r.Query)
	}
}

func TestSendRejectsUnknownOrUnconfiguredTarget(t *testing.T) {
	_, srv := newFake(t)
	s, err := New(Options{URL: srv.URL, Database: "db"}, nil) // no rollup RPs
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []string{
		"#qmonit-target hourly\njobs x=1 1\n",
		"#qmonit-target weekly\njobs x=1 1\n",
		"#qmonit-target hourly",
	} {
		err := s.Send(context.Background(), []byte(batch))
		if !errors.Is(err, spool.ErrPermanent) {
			t.Errorf("Send(%q) = %v, want a permanent error", batch, err)
		}
	}
}
