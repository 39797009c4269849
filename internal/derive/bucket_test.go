package derive

import (
	"errors"
	"testing"
	"time"
)

func TestIsFinal(t *testing.T) {
	for _, s := range []string{"finished", "failed", "cancelled", "closed"} {
		if !IsFinal(s) {
			t.Errorf("IsFinal(%q) = false", s)
		}
	}
	for _, s := range []string{"pending", "defined", "waiting", "assigned", "throttled", "activated",
		"sent", "starting", "running", "holding", "transferring", "merging", "", "Finished"} {
		if IsFinal(s) {
			t.Errorf("IsFinal(%q) = true", s)
		}
	}
}

func TestBucketValue(t *testing.T) {
	for _, tt := range []struct {
		name, status string
		b            Bucket
		want         float64
	}{
		{name: "snapshot is the mean", status: "running", b: Bucket{Sum: 60, Samples: 6}, want: 10},
		{name: "final is the sum", status: "finished", b: Bucket{Sum: 60, Samples: 6}, want: 60},
		{name: "final with gaps sums what is present", status: "failed", b: Bucket{Sum: 9, Samples: 3}, want: 9},
		{name: "snapshot with gaps averages what is present", status: "activated", b: Bucket{Sum: 9, Samples: 3}, want: 3},
		{name: "empty snapshot", status: "running", b: Bucket{}, want: 0},
		{name: "empty final", status: "closed", b: Bucket{}, want: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Value(tt.status); got != tt.want {
				t.Fatalf("Value(%q) = %v, want %v", tt.status, got, tt.want)
			}
		})
	}
}

func TestBucketCoverage(t *testing.T) {
	start := time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
	check := func(b Bucket, size, iv time.Duration, want float64) {
		t.Helper()
		if got := b.Coverage(size, iv); got != want {
			t.Errorf("Coverage(%v, %v) of %d samples = %v, want %v", size, iv, b.Samples, got, want)
		}
	}
	check(Bucket{Start: start, Samples: 6}, Hour, 10*time.Minute, 1)
	check(Bucket{Start: start, Samples: 3}, Hour, 10*time.Minute, 0.5)
	check(Bucket{Start: start, Samples: 72}, Day, 10*time.Minute, 0.5)
	check(Bucket{Start: start, Samples: 24}, Day, time.Hour, 1)
	check(Bucket{Start: start, Samples: 0}, Hour, time.Minute, 0)
}

func TestBucketStart(t *testing.T) {
	india := time.FixedZone("IST", 5*3600+1800)
	chile := time.FixedZone("CLT", -3*3600)
	for _, tt := range []struct {
		name string
		in   time.Time
		size time.Duration
		want time.Time
	}{
		{"hour in UTC", time.Date(2024, 3, 10, 13, 59, 59, 999, time.UTC), Hour, time.Date(2024, 3, 10, 13, 0, 0, 0, time.UTC)},
		{"on the boundary", time.Date(2024, 3, 10, 13, 0, 0, 0, time.UTC), Hour, time.Date(2024, 3, 10, 13, 0, 0, 0, time.UTC)},
		{"hour from a half-hour zone", time.Date(2024, 3, 10, 3, 10, 0, 0, india), Hour, time.Date(2024, 3, 9, 21, 0, 0, 0, time.UTC)},
		{"day from a zone ahead of UTC", time.Date(2024, 3, 10, 3, 30, 0, 0, india), Day, time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC)},
		{"day from a zone behind UTC", time.Date(2024, 3, 10, 22, 0, 0, 0, chile), Day, time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC)},
		{"day across a US DST change is 24h", time.Date(2024, 3, 10, 23, 59, 0, 0, time.UTC), Day, time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)},
		{"day across a leap day", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC), Day, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"before the epoch floors down", time.Date(1969, 12, 31, 23, 30, 0, 0, time.UTC), Hour, time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)},
		{"10m slot", time.Date(2024, 3, 10, 13, 27, 0, 0, time.UTC), 10 * time.Minute, time.Date(2024, 3, 10, 13, 20, 0, 0, time.UTC)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := BucketStart(tt.in, tt.size)
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Fatalf("BucketStart(%v, %v) = %v, want %v (UTC)", tt.in, tt.size, got, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{Interval: 30 * time.Second}, {Interval: 2 * time.Hour}, {}, {Interval: time.Minute, Late: -time.Hour},
	} {
		if _, err := NewRoller(c); !errors.Is(err, ErrConfig) {
			t.Errorf("NewRoller(%+v) error = %v, want ErrConfig", c, err)
		}
		if _, err := NewAverager(c); !errors.Is(err, ErrConfig) {
			t.Errorf("NewAverager(%+v) error = %v, want ErrConfig", c, err)
		}
	}
	for _, iv := range []time.Duration{time.Minute, 5 * time.Minute, 7 * time.Minute, time.Hour} {
		if _, err := NewRoller(Config{Interval: iv}); err != nil {
			t.Errorf("NewRoller(%v): %v", iv, err)
		}
	}
}
