package readable

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pdxhq/pdx/source/schema"
)

// NameBook maps each custom field's hash to the column name pdx chose for
// it the first time it wrote the field, kept with the destination's state:
// a rename in Pipedrive records the new name but does not move the column
// (the hash stays the identity). Safe for concurrent use.
type NameBook struct {
	mu    sync.Mutex
	book  bookJSON
	dirty bool
}

type bookJSON struct {
	// Columns: hash -> the column name in use.
	Columns map[string]string `json:"columns"`
	// Names: hash -> the field's name in Pipedrive when last seen (differs
	// from the column after a rename).
	Names map[string]string `json:"names,omitempty"`
}

// NewNameBook is an empty book.
func NewNameBook() *NameBook {
	return &NameBook{book: bookJSON{Columns: map[string]string{}, Names: map[string]string{}}}
}

// LoadNameBook reads a book saved by MarshalJSON (empty data: a new book).
func LoadNameBook(data []byte) (*NameBook, error) {
	b := NewNameBook()
	if len(data) == 0 {
		return b, nil
	}
	if err := json.Unmarshal(data, &b.book); err != nil {
		return nil, fmt.Errorf("custom field names: %w", err)
	}
	if b.book.Columns == nil {
		b.book.Columns = map[string]string{}
	}
	if b.book.Names == nil {
		b.book.Names = map[string]string{}
	}
	return b, nil
}

// MarshalJSON is the book to save beside the destination's state.
func (b *NameBook) MarshalJSON() ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return json.Marshal(b.book)
}

// Dirty reports whether Assign changed the book since the last ClearDirty
// (a new field, a rename): the caller saves it before writing data with it.
func (b *NameBook) Dirty() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.dirty }

// ClearDirty marks the book saved.
func (b *NameBook) ClearDirty() { b.mu.Lock(); b.dirty = false; b.mu.Unlock() }

// Renamed lists the fields whose Pipedrive name is no longer their column
// name, as "column -> name" (for a notice).
func (b *NameBook) Renamed(fields []schema.Field) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, f := range fields {
		if c, ok := b.book.Columns[f.Key]; ok && f.Name != "" && baseName(f) != c && !strings.HasPrefix(c, baseName(f)+" (") {
			out = append(out, fmt.Sprintf("%q is now %q in Pipedrive", c, f.Name))
		}
	}
	return out
}

func baseName(f schema.Field) string {
	if n := strings.TrimSpace(f.Name); n != "" {
		return n
	}
	return "custom"
}

// Assign returns the column name of each of fields (hash -> name): the
// name in the book if the field has one, else a new one, recorded. A new
// name is the field's Pipedrive name; when that is taken (compared without
// case, as SQL does) by another field of the set, a name in reserved (the
// stream's standard columns) or a field earlier in hash order with the same
// name, it gets the first 8 hex digits of the hash: "Region (a1b2c3d4)".
func (b *NameBook) Assign(fields []schema.Field, reserved []string) map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	fs := append([]schema.Field(nil), fields...)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Key < fs[j].Key })
	taken := map[string]bool{}
	for _, r := range reserved {
		taken[strings.ToLower(r)] = true
	}
	out := make(map[string]string, len(fs))
	for _, f := range fs {
		if c, ok := b.book.Columns[f.Key]; ok {
			out[f.Key] = c
			taken[strings.ToLower(c)] = true
		}
	}
	for _, f := range fs {
		if b.book.Names[f.Key] != f.Name {
			b.book.Names[f.Key] = f.Name
			b.dirty = true
		}
		if _, ok := out[f.Key]; ok {
			continue
		}
		name := baseName(f)
		if taken[strings.ToLower(name)] {
			name = fmt.Sprintf("%s (%s)", name, f.Key[:min(8, len(f.Key))])
		}
		if taken[strings.ToLower(name)] {
			name = fmt.Sprintf("%s (%s)", baseName(f), f.Key)
		}
		taken[strings.ToLower(name)] = true
		out[f.Key] = name
		b.book.Columns[f.Key] = name
		b.dirty = true
	}
	return out
}
