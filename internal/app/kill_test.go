package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/derive"
	"github.com/qmonit/qmonit/internal/sim"
)

// The kill -9 test re-executes the test binary as a daemon (crashChild),
// which runs cycles back to back against an in-process simulated grid and,
// after each completed cycle, records its moving averages. The test kills
// it with SIGKILL at a random moment inside a cycle, reopens the data
// directory as a restart would, and checks that the rebuilt averages equal
// those after the last completed cycle: at most the cycle in flight is lost.

const (
	crashChildEnv = "QMONIT_TEST_CRASH_CHILD_DIR"
	crashQueues   = 30
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(3)
		}
		return
	}
	os.Exit(m.Run())
}

type avgDump struct {
	Cycle    int                                      `json:"cycle"`
	Time     time.Time                                `json:"time"`
	Averages map[string][derive.NumWindows][2]float64 `json:"averages"` // key -> window -> (mean, samples)
}

func keyString(k derive.Key) string {
	return strings.Join([]string{k.Queue, k.ProdSource, k.Resource, k.Status}, "\x1f")
}

func dumpAverages(avg *derive.Averager, cycle int, t time.Time) avgDump {
	out := avgDump{Cycle: cycle, Time: t, Averages: map[string][derive.NumWindows][2]float64{}}
	for k, a := range avg.All() {
		var v [derive.NumWindows][2]float64
		for w := range derive.NumWindows {
			v[w] = [2]float64{a.Of[w].Mean, float64(a.Of[w].Samples)}
		}
		out.Averages[keyString(k)] = v
	}
	return out
}

// crashConfig is the configuration of the child and of the restarted daemon.
func crashConfig(dir, simURL string, g *sim.Grid) (*config.Config, error) {
	env := map[string]string{"QMONIT_DATA_DIR": dir}
	for _, line := range g.Env(simURL) {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return config.Load("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func crashChild(dir string) error {
	cg := &clockedGrid{}
	cg.Grid = sim.New(sim.Options{Seed: 5, Queues: crashQueues, Now: func() time.Time { return time.Unix(0, cg.now.Load()).UTC() }})
	srv := httptest.NewServer(cg.Handler())
	defer srv.Close()
	cfg, err := crashConfig(dir, srv.URL, cg.Grid)
	if err != nil {
		return err
	}
	ctx := context.Background()
	d, err := openDaemon(ctx, cfg, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		return err
	}
	if err := d.rebuild(ctx, day0); err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		at := day0.Add(time.Duration(i) * 10 * time.Minute)
		cg.set(at)
		d.cycle(ctx, at)
		if st := d.status.Load(); st.LastError != "" {
			return fmt.Errorf("cycle %d: %s", i, st.LastError)
		}
		b, err := json.Marshal(dumpAverages(d.avg, i, at))
		if err != nil {
			return err
		}
		tmp := filepath.Join(dir, "averages.json.tmp")
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, "averages.json")); err != nil {
			return err
		}
		fmt.Fprintln(out, "done", i)
		if err := out.Flush(); err != nil {
			return err
		}
	}
}

func TestKill9DuringCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a daemon in a child process")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const before = 40 // cycles completed before the kill: over six hours of data
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if n, _ := strconv.Atoi(strings.TrimPrefix(sc.Text(), "done ")); n >= before {
			break
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// The next cycle is running now; kill it somewhere inside.
	time.Sleep(time.Duration(rand.IntN(60)) * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if strings.Contains(stderr.String(), "crash child:") {
		t.Fatalf("child failed before the kill: %s", stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "averages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want avgDump
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}

	// Restart: open what the kill left and rebuild as of the last completed
	// cycle (a half-written cycle after it is ignored by the rebuild window).
	g := sim.New(sim.Options{Seed: 5, Queues: crashQueues})
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	cfg, err := crashConfig(dir, srv.URL, g)
	if err != nil {
		t.Fatal(err)
	}
	d := openTestDaemon(t, cfg, want.Time)
	defer d.close()
	got := dumpAverages(d.avg, want.Cycle, want.Time)
	if len(want.Averages) == 0 || len(got.Averages) != len(want.Averages) {
		t.Fatalf("after the kill at cycle %d: %d series rebuilt, %d before", want.Cycle+1, len(got.Averages), len(want.Averages))
	}
	diffs := 0
	for k, w := range want.Averages {
		if gv := got.Averages[k]; gv != w {
			for i := range w {
				if !near(w[i][0], gv[i][0]) || w[i][1] != gv[i][1] {
					if diffs < 3 {
						t.Errorf("%q window %d: before %v, after %v", k, i, w[i], gv[i])
					}
					diffs++
				}
			}
		}
	}
	if diffs > 0 {
		t.Fatalf("%d averages differ after kill -9 and restart", diffs)
	}
	t.Logf("killed during cycle %d; %d series' averages rebuilt equal", want.Cycle+1, len(want.Averages))
}
