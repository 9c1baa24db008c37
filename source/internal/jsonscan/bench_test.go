package jsonscan

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// benchPage is a page of 500 deal-like records (~1 MB, the shape of v2
// deals: strings, numbers, nulls, a nested custom_fields object).
var benchPage = func() []byte {
	var sb strings.Builder
	sb.WriteString(`[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteString(`,`)
		}
		fmt.Fprintf(&sb, `{"id":%d,"title":"Acme Energy annual plan \"%d\"","owner_id":4,"person_id":90,"org_id":12,"stage_id":3,"value":12500.5,"currency":"EUR","add_time":"2024-05-01T10:00:00Z","update_time":"2024-06-01T10:00:00Z","status":"open","probability":null,"lost_reason":null,"visible_to":3,"close_time":null,"pipeline_id":1,"won_time":null,"lost_time":null,"expected_close_date":"2024-09-30","label_ids":[1,2],"is_deleted":false,"origin":"ManuallyCreated","custom_fields":{"a1b2c3":"Text with some words in it, like a note \u00e9","d4e5f6":{"value":100,"currency":"EUR"},"g7h8i9":null,"j0k1l2":[7,8,9]},"description":"%s"}`, i, i, strings.Repeat("lorem ipsum dolor sit amet ", 20))
	}
	sb.WriteString(`]`)
	return []byte(sb.String())
}()

// BenchmarkJSONScanSplitPage splits (and validates) a page; json.Valid on
// the same bytes is the reference for what validation costs elsewhere.
//
//	go test -run '^$' -bench JSONScan ./source/internal/jsonscan
func BenchmarkJSONScanSplitPage(b *testing.B) {
	b.SetBytes(int64(len(benchPage)))
	for b.Loop() {
		if elems, end := SplitArray(benchPage, 0); end < 0 || len(elems) != 500 {
			b.Fatal("split failed")
		}
	}
}

func BenchmarkJSONScanReferenceValid(b *testing.B) {
	b.SetBytes(int64(len(benchPage)))
	for b.Loop() {
		if !json.Valid(benchPage) {
			b.Fatal("invalid")
		}
	}
}
