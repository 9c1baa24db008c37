package readable_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/readable"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// edgeDeals are v2 deals in forms the simulator does not send: no or a
// null custom_fields, custom_fields not last, whitespace and line breaks,
// escapes, unknown option ids, a key that only looks like custom_fields.
var edgeDeals = []string{
	`{"id":1}`,
	`{"id":2,"custom_fields":null}`,
	`{"id":3,"custom_fields":{}}`,
	`{"custom_fields":{"ENUM":1101,"SET":[1201,1999]},"id":4,"title":"after"}`,
	"{\n  \"id\": 5,\n  \"custom_fields\" : {\n    \"ENUM\" : 1102 ,\n    \"MONETARY\": {\"value\": 12.50, \"currency\": \"EUR\"}\n  }\n}\n",
	`{"id":6,"title":"a \"custom_fields\":{} b","note\"custom_fields":{"ENUM":1101},"custom_fields":{"ENUM":1999,"VARCHAR":"\u00e9\"\\ \ud83d\ude00 \u2028"}}`,
	`{"id":7,"nested":{"custom_fields":{"ENUM":1101}},"custom_fields":{"SET":"1201,1202"},"products_count":0}`,
	`{"id":8,"custom_fields":{"ENUM":"1103","SET":[],"MONETARY":null,"VARCHAR":null}}`,
}

// TestGoldenOutput: the bytes every output writes for readable values
// (AppendRecord: JSONL and Airbyte --readable; AppendJSON of Decode, with
// raw ids: CSV --raw-ids and SQLite share Decode) stay what they were when
// the golden files were written, for the simulator's deals (v2), leads
// (v1), persons and organizations, and for edgeDeals. A speed-up must not
// change a byte; `go test -run TestGoldenOutput -update` rewrites them
// after an intended change.
func TestGoldenOutput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		scale int
	}{{"small", 30}, {"large", 3000}} {
		t.Run(tc.name, func(t *testing.T) {
			got := goldenOutput(t, tc.scale)
			path := filepath.Join("testdata", "output_"+tc.name+".golden")
			if tc.scale > 100 { // the digest of a large output, one line per stream
				var b bytes.Buffer
				for _, part := range bytes.SplitAfter(got, []byte("\n=== ")) {
					fmt.Fprintf(&b, "%x\n", sha256.Sum256(part))
				}
				got = b.Bytes()
			}
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
				for i := range min(len(gl), len(wl)) {
					if !bytes.Equal(gl[i], wl[i]) {
						t.Fatalf("%s line %d:\ngot  %s\nwant %s", path, i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("%s: %d lines, want %d", path, len(gl), len(wl))
			}
		})
	}
}

func goldenOutput(t *testing.T, scale int) []byte {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 5, Scale: scale})
	defer s.Close()
	var out bytes.Buffer
	for _, st := range []struct {
		stream, fields string
		version        int
	}{
		{"deals", "/api/v2/dealFields", 2},
		{"leads", "/v1/leadFields", 1},
		{"persons", "/api/v2/personFields", 2},
		{"organizations", "/api/v2/organizationFields", 2},
	} {
		fields := simFields(t, s, st.version, st.fields)
		recs := s.Records(st.stream)
		if st.stream == "deals" {
			byT := byType(fields)
			keys := strings.NewReplacer("ENUM", byT["enum"].Key, "SET", byT["set"].Key, "MONETARY", byT["monetary"].Key, "VARCHAR", byT["varchar"].Key)
			for _, e := range edgeDeals {
				recs = append(recs, json.RawMessage(keys.Replace(e)))
			}
		}
		fmt.Fprintf(&out, "=== %s (%d records)\n", st.stream, len(recs))
		d := readable.NewDecoder(st.version, fields, nil, readable.Options{})
		raw := readable.NewDecoder(st.version, fields, nil, readable.Options{RawIDs: true})
		var buf []byte
		for _, r := range recs {
			var err error
			if buf, err = d.AppendRecord(buf[:0], r); err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
			} else {
				out.Write(buf)
				out.WriteByte('\n')
			}
			vals, err := raw.Decode(r)
			if err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
				continue
			}
			out.Write(raw.AppendJSON(nil, vals))
			out.WriteByte('\n')
		}
		fmt.Fprintf(&out, "unknown %v\n", d.Unknown())
	}
	return out.Bytes()
}
