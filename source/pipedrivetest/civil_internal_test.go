package pipedrivetest

import (
	"testing"
	"time"
)

func TestAppendTSMatchesTimeFormat(t *testing.T) {
	for _, sec := range []int64{0, 951782400, 1709164800, 1798761599, 1798761600, 4102444799, 1234567890} {
		for _, layout := range []string{layoutV2, layoutV1, layoutLead, layoutDate} {
			want := time.Unix(sec, 0).UTC().Format(layout)
			if got := string(appendTS(nil, sec, layout)); got != want {
				t.Errorf("appendTS(%d, %q) = %s, want %s", sec, layout, got, want)
			}
		}
	}
}
