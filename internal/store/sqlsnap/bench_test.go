package sqlsnap

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/qmonit/qmonit/internal/point"
)

// BenchmarkWriteSQLite writes cycles of 2,500 rows, the size of the grid,
// into a SQLite file; every cycle updates every row. "realistic" has short
// names like PanDA's, "hostile" the long and odd strings of the tests.
func BenchmarkWriteSQLite(b *testing.B) {
	const rowsPerCycle = 2500
	for _, bc := range []struct {
		name   string
		cycles [2][]Row
	}{
		{"2500-rows-realistic", [2][]Row{realistic(rowsPerCycle, 1), realistic(rowsPerCycle, 2)}},
		{"2500-rows-hostile", [2][]Row{fixture(rowsPerCycle, 1), fixture(rowsPerCycle, 2)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d, err := Open(b.Context(), "", b.TempDir(), slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { d.Close() })
			now := t0
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				now = now.Add(10 * time.Minute)
				if err := d.Write(b.Context(), bc.cycles[n%2], now, time.Hour); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(n), "ms/cycle")
			b.ReportMetric(float64(n*rowsPerCycle)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// realistic returns n rows shaped like PanDA's: short ASCII names, most
// states present, averages and datadisk known.
func realistic(n, seed int) []Row {
	rows := make([]Row, n)
	resources := []string{"SCORE", "MCORE", "SCORE_HIMEM", "MCORE_HIMEM"}
	for i := range rows {
		r := &rows[i]
		r.Queue = fmt.Sprintf("SITE%03d_QUEUE%d", i/8, i%2)
		r.ProdSource = []string{"managed", "user"}[i/4%2]
		r.Resource = resources[i%4]
		for a := range r.Attrs {
			r.Attrs[a] = fmt.Sprintf("%s-%d", point.AttrNames[a], i%50)
		}
		r.ResourceFactor, r.Corepower, r.Pledge = 1, 10.5, 120000
		r.Jobs = make(map[string]int64, len(states))
		for s, st := range states {
			r.Jobs[st] = int64((i*7 + s*13 + seed) % 500)
		}
		r.Avg = make(map[string]*float64, len(avgKeys))
		for k, key := range avgKeys {
			r.Avg[key] = f64(float64(i+k+seed) / 3)
		}
		r.Coverage24h = f64(0.97)
		r.DatadiskName, r.DatadiskGB, r.DatadiskFiles = str(r.Queue+"_DATADISK"), f64(51234.5), i64(123456)
	}
	return rows
}
