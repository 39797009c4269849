package point

import (
	"testing"
	"time"
)

func TestFloor(t *testing.T) {
	for _, tt := range []struct {
		in       time.Time
		interval time.Duration
		want     time.Time
	}{
		{time.Date(2021, 7, 15, 10, 9, 59, 999, time.UTC), 10 * time.Minute, time.Date(2021, 7, 15, 10, 0, 0, 0, time.UTC)},
		{time.Date(2021, 7, 15, 10, 10, 0, 0, time.UTC), 10 * time.Minute, time.Date(2021, 7, 15, 10, 10, 0, 0, time.UTC)},
		{time.Date(2021, 7, 15, 12, 10, 0, 0, time.FixedZone("CEST", 7200)), time.Hour, time.Date(2021, 7, 15, 10, 0, 0, 0, time.UTC)},
		{time.Date(2021, 7, 15, 10, 6, 0, 0, time.UTC), 7 * time.Minute, time.Unix(1626343320, 0).UTC()}, // 7-minute steps since the epoch: 10:02,
	} {
		if got := Floor(tt.in, tt.interval); !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Floor(%v, %v) = %v, want %v", tt.in, tt.interval, got, tt.want)
		}
	}
}
