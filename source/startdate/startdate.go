// Package startdate parses the start date a person gives pdx (a profile's
// start_date, `pdx sync --start-date`, the Airbyte config's start_date):
// one parser, so every entry point accepts the same dates.
package startdate

import (
	"fmt"
	"strings"
	"time"
)

// startLayouts are tried in order on the start date once a space between
// date and time has been turned into a T.
var startLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999", // no zone: UTC
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// Parse accepts the union of what profiles and the old connector's users
// have: 2017-01-25T00:00:00Z, 2017-01-25 00:00:00Z, 2017-01-25, fractions,
// offsets (+02:00, +0200), or no zone (UTC). The result is in UTC.
func Parse(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	if len(v) > 10 && v[10] == ' ' {
		v = v[:10] + "T" + strings.TrimLeft(v[11:], " ")
	}
	v = strings.Replace(v, "z", "Z", 1)
	if i := strings.LastIndexByte(v, ' '); i > 10 { // "2017-01-25T00:00:00 +02:00"
		v = v[:i] + v[i+1:]
	}
	for _, l := range startLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date like 2017-01-25T00:00:00Z, 2017-01-25 00:00:00Z or 2017-01-25", s)
}
