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
// text. The zero value and a nil *Masker mask nothing.
type Masker struct {
	r *strings.Replacer
}

// NewMasker masks each non-empty secret. Longer secrets are replaced first
// so a secret containing another is hidden whole.
func NewMasker(secrets ...string) *Masker {
	uniq := map[string]bool{}
	var list []string
	for _, s := range secrets {
		if s == "" || uniq[s] {
			continue
		}
		uniq[s] = true
		list = append(list, s)
	}
	if len(list) == 0 {
		return &Masker{}
	}
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	pairs := make([]string, 0, 2*len(list))
	for _, s := range list {
		pairs = append(pairs, s, Mask)
	}
	return &Masker{r: strings.NewReplacer(pairs...)}
}

// String returns s with every secret replaced by Mask.
func (m *Masker) String(s string) string {
	if m == nil || m.r == nil {
		return s
	}
	return m.r.Replace(s)
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
