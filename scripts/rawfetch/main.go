// Command rawfetch is the baseline of scripts/bench: a plain loop that
// fetches every page of v2 deals (the same query pdx sends: the stream
// table's params, limit 500) and discards it. Whatever pdx does on top of
// this (splitting records, writing Airbyte messages, state) shows up as the
// ratio between the two.
//
//	rawfetch -url http://127.0.0.1:PORT   (token from PIPEDRIVE_API_TOKEN)
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/pdxhq/pdx/source/streams"
)

func main() {
	base := flag.String("url", "", "simulator base URL")
	flag.Parse()
	token := os.Getenv("PIPEDRIVE_API_TOKEN")
	if *base == "" || token == "" {
		fmt.Fprintln(os.Stderr, "usage: PIPEDRIVE_API_TOKEN=... rawfetch -url http://127.0.0.1:PORT")
		os.Exit(2)
	}
	st, _ := streams.Lookup("deals")
	q := st.Request(nil).Params
	q.Set("limit", strconv.Itoa(st.PageLimit))
	marker := []byte(`"next_cursor":"`)
	start := time.Now()
	var pages, bytesRead int
	for {
		req, _ := http.NewRequest(http.MethodGet, *base+"/api/v2/deals?"+q.Encode(), nil)
		req.Header.Set("x-api-token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rawfetch:", err)
			os.Exit(1)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			fmt.Fprintf(os.Stderr, "rawfetch: status %d: %v\n", resp.StatusCode, err)
			os.Exit(1)
		}
		pages++
		bytesRead += len(body)
		i := bytes.LastIndex(body, marker)
		if i < 0 {
			break
		}
		rest := body[i+len(marker):]
		q.Set("cursor", string(rest[:bytes.IndexByte(rest, '"')]))
	}
	fmt.Printf("pages=%d bytes=%d seconds=%.3f\n", pages, bytesRead, time.Since(start).Seconds())
}
