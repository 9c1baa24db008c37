package sharedref

import (
	"os"
	"strings"
	"testing"
)

type fakeTB struct{ skipped string }

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = format
	panic("skip")
}

func TestRequire(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("shared folder absent at %s", root)
	}
	tests := []struct {
		rel      string
		wantSkip bool
	}{
		{"reference/airbyte-protocol/airbyte_protocol.json", false},
		{"reference/no-such-file.json", true},
	}
	for _, tc := range tests {
		t.Run(tc.rel, func(t *testing.T) {
			f := &fakeTB{}
			var got string
			func() {
				defer func() { _ = recover() }()
				got = Require(f, tc.rel)
			}()
			if tc.wantSkip != (f.skipped != "") {
				t.Fatalf("skipped=%q, want skip %v", f.skipped, tc.wantSkip)
			}
			if !tc.wantSkip && !strings.HasSuffix(got, tc.rel) {
				t.Fatalf("path %q does not end in %q", got, tc.rel)
			}
		})
	}
}
