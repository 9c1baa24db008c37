package client

// Fuzz targets for the page reader (v1 and v2 list envelopes). Kept small
// and in its own file: they call parseEnvelope and splitArray by name, so a
// refactor that moves the scanner only has to repoint these two calls.

import (
	"bytes"
	"encoding/json"
	"testing"
)

var envelopeSeeds = []string{
	`{"success":true,"data":[{"id":1,"title":"a \"quoted\" deal","value":1.5e3},{"id":2,"tags":["x",null,{"y":[]}]}],"additional_data":{"next_cursor":"eyJpZCI6Mn0"}}`,
	`{"success":true,"data":[],"additional_data":{"next_cursor":null}}`,
	`{"success":true,"data":null,"additional_data":{"pagination":{"start":0,"limit":100,"more_items_in_collection":true,"next_start":100}}}`,
	`{"success":true,"data":[{"id":3,"note":"line\nbreak \\ backslash"}],"additional_data":{"start":0,"limit":1,"more_items_in_collection":false},"related_objects":{"user":{"1":{"id":1}}}}`,
	`{"success":false,"error":"unauthorized","errorCode":401}`,
	` {"data":[1,true,false,null,"s",[]]} `,
	`{}`,
}

// FuzzParseEnvelope: no panic; a rejected body gives an error and nothing
// else; a body that is valid JSON with a list (or null) in "data" and a
// well-typed additional_data is accepted, with exactly the records and
// paging encoding/json reads from it.
func FuzzParseEnvelope(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := parseEnvelope(body)
		if err != nil {
			if env != nil {
				t.Fatalf("error %v with an envelope", err)
			}
			if validEnvelope(body) {
				t.Fatalf("valid envelope rejected (%v): %q", err, body)
			}
			return
		}
		checkAgainstStd(t, body, env)
	})
}

// FuzzParseEnvelopeRecordsValid pins issue 11 item 5: every record the
// splitter accepts must be valid JSON ({"id":1,} and {"id":tru} must not
// pass as records). It fails on such inputs until the splitter validates.
func FuzzParseEnvelopeRecordsValid(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := parseEnvelope(body)
		if err != nil {
			return
		}
		for i, r := range env.records {
			if !json.Valid(r) {
				t.Fatalf("record %d %q accepted from %q", i, r, body)
			}
		}
	})
}

// FuzzSplitArray: split elements of a valid array are exactly its elements.
func FuzzSplitArray(f *testing.F) {
	for _, s := range []string{`[]`, `null`, ` [ {"a":[1,2]} , "x\"]" , 3 ] `, `[[[]]]`, `[1,2`, `{"a":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := splitArray(data)
		if err != nil {
			if recs != nil {
				t.Fatalf("error %v with records", err)
			}
			return
		}
		if json.Valid(data) && !bytes.Contains(data, []byte(`\u`)) {
			var want []json.RawMessage
			if json.Unmarshal(data, &want) == nil {
				sameRecords(t, data, recs, want)
			}
		}
	})
}

// validEnvelope: encoding/json reads body as an object whose data is a list
// or null and whose additional_data, if an object, has well-typed fields.
func validEnvelope(body []byte) bool {
	if !json.Valid(body) || bytes.Contains(body, []byte(`\u`)) {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return false
	}
	if d, ok := top["data"]; ok {
		var recs []json.RawMessage
		if json.Unmarshal(d, &recs) != nil {
			return false
		}
	}
	if ad, ok := top["additional_data"]; ok && bytes.HasPrefix(ad, []byte("{")) {
		var v additionalData
		if json.Unmarshal(ad, &v) != nil {
			return false
		}
	}
	return true
}

// checkAgainstStd compares an accepted envelope with encoding/json's reading
// of the same body, when encoding/json reads it as an envelope.
func checkAgainstStd(t *testing.T, body []byte, env *envelope) {
	t.Helper()
	if !json.Valid(body) || bytes.Contains(body, []byte(`\u`)) {
		return // escaped keys ("d\u0061ta") are compared raw by the pager
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		t.Fatalf("accepted a body that is not a JSON object: %q", body)
	}
	var want []json.RawMessage
	if d, ok := top["data"]; ok && json.Unmarshal(d, &want) != nil {
		t.Fatalf("accepted a non-list data %q", d)
	}
	sameRecords(t, body, env.records, want)
	if _, ok := top["success"]; ok != (env.Success != nil) {
		t.Fatalf("success present %v, parsed %v", ok, env.Success)
	}
	if s, ok := top["success"]; ok && *env.Success != (string(s) != "false") {
		t.Fatalf("success %s parsed as %v", s, *env.Success)
	}
	if ad, ok := top["additional_data"]; ok && bytes.HasPrefix(ad, []byte("{")) {
		var wantAD additionalData
		if json.Unmarshal(ad, &wantAD) != nil {
			t.Fatalf("accepted additional_data %s that does not decode", ad)
		}
		got, _ := json.Marshal(env.AdditionalData)
		exp, _ := json.Marshal(&wantAD)
		if !bytes.Equal(got, exp) {
			t.Fatalf("additional_data %s, want %s", got, exp)
		}
	}
}

func sameRecords(t *testing.T, body []byte, got, want []json.RawMessage) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records from %q, want %d", len(got), body, len(want))
	}
	for i := range got {
		var a, b bytes.Buffer
		if json.Compact(&a, got[i]) != nil || json.Compact(&b, want[i]) != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("record %d is %q, want %q", i, got[i], want[i])
		}
	}
}

// TestEnvelopeAcceptsValidBodies is the converse of the fuzz targets'
// checks on the seeds: valid envelopes are not rejected.
func TestEnvelopeAcceptsValidBodies(t *testing.T) {
	for _, s := range envelopeSeeds {
		if _, err := parseEnvelope([]byte(s)); err != nil {
			t.Errorf("parseEnvelope(%s): %v", s, err)
		}
	}
}
