package engine_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/streams"
)

// Benchmarks of the engine against the simulator (no rate limit: the burst
// window is lifted so both sides fetch as fast as the simulator serves):
//
//	go test -run '^$' -bench 'Deals|EngineVsRaw' -benchtime 5x ./source/engine
//	PDX_BENCH_DEALS=200000 go test -run '^$' -bench EngineVsRaw -benchtime 3x ./source/engine
//
// BenchmarkEngineDeals reads deals through the whole engine (client, pager,
// record split, cursor extraction, events to a discarding sink);
// BenchmarkRawFetchDeals fetches the same v2 pages (limit 500, same params)
// with a plain loop and discards them. BenchmarkEngineVsRaw runs both in
// alternation in one process and reports the ratio (target >= 0.9).

// benchScale is the number of simulated deals; PDX_BENCH_DEALS overrides it
// (e.g. 200000 for the figure).
func benchScale() int {
	if n, err := strconv.Atoi(os.Getenv("PDX_BENCH_DEALS")); err == nil && n > 0 {
		return n
	}
	return 20000
}

func benchSim(b *testing.B) *pipedrivetest.Server {
	b.Helper()
	sim := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 42, Scale: benchScale(), BurstLimit: 1 << 30, DailyBudget: 1 << 40})
	b.Cleanup(sim.Close)
	return sim
}

func benchClient(b *testing.B, sim *pipedrivetest.Server) *client.Client {
	c, err := client.New(client.Options{BaseURL: sim.URL(), Auth: client.TokenAuth(sim.Token()), BurstLimit: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

var discard = engine.SinkFunc(func(context.Context, engine.Event) error { return nil })

// engineDeals reads every deal through the engine; it returns records and tokens.
func engineDeals(b *testing.B, c *client.Client) (int64, int64) {
	res, err := engine.Run(context.Background(), engine.Options{Client: c, Sink: discard, Streams: full("deals")})
	if err != nil || !res.OK() {
		b.Fatalf("engine run: %v %v", err, res.Err())
	}
	return res.Streams[0].Stats.Records, res.Streams[0].Stats.Tokens
}

// rawDeals fetches the same pages with a plain loop: GET, read the body,
// find next_cursor, discard. It returns the number of pages.
func rawDeals(b *testing.B, hc *http.Client, sim *pipedrivetest.Server) int {
	st, _ := streams.Lookup("deals")
	q := st.Request(nil).Params
	q.Set("limit", strconv.Itoa(st.PageLimit))
	pages := 0
	marker := []byte(`"next_cursor":"`)
	for {
		req, _ := http.NewRequest(http.MethodGet, sim.URL()+"/api/v2/deals?"+q.Encode(), nil)
		req.Header.Set("x-api-token", sim.Token())
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("raw fetch: %v %d", err, resp.StatusCode)
		}
		pages++
		i := bytes.LastIndex(body, marker)
		if i < 0 {
			return pages
		}
		rest := body[i+len(marker):]
		q.Set("cursor", string(rest[:bytes.IndexByte(rest, '"')]))
	}
}

func BenchmarkEngineDeals(b *testing.B) {
	sim := benchSim(b)
	c := benchClient(b, sim)
	engineDeals(b, c) // warm the simulator
	b.ResetTimer()
	var recs, tokens int64
	for b.Loop() {
		r, tk := engineDeals(b, c)
		recs += r
		tokens += tk
	}
	b.ReportMetric(float64(recs)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(tokens)*1000/float64(recs), "tokens/1krec")
}

func BenchmarkRawFetchDeals(b *testing.B) {
	sim := benchSim(b)
	n, _ := engineDeals(b, benchClient(b, sim)) // records per read, deleted deals included
	hc := &http.Client{}
	rawDeals(b, hc, sim)
	b.ResetTimer()
	var recs int64
	for b.Loop() {
		rawDeals(b, hc, sim)
		recs += n
	}
	b.ReportMetric(float64(recs)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkEngineVsRaw alternates both reads in one process so they share the
// machine's state, and reports engine/raw throughput; "ratio" is the median
// of the per-iteration ratios (robust against a noisy neighbour on the CPU).
func BenchmarkEngineVsRaw(b *testing.B) {
	sim := benchSim(b)
	c := benchClient(b, sim)
	hc := &http.Client{}
	engineDeals(b, c)
	rawDeals(b, hc, sim)
	b.ResetTimer()
	var tEngine, tRaw time.Duration
	var recs int64
	var ratios []float64
	for b.Loop() {
		t0 := time.Now()
		r, _ := engineDeals(b, c)
		t1 := time.Now()
		rawDeals(b, hc, sim)
		t2 := time.Now()
		tEngine += t1.Sub(t0)
		tRaw += t2.Sub(t1)
		recs += r
		ratios = append(ratios, t2.Sub(t1).Seconds()/t1.Sub(t0).Seconds())
	}
	slices.Sort(ratios)
	b.ReportMetric(float64(recs)/tEngine.Seconds(), "engine-records/s")
	b.ReportMetric(float64(recs)/tRaw.Seconds(), "raw-records/s")
	b.ReportMetric(ratios[len(ratios)/2], "ratio")
}
