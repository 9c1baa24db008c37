package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadInputBounded: a connector input is read whole up to MaxInputSize;
// a bigger one (a wrong path: a log, a dump) is an error naming the file.
func TestReadInputBounded(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("{}"); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil { // sparse: nothing is written
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	tests := []struct {
		name    string
		path    string
		size    int
		wantErr string
	}{
		{"small", mk("small.json", 2), 2, ""},
		{"at the limit", mk("limit.json", MaxInputSize), MaxInputSize, ""},
		{"over the limit", mk("big.json", MaxInputSize+1), 0, "big.json is larger than 16 MiB"},
		{"missing", filepath.Join(dir, "none.json"), 0, "none.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := readInput(tt.path)
			if tt.wantErr == "" {
				if f.Err != nil || len(f.Data) != tt.size {
					t.Fatalf("read %d bytes, err %v; want %d bytes", len(f.Data), f.Err, tt.size)
				}
				return
			}
			if f.Err == nil || !strings.Contains(f.Err.Error(), tt.wantErr) || f.Data != nil {
				t.Fatalf("err %v (%d bytes), want one containing %q", f.Err, len(f.Data), tt.wantErr)
			}
			if tt.name == "missing" && !errors.Is(f.Err, os.ErrNotExist) {
				t.Fatalf("err %v does not wrap ErrNotExist", f.Err)
			}
		})
	}
}
