package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestPages(t *testing.T) {
	tests := []struct {
		name    string
		req     PageRequest
		answers []answer
		want    []int // records per page
		queries []string
	}{
		{"v2 cursor", PageRequest{Version: V2, Path: "/deals", Paging: V2Cursor, Limit: 2},
			[]answer{
				{body: `{"success":true,"data":[{"id":1},{"id":2}],"additional_data":{"next_cursor":"abc"}}`},
				{body: `{"success":true,"data":[{"id":3}],"additional_data":{"next_cursor":null}}`},
			}, []int{2, 1}, []string{"limit=2", "cursor=abc&limit=2"}},
		{"v1 offset with next_start", PageRequest{Version: V1, Path: "/notes", Paging: V1Offset, Limit: 2},
			[]answer{
				{body: `{"success":true,"data":[{"id":1},{"id":2}],"additional_data":{"pagination":{"start":0,"limit":2,"more_items_in_collection":true,"next_start":2}}}`},
				{body: `{"success":true,"data":[{"id":3}],"additional_data":{"pagination":{"start":2,"limit":2,"more_items_in_collection":false}}}`},
			}, []int{2, 1}, []string{"limit=2&start=0", "limit=2&start=2"}},
		{"v1 offset without next_start", PageRequest{Version: V1, Path: "/roles", Paging: V1Offset, Limit: 2},
			[]answer{
				{body: `{"success":true,"data":[{"id":1},{"id":2}],"additional_data":{"pagination":{"more_items_in_collection":true}}}`},
				{body: `{"success":true,"data":null}`},
			}, []int{2, 0}, []string{"limit=2&start=0", "limit=2&start=2"}},
		{"v1 offset, flat additional_data (leads)", PageRequest{Version: V1, Path: "/leads", Paging: V1Offset, Limit: 2},
			[]answer{
				{body: `{"success":true,"data":[{"id":"a"},{"id":"b"}],"additional_data":{"start":0,"limit":2,"more_items_in_collection":true}}`},
				{body: `{"success":true,"data":[{"id":"c"}],"additional_data":{"start":2,"limit":2,"more_items_in_collection":false}}`},
			}, []int{2, 1}, []string{"limit=2&start=0", "limit=2&start=2"}},
		{"unpaged, no additional_data", PageRequest{Version: V1, Path: "/users", Paging: NoPaging},
			[]answer{{body: `{"success":true,"data":[{"id":1,"s":"a\"]}"},{"id":2,"n":[1,{"x":[]}]}]}`}}, []int{2}, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var queries []string
			inner, _ := scripted(t, tt.answers...)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				queries = append(queries, r.URL.RawQuery)
				inner.ServeHTTP(w, r)
			})
			c, _ := newTestClient(t, h, nil)
			var got []int
			err := c.Pages(context.Background(), tt.req, func(p Page) error {
				got = append(got, len(p.Records))
				for _, rec := range p.Records {
					var m map[string]any
					if err := json.Unmarshal(rec, &m); err != nil {
						t.Errorf("record %s: %v", rec, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || fmt.Sprint(queries) != fmt.Sprint(tt.queries) {
				t.Errorf("pages %v queries %q; want %v %q", got, queries, tt.want, tt.queries)
			}
		})
	}
}

func TestSplitArray(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{`null`, nil, false},
		{``, nil, false},
		{`[]`, nil, false},
		{` [ 1 , "a,]" , {"k":[1,2]}, [ ], null, true ] `, []string{`1`, `"a,]"`, `{"k":[1,2]}`, `[ ]`, `null`, `true`}, false},
		{`[{"s":"\\\"}"}]`, []string{`{"s":"\\\"}"}`}, false},
		{`["a\\",1,"\\\\",""]`, []string{`"a\\"`, `1`, `"\\\\"`, `""`}, false},
		{`["a\"]`, nil, true}, // the quote is escaped: unterminated
		{`{"a":1}`, nil, true},
	}
	for _, tt := range tests {
		got, err := splitArray(json.RawMessage(tt.in))
		if (err != nil) != tt.err {
			t.Errorf("splitArray(%s) err = %v", tt.in, err)
			continue
		}
		var s []string
		for _, g := range got {
			s = append(s, string(g))
		}
		if fmt.Sprintf("%q", s) != fmt.Sprintf("%q", tt.want) {
			t.Errorf("splitArray(%s) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

// TestParseEnvelopeTruncation: every proper prefix of an answer (what a reset
// or truncated body delivers) is rejected, and the whole answer parses.
func TestParseEnvelopeTruncation(t *testing.T) {
	bodies := []string{
		`{"success":true,"data":[{"id":1,"title":"a \"quoted\" ]},{","custom_fields":{"x":[1,2,{"y":null}]}},{"id":2}],"additional_data":{"next_cursor":"eyJ9"}}`,
		`{"success":true,"data":[{"id":1}],"additional_data":{"pagination":{"start":0,"limit":1,"more_items_in_collection":true,"next_start":1}},"related_objects":{"user":{"1":{"id":1}}}}`,
		` { "success" : true , "data" : null } `,
	}
	for _, b := range bodies {
		env, err := parseEnvelope([]byte(b))
		if err != nil {
			t.Fatalf("parseEnvelope(%s): %v", b, err)
		}
		for _, r := range env.records {
			if !json.Valid(r) {
				t.Errorf("record %s is not valid JSON", r)
			}
		}
		trimmed := strings.TrimRight(b, " ")
		for n := 0; n < len(trimmed); n++ {
			if _, err := parseEnvelope([]byte(trimmed[:n])); err == nil {
				t.Errorf("prefix %q accepted", trimmed[:n])
			}
		}
	}
	for _, bad := range []string{`{"data":{"id":1}}`, `{"data":[1]} x`, `[1]`, `{"success":true "data":[]}`} {
		if _, err := parseEnvelope([]byte(bad)); err == nil {
			t.Errorf("parseEnvelope(%s) accepted", bad)
		}
	}
}

// TestUnexpectedListShape: a complete list answer whose data is not a list
// is not retried (it would come back the same) and is neither a config nor a
// transient error (the engine reports it as system_error); a truncated one
// is retried.
func TestUnexpectedListShape(t *testing.T) {
	tests := []struct {
		name    string
		answers []answer
		wantN   int32
		check   func(error) bool
	}{
		{"data is an object", []answer{{body: `{"success":true,"data":{"id":1}}`}}, 1,
			func(err error) bool { return errors.Is(err, errNotList) && !IsTransient(err) && !IsConfig(err) }},
		{"data is a string", []answer{{body: `{"success":true,"data":"x"}`}}, 1,
			func(err error) bool { return errors.Is(err, errNotList) && !IsTransient(err) }},
		{"truncated then ok", []answer{{body: `{"success":true,"data":[{"id":1`}, {body: okBody}}, 2,
			func(err error) bool { return err == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n := scripted(t, tt.answers...)
			c, _ := newTestClient(t, h, nil)
			err := c.Pages(context.Background(), PageRequest{Version: V2, Path: "/deals", Paging: V2Cursor, Cost: 10}, func(Page) error { return nil })
			if !tt.check(err) {
				t.Errorf("err = %v (transient %v)", err, IsTransient(err))
			}
			if n.Load() != tt.wantN {
				t.Errorf("requests = %d, want %d", n.Load(), tt.wantN)
			}
		})
	}
}
