package point

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func testPoint(queue string) Point {
	var a Attrs
	for i := range a {
		a[i] = NoValue
	}
	a[Cloud] = "US"
	a[PledgeType] = "73000 (CPU);6600 (Disk)"
	return Point{
		Time: time.Date(2021, 7, 15, 10, 0, 0, 0, time.UTC), Queue: queue, ProdSource: "managed",
		Resource: "MCORE", Status: "running", Attrs: &a, Jobs: 410, ResourceFactor: 8, Corepower: 10.96, Pledge: 73000,
	}
}

func TestAppendJSON(t *testing.T) {
	for _, q := range []string{"AGLT2", `we"ird\queue`, "TEST_Zürich queue", "<img src=x onerror=alert(1)>", "a,b=c", "tab\there", "bad\xffutf8", "line\u2028sep"} {
		t.Run(q, func(t *testing.T) {
			p := testPoint(q)
			b := AppendJSON(nil, &p)
			var got struct {
				Measurement string             `json:"measurement"`
				Time        time.Time          `json:"time"`
				Tags        map[string]string  `json:"tags"`
				Fields      map[string]float64 `json:"fields"`
			}
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("invalid JSON %s: %v", b, err)
			}
			wantQ := strings.ToValidUTF8(q, "\uFFFD")
			if got.Measurement != "jobs" || !got.Time.Equal(p.Time) || got.Tags["panda_queue"] != wantQ {
				t.Errorf("round trip = %+v", got)
			}
			if len(got.Tags) != 21 || got.Tags["pledge_type"] != "73000 (CPU);6600 (Disk)" || got.Tags["cloud"] != "US" {
				t.Errorf("tags = %v", got.Tags)
			}
			want := map[string]float64{"jobs": 410, "resource_factor": 8, "corepower": 10.96, "federation_HS06_pledge": 73000}
			for k, v := range want {
				if got.Fields[k] != v {
					t.Errorf("field %s = %v, want %v", k, got.Fields[k], v)
				}
			}
			if strings.ContainsAny(string(b), "<>\n") {
				t.Errorf("JSON not HTML-safe or has a newline: %s", b)
			}
		})
	}
}

func TestAppendJSONExactShape(t *testing.T) {
	p := testPoint("Q")
	got := string(AppendJSON(nil, &p))
	if !strings.HasPrefix(got, `{"measurement":"jobs","time":"2021-07-15T10:00:00Z","tags":{"atlas_site":"No value",`) {
		t.Errorf("prefix: %s", got)
	}
	if !strings.HasSuffix(got, `"fields":{"jobs":410,"resource_factor":8,"corepower":10.96,"federation_HS06_pledge":73000}}`) {
		t.Errorf("suffix: %s", got)
	}
}

func TestAppendJSONFloat(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1: "1", 10.96: "10.96", 1e21: "1e+21", 1e-7: "1e-07", math.NaN(): "0", math.Inf(1): "0", -2.5: "-2.5"} {
		if got := string(AppendJSONFloat(nil, v)); got != want {
			t.Errorf("AppendJSONFloat(%v) = %s, want %s", v, got, want)
		}
	}
}

func TestAppendLineProtocol(t *testing.T) {
	for _, tt := range []struct{ queue, want string }{
		{"AGLT2", "panda_queue=AGLT2,"},
		{"TEST_Zürich queue", `panda_queue=TEST_Zürich\ queue,`},
		{"a,b=c", `panda_queue=a\,b\=c,`},
		{`quote"d`, `panda_queue=quote"d,`},
		{"new\nline", `panda_queue=new\ line,`},
		{`trail\`, `panda_queue=trail\\,`},
		{"", `panda_queue=No\ value,`},
	} {
		t.Run(tt.queue, func(t *testing.T) {
			p := testPoint(tt.queue)
			got := string(AppendLineProtocol(nil, &p))
			if !strings.Contains(got, tt.want) {
				t.Errorf("line %q does not contain %q", got, tt.want)
			}
			if strings.ContainsAny(got, "\n\r") {
				t.Errorf("line has a newline: %q", got)
			}
			if !strings.HasPrefix(got, "jobs,atlas_site=No\\ value,cloud=US,") {
				t.Errorf("tags not sorted or measurement wrong: %q", got)
			}
			if !strings.HasSuffix(got, " jobs=410i,resource_factor=8,corepower=10.96,federation_HS06_pledge=73000 1626343200000000000") {
				t.Errorf("fields/timestamp: %q", got)
			}
		})
	}
}

func TestTagsSortedAndComplete(t *testing.T) {
	p := testPoint("Q")
	tags := p.Tags()
	if len(tags) != 4+NumAttrs {
		t.Fatalf("len = %d", len(tags))
	}
	for i := 1; i < len(tags); i++ {
		if tags[i-1].Key >= tags[i].Key {
			t.Errorf("not sorted at %d: %s >= %s", i, tags[i-1].Key, tags[i].Key)
		}
	}
	if v, ok := p.Tag("job_status"); !ok || v != "running" {
		t.Errorf("Tag(job_status) = %q %v", v, ok)
	}
	if _, ok := p.Tag("nope"); ok {
		t.Error("Tag(nope) found")
	}
	if (&Point{}).Attr(Cloud) != NoValue {
		t.Error("nil Attrs should read No value")
	}
}
