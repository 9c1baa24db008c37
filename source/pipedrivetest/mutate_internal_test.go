package pipedrivetest

import (
	"strings"
	"testing"
)

func TestMustAdvance(t *testing.T) {
	tests := []struct {
		start, next int
		wantPanic   bool
	}{
		{0, 500, false},
		{500, 501, false},
		{500, 500, true}, // "more" with an empty page
		{500, 100, true},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				r := recover()
				if (r != nil) != tt.wantPanic {
					t.Errorf("mustAdvance(%d, %d): panic %v, want panic %v", tt.start, tt.next, r, tt.wantPanic)
				}
				if r != nil && !strings.Contains(r.(string), "notes") {
					t.Errorf("panic %q does not name the listing", r)
				}
			}()
			mustAdvance("notes", tt.start, tt.next)
		}()
	}
}
