package config

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "0s", want: 0},
		{in: "90s", want: 90 * time.Second},
		{in: "10m", want: 10 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1.5h", want: 90 * time.Minute},
		{in: "30d", want: 30 * day},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1d12h30m", want: 36*time.Hour + 30*time.Minute},
		{in: "0d", want: 0},
		{in: "3650d", want: 3650 * day},
		{in: "-1d", want: -day},
		{in: "106751d", want: 106751 * day},
		{in: "", wantErr: true},
		{in: "-", wantErr: true},
		{in: "x", wantErr: true},
		{in: "600", wantErr: true},
		{in: "d", wantErr: true},
		{in: "1.5d", wantErr: true},
		{in: "1d-1h", wantErr: true},
		{in: "1d+1h", wantErr: true},
		{in: "1d1d", wantErr: true},
		{in: "--1d", wantErr: true},
		{in: "106752d", wantErr: true},
		{in: "106751d24h", wantErr: true},
		{in: "1w", wantErr: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.wantErr || time.Duration(got) != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v, err %v", tt.in, time.Duration(got), err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Millisecond, "500ms"},
		{30 * time.Second, "30s"},
		{10 * time.Minute, "10m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{day, "1d"},
		{36 * time.Hour, "1d12h"},
		{day + time.Second, "1d1s"},
		{35 * day, "35d"},
		{-day, "-1d"},
		{math.MaxInt64, "106751d23h47m16.854775807s"},
		{math.MinInt64, time.Duration(math.MinInt64).String()},
	} {
		t.Run(tt.want, func(t *testing.T) {
			d := Duration(tt.in)
			if got := d.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			if tt.in == math.MinInt64 {
				return
			}
			back, err := ParseDuration(d.String())
			if err != nil || back != d {
				t.Errorf("ParseDuration(%q) = %v, %v; want round trip", d.String(), back, err)
			}
		})
	}
}

func TestDurationMarshal(t *testing.T) {
	type doc struct {
		D Duration `yaml:"d" json:"d"`
	}
	in := doc{D: Duration(30 * day)}
	t.Run("yaml", func(t *testing.T) {
		out, err := yaml.Marshal(in)
		if err != nil || string(out) != "d: 30d\n" {
			t.Fatalf("yaml.Marshal = %q, %v", out, err)
		}
		var back doc
		if err := yaml.Unmarshal(out, &back); err != nil || back != in {
			t.Errorf("yaml round trip = %v, %v", back, err)
		}
	})
	t.Run("json", func(t *testing.T) {
		out, err := json.Marshal(in)
		if err != nil || string(out) != `{"d":"30d"}` {
			t.Fatalf("json.Marshal = %s, %v", out, err)
		}
		var back doc
		if err := json.Unmarshal(out, &back); err != nil || back != in {
			t.Errorf("json round trip = %v, %v", back, err)
		}
	})
}
