package airbyte

import (
	"io"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Mask replaces a secret in text.
const Mask = "****"

// MinInWordSecret is the length from which a secret is masked wherever it
// occurs. A shorter one (a test's "a", a two-letter client id) is masked only
// where it stands as a whole token: masked inside words it garbled every
// message ("inv****lid config") while hiding nothing a real secret needs
// hidden. Pipedrive's tokens and OAuth values are far longer than this, and
// a short secret standing alone is still masked.
const MinInWordSecret = 8

// Masker hides secret values (every airbyte_secret value of the config) in
// text. It is safe for concurrent use; Add takes secrets that appear during
// a run (rotated OAuth tokens). A nil *Masker masks nothing.
type Masker struct {
	mu      sync.RWMutex
	secrets []string
	r       *strings.Replacer // secrets of MinInWordSecret bytes or more
	short   []string          // shorter secrets, longest first
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
	sort.SliceStable(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	var pairs []string
	m.short = m.short[:0]
	for _, s := range list {
		if len(s) < MinInWordSecret {
			m.short = append(m.short, s)
			continue
		}
		pairs = append(pairs, s, Mask)
	}
	m.r = nil
	if len(pairs) > 0 {
		m.r = strings.NewReplacer(pairs...)
	}
}

// String returns s with every secret replaced by Mask.
func (m *Masker) String(s string) string {
	if m == nil {
		return s
	}
	m.mu.RLock()
	r, short := m.r, m.short
	m.mu.RUnlock()
	if r != nil {
		s = r.Replace(s)
	}
	for _, sec := range short {
		s = maskTokens(s, sec)
	}
	return s
}

// maskTokens replaces the occurrences of sec in s that stand as tokens: no
// letter or digit continues the secret's first or last character.
func maskTokens(s, sec string) string {
	var b strings.Builder
	done := 0
	for i := 0; ; {
		j := strings.Index(s[i:], sec)
		if j < 0 {
			break
		}
		j += i
		end := j + len(sec)
		if (!wordAt(sec, 0, false) || !wordAt(s, j, true)) && (!wordAt(sec, len(sec), true) || !wordAt(s, end, false)) {
			b.WriteString(s[done:j])
			b.WriteString(Mask)
			done, i = end, end
			continue
		}
		i = j + 1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// wordAt reports whether the rune just before offset i (before) or at i
// (!before) is a letter or digit; false at either end of s.
func wordAt(s string, i int, before bool) bool {
	var r rune
	switch {
	case before && i > 0:
		r, _ = utf8.DecodeLastRuneInString(s[:i])
	case !before && i < len(s):
		r, _ = utf8.DecodeRuneInString(s[i:])
	default:
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
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
