package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseLabels(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Label
		err  string
	}{
		{in: "", want: nil},
		{in: " , ", want: nil},
		{in: "instance=a", want: []Label{{"instance", "a"}}},
		{in: " env = prod , dc=cern=1", want: []Label{{"env", "prod"}, {"dc", "cern=1"}}},
		{in: "noequals", err: "want label=value"},
		{in: "1bad=x", err: "label name"},
		{in: "bad-name=x", err: "label name"},
		{in: "__name__=x", err: "reserved"},
		{in: "a=", err: "empty value"},
		{in: "a=1,a=2", err: "given twice"},
	} {
		got, err := ParseLabels(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLabels(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseLabels(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestValidateRemoteWrite(t *testing.T) {
	c := Default()
	c.Sinks.RemoteWrite.Enabled = true
	c.Sinks.RemoteWrite.ExternalLabels = "bad-name=1"
	c.Sinks.RemoteWrite.BatchSize = 0
	err := c.Validate()
	for _, want := range []string{"sinks.remote_write.external_labels", "sinks.remote_write.batch_size"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem with %s", err, want)
		}
	}
	c = Default()
	c.Sinks.RemoteWrite.Enabled = true
	if err := c.Validate(); err != nil {
		t.Errorf("defaults with remote write enabled: %v", err)
	}
}
