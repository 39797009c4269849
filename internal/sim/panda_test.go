package sim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPandaV1(t *testing.T) {
	at := "&at=" + testTime().Format(time.RFC3339)
	jsonHdr := map[string]string{"Accept": "application/json"}
	for _, tt := range []struct {
		name, method, query string
		hdr                 map[string]string
		wantPrefix          string
		wantMessage         string
	}{
		{name: "json", method: "GET", query: "?time_window=10" + at, hdr: jsonHdr,
			wantPrefix: `{"success": true, "message": "", "data": {"`},
		{name: "json by content type", method: "GET", query: "?time_window=10" + at,
			hdr: map[string]string{"Content-Type": "application/json"}, wantPrefix: `{"success": true, "message": "", "data": {"`},
		{name: "repr without accept", method: "GET", query: "?time_window=10" + at,
			wantPrefix: `{'success': True, 'message': '', 'data': {'`},
		{name: "repr with accept list", method: "GET", query: "?time_window=10" + at,
			hdr: map[string]string{"Accept": "application/json, text/plain"}, wantPrefix: `{'success': True`},
		{name: "no window", method: "GET", query: "?x=1" + at, hdr: jsonHdr, wantPrefix: `{"success": true`},
		{name: "window None", method: "GET", query: "?time_window=None" + at, hdr: jsonHdr, wantPrefix: `{"success": true`},
		{name: "window float", method: "GET", query: "?time_window=10.7" + at, hdr: jsonHdr, wantPrefix: `{"success": true`},
		{name: "window max", method: "GET", query: "?time_window=10080" + at, hdr: jsonHdr, wantPrefix: `{"success": true`},
		{name: "window too big", method: "GET", query: "?time_window=10081", hdr: jsonHdr,
			wantPrefix: `{"success": false`, wantMessage: msgTimeWindow},
		{name: "window negative repr", method: "GET", query: "?time_window=-5",
			wantPrefix: `{'success': False, 'message': 'Parameter "time_window" needs`},
		{name: "window not a number", method: "GET", query: "?time_window=abc", hdr: jsonHdr,
			wantPrefix: `{"success": false`, wantMessage: msgCast},
		{name: "post", method: "POST", query: "?time_window=10", hdr: jsonHdr,
			wantPrefix: `{"success": false`, wantMessage: "expecting GET, received POST"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGrid(t, Options{Queues: 100})
			rec := do(t, g.Handler(), tt.method, PathPandaV1+tt.query, tt.hdr, "")
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/plain" {
				t.Fatalf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			body := rec.Body.String()
			if !strings.HasPrefix(body, tt.wantPrefix) {
				t.Fatalf("body %.120q, want prefix %q", body, tt.wantPrefix)
			}
			if body[1] != '"' {
				return
			}
			env := decode[struct {
				Success bool
				Message string
				Data    json.RawMessage
			}](t, rec.Body.Bytes())
			if env.Message != tt.wantMessage {
				t.Errorf("message %q, want %q", env.Message, tt.wantMessage)
			}
			if !env.Success && tt.wantMessage == msgTimeWindow && string(env.Data) != "{}" {
				t.Errorf("data %s, want {}", env.Data)
			}
			if !env.Success && tt.wantMessage != msgTimeWindow && string(env.Data) != "null" {
				t.Errorf("data %s, want null", env.Data)
			}
		})
	}
}

func TestPandaV1DataEqualsStats(t *testing.T) {
	g := newTestGrid(t, Options{})
	rec := do(t, g.Handler(), "GET", PathPandaV1+"?time_window=30", map[string]string{"Accept": "application/json"}, "")
	env := decode[struct{ Data answer }](t, rec.Body.Bytes())
	if !reflect.DeepEqual(env.Data, g.Stats(testTime(), 30)) {
		t.Fatal("v1 data differs from Stats at the clock's time")
	}
}

func TestPandaLegacy(t *testing.T) {
	at := testTime().Add(-3 * time.Hour)
	g := newTestGrid(t, Options{Queues: 300})
	rec := do(t, g.Handler(), "GET", PathPandaLegacy+"?time_window=10&at="+at.Format(time.RFC3339), nil, "")
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if !reflect.DeepEqual(decode[answer](t, rec.Body.Bytes()), g.Stats(at, 10)) {
		t.Fatal("legacy map differs from Stats")
	}
	if strings.Contains(rec.Body.String(), "Zürich") || !strings.Contains(rec.Body.String(), `Z\u00fcrich`) {
		t.Error("legacy body does not escape non-ASCII as json.dumps does")
	}
	if !strings.Contains(rec.Body.String(), `"<img src=x onerror=alert(1)>"`) {
		t.Error("legacy body escapes <>, json.dumps does not")
	}
	if rec := do(t, g.Handler(), "GET", PathPandaLegacy+"?time_window=10", map[string]string{"Content-Type": "application/json"}, ""); rec.Code != 500 {
		t.Errorf("legacy with Content-Type json: status %d, want 500", rec.Code)
	}
	if rec := do(t, g.Handler(), "GET", PathPandaLegacy+"?time_window=x", nil, ""); rec.Body.String() != "{}" {
		t.Errorf("legacy bad window: %q, want {}", rec.Body.String())
	}
}

func TestPandaDisabled(t *testing.T) {
	g := newTestGrid(t, Options{Queues: 20, DisableV1: true, DisableLegacy: true})
	if rec := do(t, g.Handler(), "GET", PathPandaV1+"?time_window=10", nil, ""); rec.Code != 404 {
		t.Errorf("v1 disabled: %d, want 404", rec.Code)
	}
	rec := do(t, g.Handler(), "GET", PathPandaLegacy+"?time_window=10", nil, "")
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "is forbidden") {
		t.Errorf("legacy disabled: %d %q", rec.Code, rec.Body.String())
	}
}

func TestPandaReprMatchesJSON(t *testing.T) {
	// With no quotes or non-ASCII in the names, repr and JSON differ only
	// in quote characters and booleans.
	g := newTestGrid(t, Options{Queues: 100})
	h := g.Handler()
	js := do(t, h, "GET", PathPandaV1+"?time_window=10", map[string]string{"Accept": "application/json"}, "").Body.String()
	py := do(t, h, "GET", PathPandaV1+"?time_window=10", nil, "").Body.String()
	js = strings.ReplaceAll(strings.ReplaceAll(js, `"`, `'`), "true", "True")
	js = strings.ReplaceAll(js, `Z\u00fcrich`, "Zürich")
	if js != py {
		t.Fatalf("repr and JSON differ beyond quoting:\n%.300s\n%.300s", js, py)
	}
}

func TestPyQuote(t *testing.T) {
	for _, tt := range []struct{ in, json, repr string }{
		{"AGLT2", `"AGLT2"`, `'AGLT2'`},
		{"TEST_Zürich queue", `"TEST_Z\u00fcrich queue"`, `'TEST_Zürich queue'`},
		{"<img src=x onerror=alert(1)>", `"<img src=x onerror=alert(1)>"`, `'<img src=x onerror=alert(1)>'`},
		{"a,b=c", `"a,b=c"`, `'a,b=c'`},
		{"it's", `"it's"`, `"it's"`},
		{`a'b"c`, `"a'b\"c"`, `'a\'b"c'`},
		{"tab\tnl\n\x01\\", `"tab\tnl\n\u0001\\"`, `'tab\tnl\n\x01\\'`},
		{"\u00a0\U0001F600", `"\u00a0\ud83d\ude00"`, "'\\xa0\U0001F600'"},
	} {
		if got := string(appendPyJSON(nil, tt.in)); got != tt.json {
			t.Errorf("json(%q) = %s, want %s", tt.in, got, tt.json)
		}
		if got := string(appendPyRepr(nil, tt.in)); got != tt.repr {
			t.Errorf("repr(%q) = %s, want %s", tt.in, got, tt.repr)
		}
		var back string
		if err := json.Unmarshal(appendPyJSON(nil, tt.in), &back); err != nil || back != tt.in {
			t.Errorf("json(%q) decodes to %q, %v", tt.in, back, err)
		}
	}
}
