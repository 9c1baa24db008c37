package readable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pdxhq/pdx/source/schema"
)

// fuzzFields are short-keyed fields, so the fuzzer's records hit them.
var fuzzFields = []schema.Field{
	{Key: "a", Name: "A", Type: "enum", Options: []schema.Option{{ID: 1, Label: "One"}, {ID: 2, Label: "Two"}}},
	{Key: "b", Name: "B", Type: "set", Options: []schema.Option{{ID: 1, Label: "x"}}},
	{Key: "c", Name: "C", Type: "varchar"},
	{Key: "m", Name: "M", Type: "monetary"},
}

// refDecode is the v2 decoding as it was before the search and the
// custom_fields loop: walk the record, and each custom_fields object with
// the generic walk and member.
func refDecode(d *Decoder, rec []byte) ([]byte, error) {
	d.borrow = true
	defer func() { d.borrow = false }()
	d.reset()
	var cfErr error
	end, err := walk(rec, skipWS(rec, 0), func(k []byte, vs int) int {
		if rec[vs] == '{' && string(k) == "custom_fields" {
			end, err := walk(rec, vs, func(k2 []byte, vs2 int) int {
				ve, ok := skipValue(rec, vs2)
				if !ok {
					return -1
				}
				d.member(k2, rec[vs2:ve])
				return ve
			})
			if err != nil {
				cfErr = err
				return -1
			}
			return end
		}
		ve, ok := skipValue(rec, vs)
		if !ok {
			return -1
		}
		return ve
	})
	if cfErr != nil {
		return nil, cfErr
	}
	if err == nil && skipWS(rec, end) != len(rec) {
		err = errSyntax
	}
	if err != nil {
		return nil, err
	}
	return d.AppendJSON(nil, d.vals), nil
}

// FuzzDecodeSearch: on valid JSON a v2 record decodes (AppendRecord's
// bytes and the unknown option ids) exactly as the walk of the whole
// record with the generic member decoding does (refDecode), whether or not
// the search for custom_fields could tell, and whether or not the record's
// keys come in the order of the record before; nothing panics on any
// input.
func FuzzDecodeSearch(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"custom_fields":{"a":1,"b":[1,3],"c":"x\"y","m":{"value":1.50,"currency":"EUR"}},"products_count":2}`,
		`{"id":1,"custom_fields":{"m":{"currency":"EUR","value":2,"value":3},"a":"2","c":null,"b":"1,2","zz":{"a":1}}}`,
		`{"x":{"custom_fields":{"a":1}},"custom_fields":{"a":2}}`,
		`{"custom_fields":{"a":9},"x":{"custom_fields":{"a":1}}}`,
		`{"custom_fields":{"a":1},"custom_fields":{"b":[1]}}`,
		`{"k\"custom_fields":{"a":1},"custom_fields":null}`,
		`{"custom_fields":{"a" : 1 , "b":[1] ,"m":{ "value" : 1 }}}`,
		`{"id":1}`,
	} {
		f.Add([]byte(s))
	}
	warm := []byte(`{"custom_fields":{"a":2,"b":[1],"c":"w","m":{"value":1,"currency":"USD"}}}`)
	f.Fuzz(func(t *testing.T, rec []byte) {
		fast := NewDecoder(2, fuzzFields, nil, Options{})
		if _, err := fast.AppendRecord(nil, warm); err != nil {
			t.Fatal(err)
		}
		got, gerr := fast.AppendRecord(nil, rec)
		again, aerr := fast.AppendRecord(nil, rec) // with this record's key order learnt
		if !json.Valid(rec) {
			return
		}
		ref := NewDecoder(2, fuzzFields, nil, Options{})
		want, werr := refDecode(ref, rec)
		if (gerr != nil) != (werr != nil) || (aerr != nil) != (werr != nil) {
			t.Fatalf("%q: AppendRecord error %v, %v; walk error %v", rec, gerr, aerr, werr)
		}
		if werr != nil {
			return
		}
		for _, g := range [][]byte{got, again} {
			if !bytes.HasSuffix(bytes.TrimSuffix(g, []byte("}")), want) {
				t.Fatalf("%q:\nsearch %s\nwalk   %s", rec, g, want)
			}
		}
		if g, w := fmt.Sprint(fast.Unknown()), fmt.Sprint(ref.Unknown()); g != w {
			t.Fatalf("%q: unknown %s, walk %s", rec, g, w)
		}
	})
}

// appendStringRef is appendString as it was, one byte at a time: the
// reference its run-copying version must match byte for byte.
func appendStringRef(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, "0123456789abcdef"[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// FuzzAppendString: appendString writes what the reference writes, and
// valid JSON that reads back as the string (invalid UTF-8 as U+FFFD).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b\\c\n\r\t\x00\x1f", "é€😀", "\u2028\u2029", "\xff bad \xe2\x82", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString([]byte("x"), s)
		if want := appendStringRef([]byte("x"), s); !bytes.Equal(got, want) {
			t.Fatalf("%q: %s, want %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(got[1:], &back); err != nil || back != strings.ToValidUTF8(s, "\uFFFD") && utf8.ValidString(s) {
			t.Fatalf("%q: %s reads back as %q, %v", s, got, back, err)
		}
	})
}
