package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/schema"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/output"
)

// Fields discovers the custom fields of each entity (deal, person, ...)
// from its Fields stream, once per entity: the CSV columns and the Airbyte
// catalog both come from here. Safe for concurrent use.
type Fields struct {
	cl     *client.Client
	mu     sync.Mutex
	fields map[string][]schema.Field // entity -> custom fields
}

// NewFields reads field definitions with cl.
func NewFields(cl *client.Client) *Fields {
	return &Fields{cl: cl, fields: map[string][]schema.Field{}}
}

// Of returns the custom fields of entity (nil when it has no Fields stream).
func (f *Fields) Of(ctx context.Context, entity string) ([]schema.Field, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fs, ok := f.fields[entity]; ok {
		return fs, nil
	}
	def, ok := streams.Lookup(entity + "_fields")
	if !ok {
		f.fields[entity] = nil
		return nil, nil
	}
	var raws []json.RawMessage
	err := f.cl.Pages(ctx, def.Request(nil), func(p client.Page) error {
		for _, r := range p.Records {
			raws = append(raws, append(json.RawMessage(nil), r...))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s field definitions: %w", entity, err)
	}
	fs, err := schema.ParseFields(int(def.Version), raws)
	if err != nil {
		return nil, fmt.Errorf("read %s field definitions: %w", entity, err)
	}
	f.fields[entity] = fs
	return fs, nil
}

// columns are the CSV columns of stream. Custom field names that cannot be
// read are not fatal: the notice says so and custom values go to _extra.
func (f *Fields) columns(ctx context.Context, stream string, notice func(string)) ([]output.Column, error) {
	st, ok := streams.Lookup(stream)
	if !ok {
		return nil, fmt.Errorf("unknown stream %q", stream)
	}
	js, err := schema.Base(stream)
	if err != nil {
		return nil, err
	}
	fields := f.of(ctx, stream, fmt.Sprintf("custom values go to the %s column", output.ExtraColumn), notice)
	if len(fields) > 0 && schema.HasCustomSlot(js, int(st.Version)) {
		if js, err = schema.WithCustomFields(js, int(st.Version), fields); err != nil {
			return nil, fmt.Errorf("%s schema: %w", stream, err)
		}
	}
	return output.Columns(js, st.PrimaryKey, fields)
}

// of returns the custom fields of stream (nil when it has none). Names that
// cannot be read are not fatal: the notice says so, and what the format
// does instead (fallback).
func (f *Fields) of(ctx context.Context, stream, fallback string, notice func(string)) []schema.Field {
	st, ok := streams.Lookup(stream)
	if !ok || st.FieldsEntity == "" {
		return nil
	}
	fields, err := f.Of(ctx, st.FieldsEntity)
	if err != nil {
		notice(fmt.Sprintf("%s: custom field names unavailable (%v); %s", stream, err, fallback))
		return nil
	}
	return fields
}
