package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/schema"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/atomicfile"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/state"
)

// NamesFile is where a profile's custom-field name book lives, beside its
// state.json.
//
// The book lives beside the destination's state.json (store/state keeps one
// directory per destination), so every destination keeps the names it first
// wrote; loadNames and saveNames are the only two places that know where.
const NamesFile = "custom_field_names.json"

// loadNames reads the profile's name book (a new one for an ephemeral
// state, or when none was saved yet).
func loadNames(st *state.Profile) (*readable.NameBook, error) {
	if st == nil || st.IsEphemeral() {
		return readable.NewNameBook(), nil
	}
	path := filepath.Join(filepath.Dir(st.StatePath()), NamesFile)
	data, err := atomicfile.ReadFile(path, state.MaxFileSize)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	b, err := readable.LoadNameBook(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (move it away to name the columns afresh)", path, err)
	}
	return b, nil
}

// saveNames writes the book if it changed. It runs before any record is
// written with a new name, so a name in a file is always in the book.
func saveNames(st *state.Profile, b *readable.NameBook) error {
	if st == nil || st.IsEphemeral() || !b.Dirty() {
		return nil
	}
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	path := filepath.Join(filepath.Dir(st.StatePath()), NamesFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("save custom field names: %w", err)
	}
	b.ClearDirty()
	return nil
}

// decoders make each stream's custom-field decoder from the run's field
// definitions and name book.
type decoders struct {
	ctx    context.Context
	fields *Fields
	book   *readable.NameBook
	save   func() error
	saveMu sync.Mutex // one save at a time (streams start concurrently)
	notice func(string)
	// noticeMu: streams make their decoders at once, and a notice callback
	// need not be safe for concurrent use (Options.Notice).
	noticeMu sync.Mutex
	rawIDs   bool
	mu       sync.Mutex
	used     map[string]map[string]string // entity -> hash -> column name, of the decoders made
}

// decoder is stream's decoder, nil when its records carry no custom fields
// (activities, settings streams). Definitions that cannot be read are not
// fatal: the notice says so and the stream is written without readable
// values (the raw ones are still there).
func (x *decoders) decoder(stream string) (*readable.Decoder, error) {
	if isTable(stream) {
		return nil, nil
	}
	st, ok := streams.Lookup(stream)
	if !ok {
		return nil, fmt.Errorf("unknown stream %q", stream)
	}
	if st.FieldsEntity == "" {
		return nil, nil
	}
	js, err := schema.Base(stream)
	if err != nil {
		return nil, err
	}
	if !schema.HasCustomSlot(js, int(st.Version)) {
		return nil, nil
	}
	fs, err := x.fields.Of(x.ctx, st.FieldsEntity)
	if err != nil {
		x.say(fmt.Sprintf("%s: custom field names unavailable (%v); custom values stay raw", stream, err))
		return nil, nil
	}
	if len(fs) == 0 {
		return nil, nil
	}
	names := x.book.Assign(fs, topKeys(js))
	for _, r := range x.book.Renamed(fs) {
		x.say(fmt.Sprintf("%s: custom field %s; its column keeps the first name", stream, r))
	}
	x.saveMu.Lock()
	err = x.save()
	x.saveMu.Unlock()
	if err != nil {
		return nil, err
	}
	entity := st.FieldsEntity
	x.mu.Lock()
	if x.used == nil {
		x.used = map[string]map[string]string{}
	}
	x.used[entity] = names
	x.mu.Unlock()
	return readable.NewDecoder(int(st.Version), fs, names, readable.Options{RawIDs: x.rawIDs,
		Refresh: func() ([]schema.Field, error) { return x.fields.Refresh(x.ctx, entity) }}), nil
}

// say passes a notice on, one at a time.
func (x *decoders) say(msg string) {
	x.noticeMu.Lock()
	defer x.noticeMu.Unlock()
	x.notice(msg)
}

// topKeys are a schema's top-level property names: readable columns must
// not take one (CSV and SQL put them side by side).
func topKeys(js json.RawMessage) []string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(js, &s)
	var out []string
	for k := range s.Properties {
		out = append(out, k, strings.ReplaceAll(k, "_", " "))
	}
	return out
}

// columns are the CSV columns of stream: its schema's standard fields and
// the readable columns of its custom fields.
func (x *decoders) columns(stream string) ([]output.Column, error) {
	if cols, ok := tableColumns[stream]; ok {
		return cols, nil
	}
	st, ok := streams.Lookup(stream)
	if !ok {
		return nil, fmt.Errorf("unknown stream %q", stream)
	}
	js, err := schema.Base(stream)
	if err != nil {
		return nil, err
	}
	if st.Tombstoned() {
		// Tombstones (reconcile.go, reconcile_children.go) carry it: a column of its own.
		if js, err = schema.WithDeletedAt(js); err != nil {
			return nil, fmt.Errorf("%s schema: %w", stream, err)
		}
	}
	d, err := x.decoder(stream)
	if err != nil {
		return nil, err
	}
	var custom []readable.Column
	if d != nil {
		custom = d.Columns()
	}
	return output.Columns(js, st.PrimaryKey, custom)
}

// The definitions as tables (readable.FieldsTable, readable.OptionsTable):
// written beside the streams by the formats whose records are readable
// (CSV and JSONL with --readable: rewritten whole each run; SQLite: tables
// upserted by key, store/sqlite/fields.go), from the
// definitions the run read anyway (no API cost). The Airbyte output does
// not get them: its catalog is Pipedrive's streams, and the *_fields
// streams carry the same definitions and options for a join.

func isTable(name string) bool { return name == readable.FieldsTable || name == readable.OptionsTable }

// tableColumns are the tables' CSV columns (their JSON keys).
var tableColumns = map[string][]output.Column{
	readable.FieldsTable:  columnsOf("entity", "field_key", "name", "column", "field_type"),
	readable.OptionsTable: columnsOf("entity", "field_key", "option_id", "label"),
}

func columnsOf(keys ...string) []output.Column {
	out := make([]output.Column, len(keys))
	for i, k := range keys {
		out[i] = output.Column{Name: k, Key: k}
	}
	return out
}

// writesTables reports whether the plan's output gets the tables: the
// formats that decode custom fields themselves (CSV files; SQLite, as two
// tables of its database, upserted by key), and the file formats made
// readable (JSONL --readable). Not the Airbyte output (one stream of
// messages whose catalog is Pipedrive's streams).
func writesTables(plan Plan) bool {
	return plan.Format.DecodesFields || plan.Readable && !plan.Format.OneFile
}

// writeTables writes the two tables of the entities whose decoders the run
// made, through w as two full-refresh streams.
func (x *decoders) writeTables(ctx context.Context, w engine.Sink) error {
	x.mu.Lock()
	entities := make([]string, 0, len(x.used))
	for e := range x.used {
		entities = append(entities, e)
	}
	x.mu.Unlock()
	sort.Strings(entities)
	var frs, ors []json.RawMessage
	for _, e := range entities {
		fs, err := x.fields.Of(ctx, e)
		if err != nil {
			return err
		}
		x.mu.Lock()
		names := x.used[e]
		x.mu.Unlock()
		f, o := readable.Rows(e, fs, names)
		for _, r := range f {
			b, _ := json.Marshal(r)
			frs = append(frs, b)
		}
		for _, r := range o {
			b, _ := json.Marshal(r)
			ors = append(ors, b)
		}
	}
	for _, t := range []struct {
		name string
		recs []json.RawMessage
	}{{readable.FieldsTable, frs}, {readable.OptionsTable, ors}} {
		for _, ev := range []engine.Event{{Kind: engine.StreamStarted, Stream: t.name}, {Kind: engine.Records, Stream: t.name, Records: t.recs},
			{Kind: engine.Checkpoint, Stream: t.name}, {Kind: engine.StreamComplete, Stream: t.name}} {
			if ev.Kind == engine.Records && len(ev.Records) == 0 {
				continue
			}
			if err := w.Emit(ctx, ev); err != nil {
				return fmt.Errorf("write %s: %w", t.name, err)
			}
		}
	}
	return nil
}
