package derive

import "time"

// Window names one moving-average window. Every window ends at the
// Averager's current time t (the newest cycle time), skips gaps (a missing
// sample is not a zero) and is the plain mean of the samples it holds:
//
//   - Window1h, Window6h, Window12h, Window24h (w): samples with time in
//     (t-w, t].
//   - Window7d: samples with time in [floor_1h(t) - 7d + 1h, t]: the current
//     partial hour and the 167 complete hours before it. It is computed from
//     hour buckets (Σ sums / Σ samples), which equals the raw mean.
//   - Window30d: samples with time in [floor_1d(t) - 30d + 1d, t]: the
//     current partial day and the 29 complete days before it, from day
//     buckets.
//
// For a final state the mean is the mean count per interval.
type Window int

// The windows, in the order of Averages.Of.
const (
	Window1h Window = iota
	Window6h
	Window12h
	Window24h
	Window7d
	Window30d
	NumWindows
)

var windowNames = [NumWindows]string{"1h", "6h", "12h", "24h", "7d", "30d"}

var windowLengths = [NumWindows]time.Duration{Hour, 6 * Hour, 12 * Hour, Day, 7 * Day, 30 * Day}

// String returns the window's short name: "1h" ... "30d".
func (w Window) String() string {
	if w < 0 || w >= NumWindows {
		return "unknown"
	}
	return windowNames[w]
}

// Duration returns the window's nominal length.
func (w Window) Duration() time.Duration {
	if w < 0 || w >= NumWindows {
		return 0
	}
	return windowLengths[w]
}

// Average is one window's moving average of one series.
type Average struct {
	// Mean is the mean of the samples in the window; 0 when there are none
	// (never NaN: check Samples).
	Mean float64
	// Samples is the number of samples in the window.
	Samples int
	// Expected is the number of interval slots (multiples of the interval
	// since the epoch) in the window: w/interval for the raw windows, and
	// for 7d and 30d the slots of the closed range above, which is
	// 7d/interval (30d/interval) when t is the last slot of its hour (day).
	Expected int
	// Coverage is Samples/Expected in [0, 1]; 0 when Expected is 0.
	Coverage float64
}

// Averages are one series' moving averages at time End.
type Averages struct {
	End time.Time
	Of  [NumWindows]Average
}

// windowStart returns the first instant (Unix ns) of window w ending at now;
// the window is [windowStart, now].
func windowStart(w Window, now int64) int64 {
	switch w {
	case Window7d:
		return (floorDiv(now, hourNs) - 167) * hourNs
	case Window30d:
		return (floorDiv(now, dayNs) - 29) * dayNs
	}
	return now - int64(windowLengths[w]) + 1
}

// averages returns the windows' averages; the sums must be at now.
func (sr *series) averages(now, iv int64) (Averages, bool) {
	out := Averages{End: unixTime(now)}
	found := false
	for w := range NumWindows {
		r := &sr.wins[w]
		a := Average{Samples: r.n, Expected: slotsIn(windowStart(w, now)-1, now, iv)}
		if r.n > 0 {
			a.Mean = r.sum / float64(r.n)
			found = true
		}
		if a.Expected > 0 {
			a.Coverage = float64(r.n) / float64(a.Expected)
		}
		out.Of[w] = a
	}
	return out, found
}
