package airbytetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that collects failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

const (
	started  = `{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1795780800000,"stream_status":{"stream_descriptor":{"name":"deals"},"status":"STARTED"}}}`
	running  = `{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1795780800000,"stream_status":{"stream_descriptor":{"name":"deals"},"status":"RUNNING"}}}`
	complete = `{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1795780800000,"stream_status":{"stream_descriptor":{"name":"deals"},"status":"COMPLETE"}}}`
	rec1     = `{"type":"RECORD","record":{"stream":"deals","data":{"id":1},"emitted_at":1795780800000}}`
	rec2     = `{"type":"RECORD","record":{"stream":"deals","data":{"id":2},"emitted_at":1795780800000}}`
	state2   = `{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"c":1}},"sourceStats":{"recordCount":2.0}}}`
)

var dealsSchema = json.RawMessage(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"id":{"type":["null","integer"]}}}`)

func TestCheckReadCatchesViolations(t *testing.T) {
	v := NewValidator(t)
	cases := []struct {
		name  string
		lines []string
		want  string // substring of a reported failure; "" = none
	}{
		{"valid", []string{started, running, rec1, rec2, state2, complete}, ""},
		{"wrong recordCount", []string{started, running, rec1, state2, complete}, "recordCount 2.0"},
		{"integer recordCount", []string{started, running, rec1, rec2, strings.Replace(state2, "2.0", "2", 1), complete}, "no decimal point"},
		{"no RUNNING", []string{started, rec1, rec2, state2, complete}, "outside RUNNING"},
		{"no STATE", []string{started, running, complete}, "no STATE"},
		{"records after the last STATE", []string{started, running, rec1, rec2, state2, rec1, complete}, "after the last STATE"},
		{"no COMPLETE", []string{started, running, rec1, rec2, state2}, "statuses"},
		{"unconfigured stream", []string{started, running, rec1, rec2, state2, strings.Replace(rec1, `"deals"`, `"persons"`, 1), complete}, "unconfigured stream"},
		{"schema violation", []string{started, running, strings.Replace(rec1, `"id":1`, `"id":"one"`, 1), rec2, state2, complete}, "does not match the stream schema"},
		{"undeclared key", []string{started, running, strings.Replace(rec1, `"id":1`, `"id":1,"x":2`, 1), rec2, state2, complete}, "not declared"},
		{"legacy state", []string{started, running, rec1, rec2, `{"type":"STATE","state":{"type":"LEGACY","data":{"deals":{}}}}`, complete}, "want STREAM"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			msgs := v.Parse(rec, []byte(strings.Join(tc.lines, "\n")+"\n"))
			CheckRead(rec, msgs, []string{"deals"}, map[string]json.RawMessage{"deals": dealsSchema}, true)
			got := strings.Join(rec.errs, "\n")
			if tc.want == "" && got != "" {
				t.Errorf("unexpected failures:\n%s", got)
			}
			if tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("failures %q do not mention %q", got, tc.want)
			}
		})
	}
}

func TestParseRejectsNonProtocolLines(t *testing.T) {
	v := NewValidator(t)
	for _, out := range []string{
		"hello\n",
		`{"type":"RECORD","record":{"stream":"deals","data":{"id":1}}}` + "\n", // no emitted_at
		`{"type":"BOGUS"}` + "\n",
		rec1 + "\n\n",
		rec1, // no final newline
	} {
		rec := &recorder{TB: t}
		v.Parse(rec, []byte(out))
		if len(rec.errs) == 0 {
			t.Errorf("%q accepted", out)
		}
	}
}

func TestCheckKeys(t *testing.T) {
	keys := map[string][][]string{"deals": {{"id"}}}
	cursors := map[string][]string{"deals": {"update_time"}}
	cases := map[string]struct {
		rec  string
		fail bool
	}{
		"good":        {`{"id":1,"update_time":"x"}`, false},
		"null key":    {`{"id":null,"update_time":"x"}`, true},
		"missing key": {`{"update_time":"x"}`, true},
		"object key":  {`{"id":{"a":1},"update_time":"x"}`, true},
		"no cursor":   {`{"id":1}`, true},
	}
	for name, tc := range cases {
		rec := &recorder{TB: t}
		CheckKeys(rec, map[string][]json.RawMessage{"deals": {json.RawMessage(tc.rec)}}, keys, cursors)
		if (len(rec.errs) > 0) != tc.fail {
			t.Errorf("%s: failures %v, want fail=%v", name, rec.errs, tc.fail)
		}
	}
}
