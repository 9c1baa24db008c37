package app

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/schema"
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
	res, runErr := plan.execute(ctx, cl, rp.State, rp.Sink(c), nil, nil)
	return c.FinishRead(rp, res, runErr)
}
