package airbyte

import (
	"io"
	"sort"
	"strings"
	"sync"
)

// Mask replaces a secret in text.
const Mask = "****"

// Masker hides secret values (every airbyte_secret value of the config) in
// text. It is safe for concurrent use; Add takes secrets that appear during
// a run (rotated OAuth tokens). A nil *Masker masks nothing.
type Masker struct {
	mu      sync.RWMutex
	secrets []string
	r       *strings.Replacer
}

// NewMasker masks each non-empty secret.
func NewMasker(secrets ...string) *Masker {
	m := &Masker{}
	m.Add(secrets...)
	return m
}

// Add masks more secrets from now on. Longer secrets are replaced first so a
// secret containing another is hidden whole.
func (m *Masker) Add(secrets ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	for _, s := range m.secrets {
		seen[s] = true
	}
	changed := false
	for _, s := range secrets {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		m.secrets = append(m.secrets, s)
		changed = true
	}
	if !changed {
		return
	}
	list := append([]string(nil), m.secrets...)
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	pairs := make([]string, 0, 2*len(list))
	for _, s := range list {
		pairs = append(pairs, s, Mask)
	}
	m.r = strings.NewReplacer(pairs...)
}

// String returns s with every secret replaced by Mask.
func (m *Masker) String(s string) string {
	if m == nil {
		return s
	}
	m.mu.RLock()
	r := m.r
	m.mu.RUnlock()
	if r == nil {
		return s
	}
	return r.Replace(s)
}

// Writer wraps w so that everything written through it is masked. Each
// Write is masked on its own, which suits line-oriented logs (a secret split
// across two Write calls would slip through; loggers write whole lines).
func (m *Masker) Writer(w io.Writer) io.Writer {
	return &maskWriter{m: m, w: w}
}

type maskWriter struct {
	mu sync.Mutex
	m  *Masker
	w  io.Writer
}

func (mw *maskWriter) Write(p []byte) (int, error) {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	if _, err := io.WriteString(mw.w, mw.m.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
