package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/streams"
)

// The README's stream table is what users read first: it must list exactly
// the streams the table in source/streams defines, with their endpoints, and
// lead with the two commands (demo, tests).
func TestReadmeMatchesStreamTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	row := regexp.MustCompile("(?m)^\\| ([a-z_]+) \\| (v[12]) `([^`]+)` \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(readme, -1) {
		documented[m[1]] = m[2] + " " + m[3]
	}
	var want []string
	for _, s := range streams.All() {
		want = append(want, s.Name)
		got, ok := documented[s.Name]
		if !ok {
			t.Errorf("README stream table lacks %s", s.Name)
			continue
		}
		if endpoint := s.Version.String() + " " + s.Path; !strings.EqualFold(got, endpoint) {
			t.Errorf("README says %s reads %q, the table says %q", s.Name, got, endpoint)
		}
	}
	for name := range documented {
		if !slices.Contains(want, name) {
			t.Errorf("README lists %s, which is not a stream", name)
		}
	}
	tests := []struct{ name, want string }{
		{"demo command first", "go run ./cmd/pdx --demo"},
		{"test command second", "go test ./..."},
	}
	firstBlock := readme[:strings.Index(readme, "```\n\n")]
	for _, tc := range tests {
		if !strings.Contains(firstBlock, tc.want) {
			t.Errorf("%s: the README's first code block lacks %q", tc.name, tc.want)
		}
	}
}
