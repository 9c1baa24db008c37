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

// columnSource lays out CSV columns: the stream's schema plus the company's
// custom fields, read once per entity from its Fields endpoint (10 tokens)
// and only when a CSV file is created.
type columnSource struct {
	cl     *client.Client
	notice func(string)
	mu     sync.Mutex
	fields map[string][]schema.Field // entity -> custom fields
}

func newColumnSource(cl *client.Client, notice func(string)) *columnSource {
	return &columnSource{cl: cl, notice: notice, fields: map[string][]schema.Field{}}
}

func (c *columnSource) columns(ctx context.Context, stream string) ([]output.Column, error) {
	st, ok := streams.Lookup(stream)
	if !ok {
		return nil, fmt.Errorf("unknown stream %q", stream)
	}
	js, err := schema.Base(stream)
	if err != nil {
		return nil, err
	}
	var fields []schema.Field
	if st.FieldsEntity != "" {
		fields, err = c.customFields(ctx, st.FieldsEntity)
		if err != nil {
			// Columns can still be made; custom values then go to _extra.
			c.notice(fmt.Sprintf("%s: custom field names unavailable (%v); custom values go to the %s column", stream, err, output.ExtraColumn))
			fields = nil
		}
		if len(fields) > 0 && hasCustomSlot(js, int(st.Version)) {
			if js, err = schema.WithCustomFields(js, int(st.Version), fields); err != nil {
				return nil, fmt.Errorf("%s schema: %w", stream, err)
			}
		}
	}
	return output.Columns(js, st.PrimaryKey, fields)
}

func (c *columnSource) customFields(ctx context.Context, entity string) ([]schema.Field, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.fields[entity]; ok {
		return f, nil
	}
	def, ok := streams.Lookup(entity + "_fields")
	if !ok {
		c.fields[entity] = nil
		return nil, nil
	}
	var raws []json.RawMessage
	req := client.PageRequest{Version: def.Version, Path: def.Path, Params: def.Params, Paging: def.Paging, Limit: def.PageLimit, Cost: def.TokenCost}
	err := c.cl.Pages(ctx, req, func(p client.Page) error {
		for _, r := range p.Records {
			raws = append(raws, append(json.RawMessage(nil), r...))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s fields: %w", entity, err)
	}
	fields, err := schema.ParseFields(int(def.Version), raws)
	if err != nil {
		return nil, err
	}
	c.fields[entity] = fields
	return fields, nil
}

// hasCustomSlot: v2 records carry custom fields only where the schema has
// custom_fields; v1 records (leads, notes) carry them at the top level.
func hasCustomSlot(js json.RawMessage, version int) bool {
	if version != 2 {
		return true
	}
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	return json.Unmarshal(js, &s) == nil && s.Properties["custom_fields"] != nil
}
