package startdate

import (
	"testing"
	"time"
)

// FuzzParse: a rejected date gives an error and no time; an accepted one is
// UTC and reads back as the same instant from RFC 3339 (the migrated Airbyte
// config and the profile both write it that way).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2017-01-25T00:00:00Z", "2017-01-25 00:00:00Z", "2017-01-25", "2017-01-25T00:00:00.123+02:00",
		"2017-01-25T00:00:00+0200", "2017-01-25T10:11", "2017-01-25 10:11:12 +02:00", "2017-01-25t00:00:00z", "25/01/2017",
		"2024-01-01T10:00:00+02:00", "01/02/2024"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := Parse(s)
		if err != nil {
			if !tm.IsZero() {
				t.Fatalf("error %v with time %v", err, tm)
			}
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("%q: %v is not UTC", s, tm)
		}
		back, err := Parse(tm.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(tm) {
			t.Fatalf("%q -> %v -> %v, %v", s, tm, back, err)
		}
	})
}
