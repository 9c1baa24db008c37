// Package sharedref finds the reference files that live in ../shared beside
// the project root (Pipedrive's OpenAPI specs, the Airbyte protocol schema,
// the old connector's specs and states). Tests read them in place and skip
// with a clear message when they are absent; the project never copies them.
package sharedref

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
)

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// Root returns the absolute path of the shared directory: $PDX_SHARED when
// set, else ../shared beside the module root (the directory holding go.mod).
func Root() (string, error) {
	rootOnce.Do(func() {
		if d := os.Getenv("PDX_SHARED"); d != "" {
			rootDir, rootErr = filepath.Abs(d)
			return
		}
		wd, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = filepath.Join(filepath.Dir(dir), "shared")
				return
			}
			if filepath.Dir(dir) == dir {
				rootErr = errors.New("no go.mod above " + wd)
				return
			}
		}
	})
	return rootDir, rootErr
}

// Path returns the absolute path of rel (e.g.
// "reference/airbyte-protocol/airbyte_protocol.json") inside the shared
// directory, or an error naming what is missing.
func Path(rel string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}

// TB is the part of testing.TB that Require needs (kept small so this package
// does not import testing into the binary).
type TB interface {
	Helper()
	Skipf(format string, args ...any)
}

// Require returns the path of rel, or skips the test with a message saying
// which file is missing and where it was looked for.
func Require(t TB, rel string) string {
	t.Helper()
	p, err := Path(rel)
	if err != nil {
		t.Skipf("shared reference file %s is absent (%v): put the shared folder beside the project root, or set PDX_SHARED", rel, err)
	}
	return p
}

// Read returns the content of rel (Path, then read): the shared documents
// are read here, so the packages that check against them read no files.
func Read(rel string) ([]byte, error) {
	p, err := Path(rel)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}
