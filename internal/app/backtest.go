package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/prometheus/tsdb/fileutil"

	"github.com/qmonit/qmonit/internal/config"
	"github.com/qmonit/qmonit/internal/detect"
	"github.com/qmonit/qmonit/internal/notify"
	"github.com/qmonit/qmonit/internal/point"
	"github.com/qmonit/qmonit/internal/store/tsdb"
)

// replayChunk is how much raw history one store read holds in memory: 6 h
// of the default grid is ~0.9 M samples (~15 MB).
const replayChunk = 6 * time.Hour

// MaxBacktestRange bounds a backtest (the hourly rollups' retention; raw
// history is kept 35 days by default).
const MaxBacktestRange = 400 * 24 * time.Hour

// rawLog holds stored raw cycles on their way to the detector: every
// series' identity and attributes once, and per cycle time the series
// present and their values. Stale markers are not samples: a series absent
// from a cycle is missing, as it was for the live detector.
type rawLog struct {
	ids    map[string]int32
	series []detect.Observation // per id: Key and Attrs, Present
	byTime map[int64][]rawSample
}

type rawSample struct {
	id int32
	v  float64
}

func newRawLog() *rawLog {
	return &rawLog{ids: map[string]int32{}, byTime: map[int64][]rawSample{}}
}

// read loads the qmonit_jobs samples in [from, to] (inclusive).
func (l *rawLog) read(ctx context.Context, store *tsdb.Store, from, to time.Time) error {
	for s, err := range store.Select(ctx, from, to, tsdb.NameMatcher(tsdb.MetricJobs)) {
		if err != nil {
			return fmt.Errorf("read %s: %w", tsdb.MetricJobs, err)
		}
		id := l.id(s.Labels)
		for i, t := range s.T {
			if !isStale(s.V[i]) {
				l.byTime[t] = append(l.byTime[t], rawSample{id, s.V[i]})
			}
		}
	}
	return nil
}

func (l *rawLog) id(ls []tsdb.Label) int32 {
	k := labelKey(ls)
	if id, ok := l.ids[k]; ok {
		return id
	}
	p := pointFromLabels(ls)
	id := int32(len(l.series))
	l.ids[k] = id
	l.series = append(l.series, detect.Observation{Key: p.Key(), Attrs: *p.Attrs, Present: true})
	return id
}

// replay feeds the cycles held, oldest first, to det and calls each with
// every report; it then forgets them (the series table stays). It returns
// the number of cycles and the time spent inside the detector.
func (l *rawLog) replay(det *detect.Detector, each func(time.Time, detect.Report)) (int, time.Duration) {
	times := slices.Sorted(maps.Keys(l.byTime))
	var obs []detect.Observation
	var spent time.Duration
	for _, ms := range times {
		// Non-zero values first: the detector takes a queue's attributes
		// from its first observation in a cycle, and live that is one of
		// PanDA's points, not a zero-filled series carrying the attributes
		// it had when it vanished.
		obs = obs[:0]
		for _, nonZero := range []bool{true, false} {
			for _, s := range l.byTime[ms] {
				if (s.v != 0) == nonZero {
					o := l.series[s.id]
					o.Value = s.v
					obs = append(obs, o)
				}
			}
		}
		t := time.UnixMilli(ms).UTC()
		start := time.Now()
		rep := det.Observe(t, obs)
		spent += time.Since(start)
		if each != nil {
			each(t, rep)
		}
	}
	clear(l.byTime)
	return len(times), spent
}

// replayStore replays the raw cycles stored in [from, to] through det, in
// time order, reading replayChunk at a time.
func replayStore(ctx context.Context, store *tsdb.Store, det *detect.Detector, from, to time.Time,
	each func(time.Time, detect.Report),
) (cycles int, spent time.Duration, err error) {
	l := newRawLog()
	for lo := from; !lo.After(to); lo = lo.Add(replayChunk) {
		hi := lo.Add(replayChunk - time.Millisecond)
		if hi.After(to) {
			hi = to
		}
		if err := l.read(ctx, store, lo, hi); err != nil {
			return cycles, spent, err
		}
		n, d := l.replay(det, each)
		cycles, spent = cycles+n, spent+d
	}
	return cycles, spent, nil
}

// detectorHistory is how far back a restart replays raw cycles into the
// detector: a baseline span (the trailing window, or the seasonal days),
// plus the spans a flagged series' frozen baseline may still hold values
// from (see detect.Config.History).
func detectorHistory(cfg detect.Config) time.Duration { return cfg.History() }

// rebuildDetector restores the detector after a start by replaying the raw
// cycles of the last detectorHistory, so flags open before the restart keep
// their start and baseline, and no series looks new. The reports go to the
// incidents API (open and recently closed), never to notifications.
func (d *daemon) rebuildDetector(ctx context.Context, now time.Time) error {
	start := time.Now()
	from := now.Add(-detectorHistory(d.det.Config()))
	var last detect.Report
	cycles, spent, err := replayStore(ctx, d.store, d.det, from, now, func(t time.Time, rep detect.Report) {
		d.inc.record(t, rep)
		last = rep
	})
	if err != nil {
		return fmt.Errorf("rebuild detector: %w", err)
	}
	// The open incidents were announced before the restart: prime the
	// notifiers so the first live cycle does not announce them again.
	d.notify.Prime(now, notify.ScopeIncidents, notify.FromReport(detect.Report{Open: last.Open},
		notify.IncidentOptions{ExternalURL: d.cfg.Notify.ExternalURL}))
	d.logger.Info("detector state rebuilt from the store", "cycles", cycles, "open_incidents", len(last.Open),
		"detector_seconds", spent.Seconds(), "duration_seconds", time.Since(start).Seconds())
	return nil
}

// BacktestOptions configures `qmonit backtest`.
type BacktestOptions struct {
	Config   *config.Config
	From, To time.Time
	Output   string    // "json" (default) or "text"
	Stdout   io.Writer // incidents (json: a list; text: a table and the counts)
	Stderr   io.Writer // json: the counts per day and per cloud
	Logger   *slog.Logger
}

// BacktestIncident is one incident found by a backtest: the shape of
// `qmonit sim --incidents` (start, end, kind, queues; end null while open)
// plus the detector's evidence.
type BacktestIncident struct {
	ID        string           `json:"id"`
	Start     time.Time        `json:"start"`
	End       *time.Time       `json:"end"`
	Kind      string           `json:"kind"`
	State     string           `json:"state,omitempty"`
	Direction string           `json:"direction,omitempty"`
	Group     string           `json:"group,omitempty"`
	Clouds    []string         `json:"clouds"`
	Queues    []string         `json:"queues"`
	Expected  bool             `json:"expected"`
	Evidence  []detect.Finding `json:"evidence"`
}

// ErrStoreInUse is returned by Backtest when a running qmonit holds the
// store's lock.
var ErrStoreInUse = errors.New("store in use by a running qmonit")

// Backtest replays the raw history stored under the data directory between
// o.From and o.To through a detector with the configured settings (the
// detect section, at the configured interval) and prints the incidents that
// open in that range, with counts per day and per cloud. The baseline span
// before From (a day, or the seasonal days) is replayed first, unreported,
// so baselines are full at From. qmonit must not be running: the
// store is opened as serve opens it (its WAL is replayed, and the library
// may compact a long head into a block as serve would); backtest itself
// writes nothing.
func Backtest(ctx context.Context, o BacktestOptions) error {
	if o.Output == "" {
		o.Output = "json"
	}
	if o.Output != "json" && o.Output != "text" {
		return fmt.Errorf("output %q: want json or text", o.Output)
	}
	if !o.To.After(o.From) || o.To.Sub(o.From) > MaxBacktestRange {
		return fmt.Errorf("range %s..%s: want from before to, at most %v apart",
			o.From.Format(time.RFC3339), o.To.Format(time.RFC3339), MaxBacktestRange)
	}
	found, err := backtestStore(ctx, o.Config, o.From, o.To, o.Logger)
	if err != nil {
		return err
	}
	return writeBacktest(o, found)
}

// backtestStore opens the store under cfg's data directory and returns the
// incidents the configured detector opens between from and to (see Backtest).
func backtestStore(ctx context.Context, cfg *config.Config, from, to time.Time, logger *slog.Logger) ([]BacktestIncident, error) {
	dcfg, err := detectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	det, err := detect.New(dcfg)
	if err != nil {
		return nil, err
	}
	store, err := openStoreForBacktest(cfg, logger)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := store.Close(); err != nil {
			logger.Error("close store failed", "err", err)
		}
	}()
	found, cycles, spent, err := backtestIncidents(ctx, store, det, from, to)
	if err != nil {
		return nil, err
	}
	logger.Info("backtest done", "cycles", cycles, "incidents", len(found),
		"detector_ms_per_cycle", float64(spent.Microseconds())/1000/float64(max(cycles, 1)))
	if cycles == 0 {
		logger.Warn("no stored cycles in the range", "from", from.Format(time.RFC3339), "to", to.Format(time.RFC3339))
	}
	return found, nil
}

// openStoreForBacktest opens the store under the data directory, failing
// with a clear error when there is none or when qmonit holds its lock. The
// lock is probed before opening: opening removes temporary directories,
// which would break a running qmonit's compaction or backfill.
func openStoreForBacktest(cfg *config.Config, logger *slog.Logger) (*tsdb.Store, error) {
	dir := filepath.Join(cfg.DataDir, "tsdb")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("no store at %q (data_dir %q): %w", dir, cfg.DataDir, cmp.Or(err, fs.ErrNotExist))
	}
	lock := filepath.Join(dir, "lock")
	if _, err := os.Stat(lock); err == nil {
		r, _, err := fileutil.Flock(lock)
		if err != nil {
			return nil, fmt.Errorf("%w: cannot lock %q (%w); stop qmonit, or back-test a copy of the data directory",
				ErrStoreInUse, lock, err)
		}
		if err := r.Release(); err != nil {
			return nil, fmt.Errorf("release %q: %w", lock, err)
		}
	}
	quiet := slog.New(minLevel{logger.Handler(), slog.LevelWarn}) // the library's Info lines are noise here
	store, err := tsdb.Open(dir, tsdb.Options{
		Interval:  time.Duration(cfg.Interval),
		Retention: time.Duration(cfg.Storage.Retention.Daily),
	}, quiet.With("component", "tsdb"))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return store, nil
}

// minLevel drops the records of its handler under min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

// backtestIncidents replays [from-span, to] and returns the incidents
// that opened in [from, to], by start: each in the state it ended in (its
// last evidence; End nil while open at to), with the queues and clouds it
// covered while open.
func backtestIncidents(ctx context.Context, store *tsdb.Store, det *detect.Detector, from, to time.Time,
) ([]BacktestIncident, int, time.Duration, error) {
	byID := map[string]*BacktestIncident{}
	queues, clouds := map[string]map[string]bool{}, map[string]map[string]bool{}
	cycles, spent, err := replayStore(ctx, store, det, from.Add(-det.Config().Span()), to, func(t time.Time, rep detect.Report) {
		for _, inc := range rep.Opened {
			if !inc.Start.Before(from) {
				byID[inc.ID] = &BacktestIncident{}
				queues[inc.ID], clouds[inc.ID] = map[string]bool{}, map[string]bool{}
			}
		}
		for _, list := range [][]detect.Incident{rep.Open, rep.Closed} {
			for _, inc := range list {
				if b := byID[inc.ID]; b != nil {
					*b = BacktestIncident{ID: inc.ID, Start: inc.Start, End: inc.End, Kind: inc.Kind, State: inc.State,
						Direction: inc.Direction, Group: inc.Group, Expected: inc.Expected, Evidence: inc.Evidence}
					for _, q := range inc.Queues {
						queues[inc.ID][q] = true
					}
					for _, f := range inc.Evidence {
						if f.Cloud != "" && f.Cloud != point.NoValue {
							clouds[inc.ID][f.Cloud] = true
						}
					}
				}
			}
		}
	})
	if err != nil {
		return nil, 0, 0, err
	}
	out := make([]BacktestIncident, 0, len(byID))
	for id, b := range byID {
		b.Queues = slices.Sorted(maps.Keys(queues[id]))
		b.Clouds = append([]string{}, slices.Sorted(maps.Keys(clouds[id]))...)
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b BacktestIncident) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, cycles, spent, nil
}

func writeBacktest(o BacktestOptions, incs []BacktestIncident) error {
	if o.Output == "json" {
		enc := json.NewEncoder(o.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(incs); err != nil {
			return fmt.Errorf("write incidents: %w", err)
		}
		return writeCounts(o.Stderr, incs)
	}
	if err := writeIncidentTable(o.Stdout, incs); err != nil {
		return err
	}
	return writeCounts(o.Stdout, incs)
}

// writeIncidentTable prints one line per incident.
func writeIncidentTable(w io.Writer, incs []BacktestIncident) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tEND\tKIND\tSTATE\tDIRECTION\tGROUP\tEXPECTED\tQUEUES")
	for _, inc := range incs {
		end := "open"
		if inc.End != nil {
			end = inc.End.UTC().Format(time.RFC3339)
		}
		qs := strings.Join(inc.Queues[:min(len(inc.Queues), 3)], ",")
		if len(inc.Queues) > 3 {
			qs += fmt.Sprintf(" (+%d more)", len(inc.Queues)-3)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%v\t%s\n", inc.Start.UTC().Format(time.RFC3339), end, inc.Kind,
			dash(inc.State), dash(inc.Direction), dash(inc.Group), inc.Expected, qs)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write incidents: %w", err)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeCounts prints the totals, per day (of the start, UTC) and per cloud
// (an incident spanning clouds counts once in each).
func writeCounts(w io.Writer, incs []BacktestIncident) error {
	perDay, perCloud := map[string]int{}, map[string]int{}
	for _, inc := range incs {
		perDay[inc.Start.UTC().Format(time.DateOnly)]++
		for _, cl := range inc.Clouds {
			perCloud[cl]++
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\n%d incidents\n", len(incs))
	for _, t := range []struct {
		head string
		n    map[string]int
	}{{"DAY", perDay}, {"CLOUD", perCloud}} {
		fmt.Fprintf(tw, "\n%s\tINCIDENTS\n", t.head)
		for _, k := range slices.Sorted(maps.Keys(t.n)) {
			fmt.Fprintf(tw, "%s\t%d\n", k, t.n[k])
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write counts: %w", err)
	}
	return nil
}
