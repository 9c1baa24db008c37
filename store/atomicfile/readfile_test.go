package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFileCap(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		size int
		err  error
	}{{"empty", 0, nil}, {"at the cap", 10, nil}, {"one over", 11, ErrTooLarge}, {"far over", 1 << 20, ErrTooLarge}, {"missing", -1, os.ErrNotExist}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if tc.size >= 0 {
				if err := os.WriteFile(path, make([]byte, tc.size), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			data, err := ReadFile(path, 10)
			if !errors.Is(err, tc.err) || (tc.err == nil && len(data) != tc.size) || (tc.err != nil && data != nil) {
				t.Fatalf("ReadFile = %d bytes, %v; want %v", len(data), err, tc.err)
			}
		})
	}
}
