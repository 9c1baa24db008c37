package main

import (
	"os"
	"testing"
)

// TestMain removes what the package's tests share: the pdx binary buildPDX
// builds once.
func TestMain(m *testing.M) {
	code := m.Run()
	if pdxBin.dir != "" {
		os.RemoveAll(pdxBin.dir)
	}
	os.Exit(code)
}
