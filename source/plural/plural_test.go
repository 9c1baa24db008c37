package plural

import "testing"

func TestCount(t *testing.T) {
	tests := []struct {
		n    int64
		noun string
		want string
	}{
		{0, "record", "0 records"},
		{1, "page", "1 page"},
		{2, "page", "2 pages"},
		{1868, "record", "1,868 records"},
		{1234567, "token", "1,234,567 tokens"},
		{1, "rate-limit wait", "1 rate-limit wait"},
		{225, "rate-limit wait", "225 rate-limit waits"},
		{-1, "record", "-1 record"},
	}
	for _, tt := range tests {
		if got := Count(tt.n, tt.noun); got != tt.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
	if got := Count(3, "stream"); got != "3 streams" { // an int, as len() gives
		t.Errorf("Count(3, stream) = %q", got)
	}
	if got := N(30000); got != "30,000" {
		t.Errorf("N(30000) = %q", got)
	}
}
