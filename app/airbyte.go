package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/readable"
	"github.com/pdxhq/pdx/source/schema"
	"github.com/pdxhq/pdx/store/output"
)

// MaxInputSize bounds the config, catalog and state files of the Airbyte
// commands: they are small JSON documents, and a wrong path (a log, a
// device) must not be read into memory whole.
const MaxInputSize = 16 << 20

// ReadFiles are the files of `pdx read`.
type ReadFiles struct {
	Config, Catalog, State string // State may be empty (first sync)
}

// readInput reads one input file of a connector command, at most
// MaxInputSize bytes.
func readInput(path string) airbyte.File {
	f, err := os.Open(path)
	if err != nil {
		return airbyte.File{Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxInputSize+1))
	switch {
	case err != nil:
		return airbyte.File{Err: fmt.Errorf("read %s: %w", path, err)}
	case len(data) > MaxInputSize:
		return airbyte.File{Err: fmt.Errorf("%s is larger than %d MiB: is it the right file?", path, MaxInputSize>>20)}
	}
	return airbyte.File{Data: data}
}

// Check is `pdx check`: CONNECTION_STATUS SUCCEEDED with the company name,
// or FAILED with what to fix. Both exit 0; only a pdx bug exits non-zero.
func Check(ctx context.Context, env airbyte.Env, configPath string) (code int) {
	c := airbyte.Start(env)
	defer c.Recover(&code)
	if err := c.LoadConfig(readInput(configPath)); err != nil {
		if airbyte.OutputFailed(err) {
			return airbyte.ExitFailure
		}
		return c.Status(false, err.Error())
	}
	cl, err := c.Client(ctx)
	if err != nil {
		return c.Status(false, err.Error())
	}
	me, err := cl.Me(ctx)
	if err != nil {
		return c.Status(false, "Pipedrive did not accept the connection: "+err.Error())
	}
	msg := fmt.Sprintf("Connected to Pipedrive company %q", me.CompanyName)
	if me.Name != "" {
		msg += fmt.Sprintf(" as %s", me.Name)
	}
	return c.Status(true, msg)
}

// Discover is `pdx discover`: the CATALOG of every stream with its schema
// (custom fields declared from the Fields endpoints), sync modes, primary
// key and cursor.
func Discover(ctx context.Context, env airbyte.Env, configPath string) (code int) {
	c := airbyte.Start(env)
	defer c.Recover(&code)
	if err := c.LoadConfig(readInput(configPath)); err != nil {
		return c.Fail("Fix the connector config", err)
	}
	cl, err := c.Client(ctx)
	if err != nil {
		return c.Fail("Cannot set up the Pipedrive connection", err)
	}
	fields := NewFields(cl)
	cat, err := airbyte.BuildCatalog(func(entity string) ([]schema.Field, error) { return fields.Of(ctx, entity) })
	if err != nil {
		return c.Fail("Discover failed", err)
	}
	if c.Config().Readable {
		x := airbyteDecoders(ctx, fields)
		if err := declareReadable(cat, x.decoder); err != nil {
			return c.Fail("Discover failed", err)
		}
	}
	if err := c.Write(&airbyte.Message{Type: airbyte.TypeCatalog, Catalog: cat}); err != nil {
		return airbyte.ExitFailure
	}
	return airbyte.ExitOK
}

// Read is `pdx read`: the configured catalog as RECORD, STATE, status and
// log messages. Exit 0 only when every configured stream completed; 3 when
// the daily API budget ran out (state saved); 1 otherwise.
func Read(ctx context.Context, env airbyte.Env, in ReadFiles) (code int) {
	c := airbyte.Start(env)
	defer c.Recover(&code)
	if err := c.LoadConfig(readInput(in.Config)); err != nil {
		return c.Fail("Fix the connector config", err)
	}
	var state *airbyte.File
	if in.State != "" {
		f := readInput(in.State)
		state = &f
	}
	rp, msg, err := c.PlanRead(readInput(in.Catalog), state)
	if err != nil {
		return c.Fail(msg, err)
	}
	cl, err := c.Client(ctx)
	if err != nil {
		return c.Fail("Cannot set up the Pipedrive connection", err)
	}
	plan := Plan{Streams: rp.Streams, StartDate: rp.StartDate, Concurrency: rp.Concurrency, MaxTokens: rp.MaxTokens}
	var sink engine.Sink = rp.Sink(c)
	raw := sink // tombstones carry no custom fields to decode
	if c.Config().Readable {
		sink = output.ReadableSink(sink, airbyteDecoders(ctx, NewFields(cl)).decoder)
	}
	rr, err := startReadReconcile(ctx, c.Config(), rp.Streams, rp.State, cl, sink, raw, rp.Concurrency)
	if err != nil {
		return c.Fail("Cannot reconcile deletes", err)
	}
	if rr != nil {
		sink = rr
	}
	plan.SweepArchived = rr != nil
	res, runErr := plan.execute(ctx, cl, rp.State, sink, nil, nil)
	code = c.FinishRead(rp, res, runErr)
	if rr != nil {
		if err := rr.finish(&res); err != nil && code == airbyte.ExitOK {
			return c.Fail("Cannot save the delivered ids", err)
		}
	}
	return code
}

// airbyteDecoders are the decoders of `pdx discover` and `pdx read`. Their
// name book is new each run: an Airbyte connection has no pdx state but
// its STATE messages, so the names are the deterministic first choice
// from the current definitions (a rename in Pipedrive shows as a schema
// change, which Airbyte detects on its own).
func airbyteDecoders(ctx context.Context, fields *Fields) *decoders {
	return &decoders{ctx: ctx, fields: fields, book: readable.NewNameBook(), notice: func(string) {}, save: func() error { return nil }}
}

// declareReadable adds the readable object (readable.Key) to the schema of
// every stream whose records get one: a RECORD must have no top-level key
// its catalog does not declare.
func declareReadable(cat *airbyte.Catalog, decoder func(string) (*readable.Decoder, error)) error {
	for i, st := range cat.Streams {
		d, err := decoder(st.Name)
		if err != nil {
			return err
		}
		if d == nil {
			continue
		}
		var js map[string]any
		if err := json.Unmarshal(st.JSONSchema, &js); err != nil {
			return fmt.Errorf("stream %s schema: %w", st.Name, err)
		}
		props, _ := js["properties"].(map[string]any)
		if props == nil {
			return fmt.Errorf("stream %s schema has no properties", st.Name)
		}
		props[readable.Key] = d.Schema()
		b, err := json.Marshal(js)
		if err != nil {
			return fmt.Errorf("stream %s schema: %w", st.Name, err)
		}
		cat.Streams[i].JSONSchema = b
	}
	return nil
}
