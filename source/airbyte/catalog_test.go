package airbyte

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/sharedref"
)

func TestParseStateShapes(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want map[string]string // stream -> stream_state JSON
		err  bool
	}{
		{name: "empty file", in: "", want: map[string]string{}},
		{name: "null", in: "null", want: map[string]string{}},
		{name: "empty array", in: "[]", want: map[string]string{}},
		{name: "stream messages", in: `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"update_time":"2024-01-01T00:00:00Z"}}},{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},"stream_state":null}}]`,
			want: map[string]string{"deals": `{"update_time":"2024-01-01T00:00:00Z"}`}},
		{name: "stream without type", in: `[{"stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"a":1}}}]`, want: map[string]string{"deals": `{"a":1}`}},
		{name: "global", in: `[{"type":"GLOBAL","global":{"stream_states":[{"stream_descriptor":{"name":"notes"},"stream_state":{"b":2}}]}}]`, want: map[string]string{"notes": `{"b":2}`}},
		{name: "legacy message", in: `[{"type":"LEGACY","data":{"deals":{"update_time":"2017-06-01 10:10:10"}}}]`, want: map[string]string{"deals": `{"update_time":"2017-06-01 10:10:10"}`}},
		{name: "legacy dict", in: `{"deals":{"update_time":"2017-06-01 10:10:10"},"files":null}`, want: map[string]string{"deals": `{"update_time":"2017-06-01 10:10:10"}`}},
		{name: "single message", in: `{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"a":1}}}`, want: map[string]string{"deals": `{"a":1}`}},
		{name: "a string", in: `"yesterday"`, err: true},
		{name: "broken", in: `[{"type":`, err: true},
		{name: "unknown type", in: `[{"type":"WHAT"}]`, err: true},
		{name: "pyairbyte nulls", in: `[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals","namespace":null},"stream_state":{"a":1}},"global_":null,"global":null,"data":null,"sourceStats":null,"destinationStats":null},{"type":"STREAM","stream":null}]`, want: map[string]string{"deals": `{"a":1}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseState([]byte(tc.in))
			if tc.err {
				if err == nil || !errors.Is(err, ErrInvalidState) {
					t.Fatalf("err = %v, want ErrInvalidState", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d streams %v, want %v", len(got), got, tc.want)
			}
			for k, v := range tc.want {
				if string(got[k]) != v {
					t.Errorf("%s: %s, want %s", k, got[k], v)
				}
			}
		})
	}
}

// TestParseOldConnectorFiles reads the old connector's state files and
// catalog as they are.
func TestParseOldConnectorFiles(t *testing.T) {
	for file, wantStreams := range map[string]int{
		"reference/airbyte-source-pipedrive/integration_tests/sample_state.json":              6,
		"reference/airbyte-source-pipedrive/integration_tests/abnormal_state.json":            7,
		"reference/airbyte-source-pipedrive/integration_tests/legacy-0.1.x/sample_state.json": 11,
	} {
		data, err := os.ReadFile(sharedref.Require(t, file))
		if err != nil {
			t.Fatal(err)
		}
		st, err := ParseState(data)
		if err != nil || len(st) != wantStreams {
			t.Errorf("%s: %d streams, %v; want %d", file, len(st), err, wantStreams)
		}
	}
	// The old connector's configured catalogs name "goals" and "mail"
	// (which pdx reads too now: nothing is set aside) and ask incremental
	// of field streams: read as the Python CDK does (incremental downgraded).
	for f, goals := range map[string]bool{"reference/airbyte-source-pipedrive/integration_tests/configured_catalog.json": true, "reference/airbyte-source-pipedrive/integration_tests/legacy-0.1.x/configured_catalog.json": false} {
		data, err := os.ReadFile(sharedref.Require(t, f))
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseConfiguredCatalog(data, Modes)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(c.Unknown) != 0 || slices.Contains(c.Names(), "goals") != goals || len(c.Names()) == 0 {
			t.Errorf("%s: unknown %v, read %v", f, c.Unknown, c.Names())
		}
		for _, s := range c.Streams {
			if m, _ := Modes(s.Stream.Name); !slices.Contains(m, s.SyncMode) {
				t.Errorf("%s: %s left in mode %s", f, s.Stream.Name, s.SyncMode)
			}
		}
	}
}

func TestParseConfiguredCatalog(t *testing.T) {
	ok := `{"streams":[{"stream":{"name":"deals"},"sync_mode":"incremental","destination_sync_mode":"append_dedup"},{"stream":{"name":"currencies"},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"}]}`
	c, err := ParseConfiguredCatalog([]byte(ok), Modes)
	if err != nil || strings.Join(c.Names(), ",") != "deals,currencies" {
		t.Fatalf("%v %v", c, err)
	}
	// What the Python CDK reads: incremental of a stream with no cursor is
	// a full refresh (said in a note), an unknown stream is set aside.
	lenient := `{"streams":[{"stream":{"name":"currencies","namespace":null},"sync_mode":"incremental","destination_sync_mode":"overwrite","cursor_field":null},{"stream":{"name":"goal_scores"},"sync_mode":"full_refresh","destination_sync_mode":"append"}]}`
	c, err = ParseConfiguredCatalog([]byte(lenient), Modes)
	if err != nil || strings.Join(c.Names(), ",") != "currencies" || c.Streams[0].SyncMode != engine.FullRefresh || len(c.Notes) != 1 || strings.Join(c.Unknown, ",") != "goal_scores" {
		t.Fatalf("lenient: %+v %v", c, err)
	}
	bad := map[string]string{
		"no streams":        `{"streams":[]}`,
		"unknown":           `{"streams":[{"stream":{"name":"goal_scores"},"sync_mode":"full_refresh","destination_sync_mode":"append"}]}`,
		"mode":              `{"streams":[{"stream":{"name":"currencies"},"sync_mode":"sometimes","destination_sync_mode":"append"}]}`,
		"dup":               `{"streams":[{"stream":{"name":"deals"},"sync_mode":"full_refresh","destination_sync_mode":"append"},{"stream":{"name":"deals"},"sync_mode":"full_refresh","destination_sync_mode":"append"}]}`,
		"no name":           `{"streams":[{"stream":{},"sync_mode":"full_refresh","destination_sync_mode":"append"}]}`,
		"no dest mode":      `{"streams":[{"stream":{"name":"deals"},"sync_mode":"full_refresh"}]}`,
		"not a catalog":     `[]`,
		"several problems":  `{"streams":[{"stream":{"name":"goal_scores"}},{"stream":{"name":"mailbox"}}]}`,
		"sync_mode missing": `{"streams":[{"stream":{"name":"deals"},"destination_sync_mode":"append"}]}`,
	}
	for name, in := range bad {
		if _, err := ParseConfiguredCatalog([]byte(in), Modes); err == nil || !errors.Is(err, ErrInvalidCatalog) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	_, err = ParseConfiguredCatalog([]byte(bad["several problems"]), Modes)
	if err == nil || !strings.Contains(err.Error(), "goal_scores") || !strings.Contains(err.Error(), "mailbox") {
		t.Errorf("all problems must be reported at once: %v", err)
	}
}
