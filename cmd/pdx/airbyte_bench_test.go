package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// BenchmarkAirbyteReadDeals compares `pdx read` of every deal (full
// refresh, RECORD lines to a discarding stdout) with a plain loop that
// fetches the same pages and drops them. Both share the simulator and its
// pacing; the ratio is what the protocol layer costs.
//
//	go test ./cmd/pdx -run x -bench AirbyteReadDeals -benchtime 3x
func BenchmarkAirbyteReadDeals(b *testing.B) {
	scale := 20000
	if s := os.Getenv("PDX_BENCH_DEALS"); s != "" {
		scale, _ = strconv.Atoi(s)
	}
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 1, Scale: scale, Plan: pipedrivetest.PlanUltimate, BurstLimit: 100000, DailyBudget: 1 << 40})
	defer s.Close()
	dir := b.TempDir()
	cfg := filepath.Join(dir, "config.json")
	cat := filepath.Join(dir, "catalog.json")
	must(b, os.WriteFile(cfg, []byte(`{"credentials":{"auth_type":"api_token","api_token":"`+s.Token()+`"},"api_base_url":"`+s.URL()+`"}`), 0o600))
	must(b, os.WriteFile(cat, []byte(`{"streams":[{"stream":{"name":"deals"},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"}]}`), 0o600))

	b.Run("pdx_read", func(b *testing.B) {
		var n int64
		for b.Loop() {
			cw := &countWriter{}
			if code := run([]string{"read", "--config", cfg, "--catalog", cat}, strings.NewReader(""), cw, io.Discard); code != 0 {
				b.Fatalf("exit %d", code)
			}
			n += cw.records
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("raw_pages", func(b *testing.B) {
		c, err := client.New(client.Options{BaseURL: s.URL(), Auth: client.TokenAuth(s.Token()), BurstLimit: 100000})
		must(b, err)
		var n int64
		for b.Loop() {
			err := c.Pages(context.Background(), client.PageRequest{Version: client.V2, Path: "/deals", Params: url.Values{"status": {"open,won,lost,deleted"}}, Paging: client.V2Cursor, Limit: 500, Cost: 10},
				func(p client.Page) error { n += int64(len(p.Records)); return nil })
			must(b, err)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	})
}

// countWriter counts RECORD lines and discards everything.
var recordPrefix = []byte(`{"type":"RECORD"`)

type countWriter struct{ records int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.records += int64(bytes.Count(p, recordPrefix))
	return len(p), nil
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
