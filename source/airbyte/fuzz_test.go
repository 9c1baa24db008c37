package airbyte

// Fuzz targets for the files a user or the platform hands the connector
// (config, configured catalog, state) and the start-date parser. Seeds are
// in testdata/fuzz/FuzzX (the old connector's files among them), so plain
// `go test` runs them; `go test -fuzz=FuzzX` explores further.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pdxhq/pdx/source/engine"
)

// addRefSeeds adds the reference connector's files (read in place from
// ../shared, as other tests do) when they are there.
func addRefSeeds(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "reference", "airbyte-source-pipedrive", n))
		if err == nil {
			f.Add(b)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"credentials":{"auth_type":"api_token","api_token":"tok-0123456789"},"start_date":"2017-01-25T00:00:00Z"}`,
		`{"api_token":"tok-0123456789","replication_start_date":"2017-01-25 00:00:00Z"}`,
		`{"authorization":{"auth_type":"Token","api_token":"tok-0123456789"},"replication_start_date":"2017-01-25"}`,
		`{"authorization":{"auth_type":"Client","client_id":"cid","client_secret":"csec","refresh_token":"rt"}}`,
		`{"credentials":{"auth_type":"oauth2.0","client_id":"a","client_secret":"b","refresh_token":"c","token_expiry_date":"2026-01-01T00:00:00Z","api_domain":"https://x.pipedrive.com"},"concurrency":4}`,
		`{"credentials":{"auth_type":"api_token","api_token":12345}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if c != nil {
				t.Fatalf("error %v with a partial config", err)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error does not wrap ErrInvalidConfig: %v", err)
			}
			// Errors never carry a secret: a secret value found in the
			// message must have come from some other part of the input or
			// from the message templates (config.go's text).
			for _, sec := range SecretsFromJSON(data) {
				if len(sec) >= 8 && strings.Contains(err.Error(), sec) && occursOnlyAsSecret(data, sec) && !strings.Contains(configSource(t), sec) {
					t.Fatalf("error leaks secret %q: %v", sec, err)
				}
			}
			return
		}
		// What pdx writes back (the CONTROL message) reads as the same
		// config in the current shape.
		again, err := ParseConfig(c.JSON())
		if err != nil {
			t.Fatalf("config written back does not parse: %v\n%s", err, c.JSON())
		}
		if again.Migrated() || again.Credentials != c.Credentials || !again.Start().Equal(c.Start()) ||
			again.APIBaseURL != c.APIBaseURL || again.Concurrency != c.Concurrency {
			t.Fatalf("round trip differs:\n%s\n%s", c.JSON(), again.JSON())
		}
		if c.Credentials.AuthType != AuthAPIToken && c.Credentials.AuthType != AuthOAuth {
			t.Fatalf("accepted auth_type %q", c.Credentials.AuthType)
		}
	})
}

// occursOnlyAsSecret reports whether every occurrence of s in the input is
// the value of a secret key (so an error quoting s can only have taken it
// from there).
func occursOnlyAsSecret(data []byte, s string) bool {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return false
	}
	other := false
	var walk func(k string, v any)
	walk = func(k string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for kk, e := range x {
				if strings.Contains(kk, s) {
					other = true
				}
				walk(kk, e)
			}
		case []any:
			for _, e := range x {
				walk("", e)
			}
		case json.Number:
			if strings.Contains(string(x), s) {
				other = true
			}
		case string:
			if strings.Contains(x, s) && !(secretKeys[k] && x == s) {
				other = true
			}
		}
	}
	walk("", v)
	return !other
}

var configSrc struct {
	once sync.Once
	text string
}

// configSource is config.go's text: a "secret" that is a substring of a
// message template may appear in an error without having leaked.
func configSource(t *testing.T) string {
	configSrc.once.Do(func() {
		b, err := os.ReadFile("config.go")
		if err != nil {
			t.Fatal(err)
		}
		configSrc.text = string(b)
	})
	return configSrc.text
}

func knownModes(name string) ([]engine.Mode, bool) {
	switch name {
	case "deals", "persons", "activities":
		return []engine.Mode{engine.FullRefresh, engine.Incremental}, true
	case "deal_fields", "users":
		return []engine.Mode{engine.FullRefresh}, true
	}
	return nil, false
}

func FuzzParseConfiguredCatalog(f *testing.F) {
	f.Add([]byte(`{"streams":[{"stream":{"name":"deals"},"sync_mode":"incremental","destination_sync_mode":"append","cursor_field":["update_time"]}]}`))
	f.Add([]byte(`{"streams":[{"stream":{"name":"users"},"sync_mode":"full_refresh","destination_sync_mode":"overwrite"},{"stream":{"name":"users"}}]}`))
	addRefSeeds(f, "integration_tests/configured_catalog.json", "integration_tests/legacy-0.1.x/configured_catalog.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfiguredCatalog(data, knownModes)
		if err != nil {
			if c != nil || !errors.Is(err, ErrInvalidCatalog) {
				t.Fatalf("error %v with catalog %v (or not ErrInvalidCatalog)", err, c)
			}
			return
		}
		names := c.Names()
		if len(names) == 0 {
			t.Fatal("accepted a catalog without streams")
		}
		seen := map[string]bool{}
		for i, s := range c.Streams {
			modes, ok := knownModes(s.Stream.Name)
			if !ok || seen[s.Stream.Name] || !slices.Contains(modes, s.SyncMode) {
				t.Fatalf("accepted streams[%d] %q (mode %q) unknown, repeated or with an unsupported mode", i, s.Stream.Name, s.SyncMode)
			}
			seen[s.Stream.Name] = true
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseConfiguredCatalog(b, knownModes)
		if err != nil || !reflect.DeepEqual(again.Names(), names) {
			t.Fatalf("re-encoded catalog: %v, %v", again, err)
		}
	})
}

func FuzzParseState(f *testing.F) {
	for _, s := range []string{
		`[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"update_time":"2024-01-01T00:00:00Z"}}}]`,
		`{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals"},"stream_state":{"update_time":"2024-01-01 00:00:00"}}}`,
		`[{"type":"GLOBAL","global":{"stream_states":[{"stream_descriptor":{"name":"persons"},"stream_state":{"update_time":"x"}}]}}]`,
		`[{"type":"LEGACY","data":{"deals":{"update_time":"2017-06-01 10:10:10"},"notes":null}}]`,
		// PyAirbyte writes nulls for what it does not know.
		`[{"type":"STREAM","stream":{"stream_descriptor":{"name":"deals","namespace":null},"stream_state":null},"global":null,"data":null,"sourceStats":null,"destinationStats":null}]`,
		`{"deals":{"update_time":"2017-06-01 10:10:10"}}`,
		`null`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	addRefSeeds(f, "integration_tests/sample_state.json", "integration_tests/abnormal_state.json", "integration_tests/legacy-0.1.x/sample_state.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseState(data)
		if err != nil {
			if st != nil || !errors.Is(err, ErrInvalidState) {
				t.Fatalf("error %v with state %v (or not ErrInvalidState)", err, st)
			}
			return
		}
		for name, v := range st {
			if name == "" || !json.Valid(v) || isNull(v) {
				t.Fatalf("stream %q: state %q is empty, null or not JSON", name, v)
			}
		}
		// Written back as the protocol's array, it reads the same.
		msgs := make([]StateMessage, 0, len(st))
		for name, v := range st {
			msgs = append(msgs, StateMessage{Type: "STREAM", Stream: &StreamState{StreamDescriptor: StreamDescriptor{Name: name}, StreamState: v}})
		}
		b, err := json.Marshal(msgs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseState(b)
		if err != nil || len(again) != len(st) {
			t.Fatalf("re-encoded state: %v, %v", again, err)
		}
		for name, v := range st {
			if !jsonEqual(v, again[name]) {
				t.Fatalf("stream %q: %s became %s", name, v, again[name])
			}
		}
	})
}

// jsonEqual compares two JSON texts as values (json.Marshal writes "&" as
// \u0026, the same string), numbers kept exact.
func jsonEqual(a, b []byte) bool {
	decode := func(data []byte) (any, bool) {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		var v any
		return v, d.Decode(&v) == nil
	}
	x, okA := decode(a)
	y, okB := decode(b)
	return okA && okB && reflect.DeepEqual(x, y)
}

func FuzzMasker(f *testing.F) {
	f.Add("invalid config: token a rejected", "a", "0123456789abcdef")
	f.Add("Bearer 0123456789abcdef0123 failed", "0123456789abcdef0123", "0123")
	f.Add("x=ab,ab ab", "ab", "abab")
	f.Fuzz(func(t *testing.T, text, s1, s2 string) {
		m := NewMasker(s1, s2)
		out := m.String(text)
		for _, s := range []string{s1, s2} {
			if s == "" || strings.Contains(s, "*") {
				continue // a secret made of mask characters can reappear from the mask itself
			}
			if hasToken(out, s) {
				t.Fatalf("secret %q stands in %q (from %q)", s, out, text)
			}
			if len(s) >= MinInWordSecret && strings.Contains(out, s) {
				t.Fatalf("secret %q is in %q (from %q)", s, out, text)
			}
		}
		if !strings.Contains(text, s1) && !strings.Contains(text, s2) || (s1 == "" && s2 == "") {
			if out != text && (s1 == "" || !strings.Contains(text, s1)) && (s2 == "" || !strings.Contains(text, s2)) {
				t.Fatalf("text without a secret changed: %q -> %q", text, out)
			}
		}
	})
}

// hasToken reports whether s stands in text as a whole token: neither its
// first nor its last character is continued by a letter or digit.
func hasToken(text, s string) bool {
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	for i := 0; ; {
		j := strings.Index(text[i:], s)
		if j < 0 {
			return false
		}
		j += i
		before, _ := utf8.DecodeLastRuneInString(text[:j])
		after, _ := utf8.DecodeRuneInString(text[j+len(s):])
		if (!isWord(first) || j == 0 || !isWord(before)) && (!isWord(last) || j+len(s) == len(text) || !isWord(after)) {
			return true
		}
		i = j + 1
	}
}
