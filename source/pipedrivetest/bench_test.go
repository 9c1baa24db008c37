package pipedrivetest_test

import (
	stdbytes "bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// BenchmarkV2DealsLimit500 measures how many deals per second the simulator
// serves over loopback at limit=500 (reported as records/s).
func BenchmarkV2DealsLimit500(b *testing.B) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 200000, Plan: pipedrivetest.PlanUltimate, DailyBudget: 1 << 40, BurstLimit: 1 << 30})
	defer s.Close()
	client := &http.Client{}
	cur := ""
	records := 0
	var bytes int64
	var buf stdbytes.Buffer // reused, as a streaming client would
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u := s.URL() + "/api/v2/deals?limit=500"
		if cur != "" {
			u += "&cursor=" + url.QueryEscape(cur)
		}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("x-api-token", s.Token())
		r, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r.Body); err != nil {
			b.Fatal(err)
		}
		r.Body.Close()
		body := buf.Bytes()
		bytes += int64(len(body))
		records += 500
		cur = nextCursor(body)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(bytes)/float64(b.N), "bytes/page")
}

// nextCursor finds next_cursor without decoding the page.
func nextCursor(body []byte) string {
	const k = `"next_cursor":"`
	for i := len(body) - len(k); i >= 0; i-- {
		if string(body[i:i+len(k)]) == k {
			j := i + len(k)
			for e := j; e < len(body); e++ {
				if body[e] == '"' {
					return string(body[j:e])
				}
			}
		}
	}
	return ""
}
