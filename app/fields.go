package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/schema"
	"github.com/pdxhq/pdx/source/streams"
)

// Fields discovers the custom fields of each entity (deal, person, ...)
// from its Fields stream, once per entity (and again once when a record
// has an option they lack): the readable decoders, the CSV columns and the
// Airbyte catalog all come from here. Safe for concurrent use.
type Fields struct {
	cl     *client.Client
	mu     sync.Mutex
	fields map[string][]schema.Field // entity -> custom fields
	// refreshed: entities re-read this run (Refresh)
	refreshed map[string]bool
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

// Refresh re-reads entity's field definitions, once per run (later calls
// return what the first read): the decoders call it when a record carries
// an option id the definitions lack, an option added in Pipedrive since.
func (f *Fields) Refresh(ctx context.Context, entity string) ([]schema.Field, error) {
	f.mu.Lock()
	if f.refreshed == nil {
		f.refreshed = map[string]bool{}
	}
	again := f.refreshed[entity]
	f.refreshed[entity] = true
	if !again {
		delete(f.fields, entity)
	}
	f.mu.Unlock()
	return f.Of(ctx, entity)
}
