// Package plural writes counts for people: thousands separators always
// (1,868) and the noun in the number it takes (1 page, 4 pages). Every line
// pdx prints about a count uses it, so one fact reads the same everywhere
// (the engine's log lines, the headless progress lines, the CLI's messages).
// It lives under source/ because the engine, the lowest layer, needs it.
package plural

import "github.com/dustin/go-humanize"

// N is n with thousands separators: 1868 -> "1,868".
func N(n int64) string { return humanize.Comma(n) }

// Count is n and the noun, plural unless n is 1: Count(1, "page") is
// "1 page", Count(1868, "record") is "1,868 records". The plural is the noun
// and "s", which is every noun pdx counts.
func Count[T ~int | ~int64](n T, noun string) string {
	if n == 1 || n == -1 {
		return N(int64(n)) + " " + noun
	}
	return N(int64(n)) + " " + noun + "s"
}
