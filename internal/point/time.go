package point

import "time"

// Floor returns t floored to a multiple of interval since the Unix epoch, in
// UTC: a cycle's time, and so the time of its points. An interval under one
// second is treated as one second.
func Floor(t time.Time, interval time.Duration) time.Time {
	step := max(int64(interval/time.Second), 1)
	s := t.Unix()
	s -= ((s % step) + step) % step
	return time.Unix(s, 0).UTC()
}
