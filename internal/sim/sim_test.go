package sim

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDeterminism(t *testing.T) {
	at := "at=" + testTime().Format(time.RFC3339)
	atSameCycle := "at=" + testTime().Add(5*time.Minute).Format(time.RFC3339)
	jsonHdr := map[string]string{"Accept": "application/json"}
	auth := map[string]string{"Authorization": "Bearer t"}
	msBody := "{\"index\":[\"x\"]}\n{\"size\":0}\n"
	for _, tt := range []struct {
		name, method, path string
		hdr                map[string]string
		body               string
	}{
		{name: "v1 json", method: "GET", path: PathPandaV1 + "?time_window=10&", hdr: jsonHdr},
		{name: "v1 repr", method: "GET", path: PathPandaV1 + "?time_window=60&"},
		{name: "legacy", method: "GET", path: PathPandaLegacy + "?time_window=10&"},
		{name: "pandaqueue", method: "GET", path: PathPandaQueue + "?json&"},
		{name: "site", method: "GET", path: PathSite + "?json&"},
		{name: "ddmendpoint", method: "GET", path: PathDDMEndpoint + "?json&"},
		{name: "federation", method: "GET", path: PathFederation + "?json&"},
		{name: "msearch", method: "POST", path: PathMsearch + "?", hdr: auth, body: msBody},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestGrid(t, Options{Queues: 200}).Handler()
			b := newTestGrid(t, Options{Queues: 200}).Handler()
			r1 := do(t, a, tt.method, tt.path+at, tt.hdr, tt.body)
			r2 := do(t, b, tt.method, tt.path+at, tt.hdr, tt.body)
			r3 := do(t, a, tt.method, tt.path+atSameCycle, tt.hdr, tt.body)
			if r1.Code != 200 || r1.Body.Len() == 0 {
				t.Fatalf("status %d, %d bytes", r1.Code, r1.Body.Len())
			}
			if !bytes.Equal(r1.Body.Bytes(), r2.Body.Bytes()) || !bytes.Equal(r1.Body.Bytes(), r3.Body.Bytes()) {
				t.Errorf("same seed and cycle gave different bodies")
			}
			other := newTestGrid(t, Options{Queues: 200, Seed: 2}).Handler()
			r4 := do(t, other, tt.method, tt.path+at, tt.hdr, tt.body)
			if bytes.Equal(r1.Body.Bytes(), r4.Body.Bytes()) {
				t.Errorf("seeds 1 and 2 gave the same body")
			}
		})
	}
}

func TestStatsDeterministic(t *testing.T) {
	g1, g2 := newTestGrid(t, Options{}), newTestGrid(t, Options{})
	tt := testTime()
	if !reflect.DeepEqual(g1.Stats(tt, 10), g2.Stats(tt.Add(time.Minute), 10)) {
		t.Fatal("Stats differ for the same seed and cycle")
	}
	if reflect.DeepEqual(g1.Stats(tt, 10), newTestGrid(t, Options{Seed: 7}).Stats(tt, 10)) {
		t.Fatal("Stats equal for different seeds")
	}
	if reflect.DeepEqual(g1.Stats(tt, 10), g1.Stats(tt.Add(10*time.Minute), 10)) {
		t.Fatal("Stats equal for consecutive cycles")
	}
}

func TestDefaultSize(t *testing.T) {
	g := newTestGrid(t, Options{})
	if n := len(g.sites); n < 110 || n > 130 {
		t.Errorf("sites = %d, want about 120", n)
	}
	if n := len(g.clouds); n < 12 {
		t.Errorf("clouds = %d, want at least 12", n)
	}
	names := g.QueueNames()
	if n := len(names); n < 900 || n > 1100 {
		t.Errorf("queues = %d, want about 1000", n)
	}
	if !slices.IsSorted(names) {
		t.Error("QueueNames not sorted")
	}
	for h := 0; h < 24; h += 6 {
		a := g.Stats(testTime().Add(time.Duration(h)*time.Hour), 10)
		n := 0
		for _, byLabel := range a {
			for _, byRes := range byLabel {
				for _, states := range byRes {
					n += len(states)
				}
			}
		}
		if n < 20000 {
			t.Errorf("at +%dh: %d entries, want >= 20000", h, n)
		}
	}
}

func TestStatesLabelsResources(t *testing.T) {
	g := newTestGrid(t, Options{})
	a := g.Stats(testTime(), 60)
	seen := map[string]bool{}
	for q, byLabel := range a {
		for label, byRes := range byLabel {
			seen["label:"+label] = true
			for res, states := range byRes {
				seen["res:"+res] = true
				for _, st := range []string{"assigned", "activated", "running", "finished", "failed"} {
					if _, ok := states[st]; !ok {
						t.Fatalf("%s/%s/%s lacks zero-filled %q", q, label, res, st)
					}
				}
				for st, v := range states {
					seen["state:"+st] = true
					if v < 0 || (v == 0 && !strings.Contains("assigned activated running finished failed", st)) {
						t.Fatalf("%s/%s/%s/%s = %d", q, label, res, st, v)
					}
				}
			}
		}
	}
	var want []string
	for _, l := range []string{"managed", "user", "test", "unknown"} {
		want = append(want, "label:"+l)
	}
	for _, r := range []string{"SCORE", "MCORE", "SCORE_HIMEM", "MCORE_HIMEM", "SCORE_LOMEM", "MCORE_LOMEM", "null"} {
		want = append(want, "res:"+r)
	}
	for _, s := range jobStates {
		want = append(want, "state:"+s)
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("never saw %s", w)
		}
	}
	if sumState(a, nil, "running") == 0 {
		t.Error("no running jobs")
	}
}

func TestOddQueueNames(t *testing.T) {
	g := newTestGrid(t, Options{})
	names := g.QueueNames()
	for _, n := range []string{"SLAC_ES", "TEST_Zürich queue", "UKI-LT2-QMUL_RT=SCORE,MCORE",
		"<img src=x onerror=alert(1)>", "ANALY_SLAC_LMEM", "NIKHEF-ELPROD_OLD", "CERN-PROD_SL7_RETIRED"} {
		if _, ok := slices.BinarySearch(names, n); !ok {
			t.Errorf("QueueNames lacks %q", n)
		}
	}
	a := g.Stats(testTime(), 10)
	if _, ok := a["TEST_Zürich queue"]; !ok {
		t.Error("Stats lacks the non-ASCII queue")
	}
}

func TestTimeWindowScaling(t *testing.T) {
	g := newTestGrid(t, Options{})
	a10, a60, a0 := g.Stats(testTime(), 10), g.Stats(testTime(), 60), g.Stats(testTime(), 0)
	for _, st := range []string{"finished", "failed"} {
		n10, n60 := sumState(a10, nil, st), sumState(a60, nil, st)
		if r := float64(n60) / float64(n10); r < 4.5 || r > 7.5 {
			t.Errorf("%s: window 60 / window 10 = %d / %d = %.2f, want about 6", st, n60, n10, r)
		}
		if n := sumState(a0, nil, st); n != 0 {
			t.Errorf("%s with window 0 = %d", st, n)
		}
	}
	for _, st := range []string{"running", "activated", "holding"} {
		if sumState(a10, nil, st) != sumState(a60, nil, st) {
			t.Errorf("%s depends on the window", st)
		}
	}
	week := sumState(g.Stats(testTime(), 10080), nil, "finished")
	if r := float64(week) / float64(sumState(a10, nil, "finished")); r < 700 || r > 1300 {
		t.Errorf("finished over 7 days / 10 min = %.0f, want about 1008", r)
	}
}

func TestEnv(t *testing.T) {
	got := newTestGrid(t, Options{Queues: 20}).Env("http://127.0.0.1:8080/")
	want := []string{
		"QMONIT_SOURCES_PANDA_URL=http://127.0.0.1:8080",
		"QMONIT_SOURCES_CRIC_PANDAQUEUE_URL=http://127.0.0.1:8080/api/atlas/pandaqueue/query/?json",
		"QMONIT_SOURCES_CRIC_SITE_URL=http://127.0.0.1:8080/api/atlas/site/query/?json",
		"QMONIT_SOURCES_CRIC_DDMENDPOINT_URL=http://127.0.0.1:8080/api/atlas/ddmendpoint/query/?json",
		"QMONIT_SOURCES_WLCG_FEDERATION_URL=http://127.0.0.1:8080/api/core/federation/query/?json",
		"QMONIT_SOURCES_DATADISK_URL=http://127.0.0.1:8080/api/datasources/proxy/9037/_msearch",
		"QMONIT_SOURCES_DATADISK_BEARER_TOKEN=sim-token",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Env =\n%q\nwant\n%q", got, want)
	}
}

func TestSmallGrid(t *testing.T) {
	for _, n := range []int{1, 20, 50} {
		g := newTestGrid(t, Options{Queues: n})
		if len(g.QueueNames()) < 15 || len(g.Stats(testTime(), 10)) == 0 {
			t.Errorf("Queues=%d: %d names", n, len(g.QueueNames()))
		}
		if len(g.Incidents(testTime(), testTime().Add(7*24*time.Hour))) == 0 {
			t.Errorf("Queues=%d: no incidents", n)
		}
	}
}

func TestUnknownPath(t *testing.T) {
	h := newTestGrid(t, Options{Queues: 20}).Handler()
	for _, p := range []string{"/", "/api/v1/statistics/other", "/api/atlas/pandaqueue/query/x"} {
		if rec := do(t, h, "GET", p, nil, ""); rec.Code != 404 {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}
