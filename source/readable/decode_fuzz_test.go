package readable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pdxhq/pdx/source/schema"
)

// fuzzFields are short-keyed fields, so the fuzzer's records hit them.
var fuzzFields = []schema.Field{
	{Key: "a", Name: "A", Type: "enum", Options: []schema.Option{{ID: 1, Label: "One"}, {ID: 2, Label: "Two"}}},
	{Key: "b", Name: "B", Type: "set", Options: []schema.Option{{ID: 1, Label: "x"}}},
	{Key: "c", Name: "C", Type: "varchar"},
	{Key: "m", Name: "M", Type: "monetary"},
}

// FuzzDecodeSearch: on valid JSON a v2 record decodes (AppendRecord's
// bytes and the unknown option ids) exactly as the walk from the start
// decodes it, whether or not the search for custom_fields could tell; and
// nothing panics on any input.
func FuzzDecodeSearch(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"custom_fields":{"a":1,"b":[1,3],"c":"x\"y","m":{"value":1.50,"currency":"EUR"}},"products_count":2}`,
		`{"x":{"custom_fields":{"a":1}},"custom_fields":{"a":2}}`,
		`{"custom_fields":{"a":9},"x":{"custom_fields":{"a":1}}}`,
		`{"custom_fields":{"a":1},"custom_fields":{"b":[1]}}`,
		`{"k\"custom_fields":{"a":1},"custom_fields":null}`,
		`{"id":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		fast := NewDecoder(2, fuzzFields, nil, Options{})
		got, gerr := fast.AppendRecord(nil, rec)
		if !json.Valid(rec) {
			return
		}
		slow := NewDecoder(2, fuzzFields, nil, Options{})
		slow.borrow = true
		slow.reset()
		vals, werr := slow.decodeWalk(rec)
		slow.borrow = false
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("%q: AppendRecord error %v, walk error %v", rec, gerr, werr)
		}
		if werr != nil {
			return
		}
		if want := slow.AppendJSON(nil, vals); !bytes.HasSuffix(bytes.TrimSuffix(got, []byte("}")), want) {
			t.Fatalf("%q:\nsearch %s\nwalk   %s", rec, got, want)
		}
		if g, w := fmt.Sprint(fast.Unknown()), fmt.Sprint(slow.Unknown()); g != w {
			t.Fatalf("%q: unknown %s, walk %s", rec, g, w)
		}
	})
}
