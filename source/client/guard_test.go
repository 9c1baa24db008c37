package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestReadBeyondMaxRecordsFails: a v1 list that says "more" forever with
// fresh records every page (nothing repeats, nothing overlaps) is stopped
// at MaxRecords with a message that says why, not read until the budget
// is gone.
func TestReadBeyondMaxRecordsFails(t *testing.T) {
	var requests int
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		fmt.Fprintf(w, `{"success":true,"data":[{"id":%d},{"id":%d}],"additional_data":{"pagination":{"start":%d,"limit":2,"more_items_in_collection":true}}}`, start, start+1, start)
	})
	c, _ := newTestClient(t, h, nil)
	records := 0
	err := c.Pages(context.Background(), PageRequest{Version: V1, Path: "/callLogs", Paging: V1Offset, Limit: 2, MaxRecords: 10}, func(p Page) error {
		records += len(p.Records)
		return nil
	})
	var pe *PagingError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "more than 10 records") {
		t.Fatalf("err = %v, want a PagingError about the record bound", err)
	}
	if records > 10 || requests > 7 {
		t.Errorf("%d records handed over in %d requests past a bound of 10", records, requests)
	}
}

// TestEmptyPageThatSaysMoreIsRetriedThenFails: the anomaly is retried like
// a truncated body (a second answer may be whole), and fails the read when
// it persists.
func TestEmptyPageThatSaysMoreIsRetriedThenFails(t *testing.T) {
	empty := answer{body: `{"success":true,"data":null,"additional_data":{"next_cursor":"c2"}}`}
	for _, tt := range []struct {
		name    string
		answers []answer
		wantErr bool
		pages   int
	}{
		{"once, then whole", []answer{empty, {body: `{"success":true,"data":[{"id":1}],"additional_data":{"next_cursor":null}}`}}, false, 1},
		{"persistent", []answer{empty, empty, empty}, true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := scripted(t, tt.answers...)
			c, _ := newTestClient(t, h, func(o *Options) { o.MaxRetries = 2 })
			pages := 0
			err := c.Pages(context.Background(), PageRequest{Version: V2, Path: "/deals", Paging: V2Cursor}, func(Page) error { pages++; return nil })
			if (err != nil) != tt.wantErr || pages != tt.pages {
				t.Fatalf("err = %v, pages = %d; want error %v, %d pages", err, pages, tt.wantErr, tt.pages)
			}
			if err != nil && (!errors.Is(err, errEmptyMore) || !IsTransient(err)) {
				t.Errorf("err = %v, want the empty-page anomaly as a transport failure", err)
			}
		})
	}
}
