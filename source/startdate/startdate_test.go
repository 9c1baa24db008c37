package startdate

import (
	"testing"
	"time"
)

// The connector config's dates (the old connector's users have these).
func TestParseConnectorDates(t *testing.T) {
	cases := map[string]string{
		"2017-01-25T00:00:00Z":      "2017-01-25T00:00:00Z",
		"2017-01-25 00:00:00Z":      "2017-01-25T00:00:00Z",
		"2017-01-25":                "2017-01-25T00:00:00Z",
		"2017-01-25T02:00:00+02:00": "2017-01-25T00:00:00Z",
		"2017-01-25T02:00:00+0200":  "2017-01-25T00:00:00Z",
		"2017-01-24 19:00:00-05:00": "2017-01-25T00:00:00Z",
		"2017-01-25T00:00:00.000Z":  "2017-01-25T00:00:00Z",
		"2017-01-25 10:30:00":       "2017-01-25T10:30:00Z",
		"2017-01-25T10:30":          "2017-01-25T10:30:00Z",
		" 2017-01-25T00:00:00z ":    "2017-01-25T00:00:00Z",
		"yesterday":                 "",
		"2017-13-01":                "",
		"":                          "",
	}
	for in, want := range cases {
		got, err := Parse(in)
		if want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", in, got)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

// A profile's dates.
func TestParseProfileDates(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"2024-01-02", "2024-01-02T00:00:00Z", true},
		{"2024-01-02T03:04:05+02:00", "2024-01-02T01:04:05Z", true},
		{"02/01/2024", "", false},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("Parse(%q) err = %v", tt.in, err)
			continue
		}
		if tt.ok && got.Format("2006-01-02T15:04:05Z07:00") != tt.want {
			t.Errorf("Parse(%q) = %v, want %s", tt.in, got, tt.want)
		}
	}
}
