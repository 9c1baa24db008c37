// Package spectest validates HTTP requests and responses against Pipedrive's
// published OpenAPI specs (../shared/reference/pipedrive-openapi/v1.yaml and
// v2.yaml). It is a test helper: the simulator does not import it, so the pdx
// binary does not link kin-openapi.
package spectest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/pdxhq/pdx/source/sharedref"
)

// Spec holds the loaded v1 and v2 specs.
type Spec struct {
	docs    map[int]*openapi3.T
	routers map[int]routers.Router
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// v1DateTime (the format "v1-date-time" that replaces v1's "date-time") accepts what v1 really sends for format: date-time: RFC 3339
// (with or without fractions) or "YYYY-MM-DD HH:MM:SS" (the spec's own
// examples show the latter).
var v1DateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$`)

// Load loads both specs (once per test binary); it skips t when the shared
// reference files are absent.
func Load(t testing.TB) *Spec {
	t.Helper()
	p1 := sharedref.Require(t, "reference/pipedrive-openapi/v1.yaml")
	p2 := sharedref.Require(t, "reference/pipedrive-openapi/v2.yaml")
	loadOnce.Do(func() { loaded, loadErr = load(p1, p2) })
	if loadErr != nil {
		t.Fatalf("load Pipedrive specs: %v", loadErr)
	}
	return loaded
}

// Doc is the loaded spec of API version 1 or 2 (nil for another), with
// the adjustments Load makes (every schema nullable, comma lists typed as
// lists). Tests read it; they must not change it.
func (s *Spec) Doc(version int) *openapi3.T { return s.docs[version] }

func init() {
	openapi3.DefineStringFormatValidator("v1-date-time", openapi3.NewCallbackValidator(func(v string) error {
		if !v1DateTime.MatchString(v) {
			return fmt.Errorf("not a v1 date-time: %q", v)
		}
		return nil
	}))
}

func load(p1, p2 string) (*Spec, error) {
	s := &Spec{docs: map[int]*openapi3.T{}, routers: map[int]routers.Router{}}
	for ver, p := range map[int]string{1: p1, 2: p2} {
		l := openapi3.NewLoader()
		doc, err := l.LoadFromFile(p)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", p, err)
		}
		// The specs under-declare null: v2 next_cursor is documented as null
		// on the last page yet typed plain string, and many dates and ids are
		// null in practice. So every schema is made nullable; everything else
		// (types, enums, formats, required) is validated strictly.
		seen := map[*openapi3.Schema]bool{}
		for _, sr := range doc.Components.Schemas {
			nullable(sr, seen)
		}
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				for _, pr := range op.Parameters {
					if pr.Value != nil {
						nullable(pr.Value.Schema, seen)
					}
				}
				for _, rr := range op.Responses.Map() {
					if rr.Value == nil {
						continue
					}
					for _, mt := range rr.Value.Content {
						nullable(mt.Schema, seen)
					}
				}
			}
		}
		commaLists(doc)
		if ver == 1 {
			fieldTypes(seen)
			for s := range seen {
				if s.Format == "date-time" {
					s.Format = "v1-date-time"
				}
			}
		}
		// Route on the path after the version prefix; the simulator and the
		// real API serve the same paths under several prefixes.
		doc.Servers = openapi3.Servers{{URL: "/"}}
		r, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
		if err != nil {
			return nil, fmt.Errorf("router for %s: %w", p, err)
		}
		s.docs[ver], s.routers[ver] = doc, r
	}
	return s, nil
}

// commaLists fixes a second spec inaccuracy: query parameters documented as
// "comma separated" lists of enum values (v2 deals status=open,won,lost,
// deleted, include_fields, ...) are typed as a single enum value. Each such
// schema becomes a pattern accepting a comma list of the enum's values.
func commaLists(doc *openapi3.T) {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, pr := range op.Parameters {
				p := pr.Value
				if p == nil || p.In != "query" || p.Schema == nil || p.Schema.Value == nil {
					continue
				}
				sc := p.Schema.Value
				d := strings.ToLower(p.Description)
				if len(sc.Enum) == 0 || !sc.Type.Is("string") || !(strings.Contains(d, "comma separated") || strings.Contains(d, "comma-separated")) {
					continue
				}
				alts := make([]string, 0, len(sc.Enum))
				for _, e := range sc.Enum {
					alts = append(alts, regexp.QuoteMeta(fmt.Sprint(e)))
				}
				one := "(" + strings.Join(alts, "|") + ")"
				ns := openapi3.NewStringSchema().WithPattern("^" + one + "(," + one + ")*$")
				ns.Nullable = true
				p.Schema = openapi3.NewSchemaRef("", ns)
			}
		}
	}
}

// fieldTypes fixes a fifth inaccuracy: v1 declares field_type twice (an
// allOf of a 17-type enum and a 34-type one), and the types v1's own
// fields carry (int, stage, status, boolean, ...) are only in the wider
// one. Every field-type enum becomes the union.
func fieldTypes(seen map[*openapi3.Schema]bool) {
	var enums []*openapi3.Schema
	union := map[string]bool{}
	var all []any
	for sc := range seen {
		if !contains(sc.Enum, "varchar_auto") {
			continue
		}
		enums = append(enums, sc)
		for _, v := range sc.Enum {
			if s, ok := v.(string); ok && !union[s] {
				union[s] = true
				all = append(all, s)
			}
		}
	}
	for _, sc := range enums {
		sc.Enum = all
	}
}

func contains(list []any, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// LimitMax is the maximum the operation of path documents for its limit
// query parameter (0 when it documents none).
func (s *Spec) LimitMax(path string) int {
	r := httptest.NewRequest("GET", (&url.URL{Path: path}).String(), nil)
	route, _, _, err := s.route(r)
	if err != nil {
		return 0
	}
	for _, p := range route.Operation.Parameters {
		if p.Value != nil && p.Value.In == "query" && p.Value.Name == "limit" && p.Value.Schema != nil && p.Value.Schema.Value != nil && p.Value.Schema.Value.Max != nil {
			return int(*p.Value.Schema.Value.Max)
		}
	}
	return 0
}

func nullable(sr *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if sr == nil || sr.Value == nil || seen[sr.Value] {
		return
	}
	v := sr.Value
	seen[v] = true
	v.Nullable = true
	for _, p := range v.Properties {
		nullable(p, seen)
	}
	nullable(v.Items, seen)
	if v.AdditionalProperties.Schema != nil {
		nullable(v.AdditionalProperties.Schema, seen)
	}
	for _, l := range []openapi3.SchemaRefs{v.AllOf, v.AnyOf, v.OneOf} {
		for _, x := range l {
			nullable(x, seen)
		}
	}
}

// route finds the operation of r, stripping the /v1, /api/v1 or /api/v2 prefix.
func (s *Spec) route(r *http.Request) (*routers.Route, map[string]string, *http.Request, error) {
	ver, rest := 0, r.URL.Path
	switch {
	case strings.HasPrefix(rest, "/api/v2/"):
		ver, rest = 2, rest[len("/api/v2"):]
	case strings.HasPrefix(rest, "/api/v1/"):
		ver, rest = 1, rest[len("/api/v1"):]
	case strings.HasPrefix(rest, "/v1/"):
		ver, rest = 1, rest[len("/v1"):]
	default:
		return nil, nil, nil, fmt.Errorf("%s: not under /v1, /api/v1 or /api/v2", r.URL.Path)
	}
	u := *r.URL
	u.Scheme, u.Host, u.Path, u.RawPath = "", "", rest, ""
	// api_token in the query is an auth mechanism, not an operation parameter.
	q := u.Query()
	q.Del("api_token")
	u.RawQuery = q.Encode()
	r2 := httptest.NewRequest(r.Method, u.String(), nil)
	r2.Header = r.Header.Clone()
	route, params, err := s.routers[ver].FindRoute(r2)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s %s: no such operation in the v%d spec: %w", r.Method, r.URL.Path, ver, err)
	}
	return route, params, r2, nil
}

var opts = &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}

// ValidateRequest reports whether r is a valid, non-deprecated operation of
// the spec (path, method, parameters) sent with credentials.
func (s *Spec) ValidateRequest(r *http.Request) error {
	route, params, r2, err := s.route(r)
	if err != nil {
		return err
	}
	if route.Operation.Deprecated {
		return fmt.Errorf("%s %s: operation %s is deprecated", r.Method, r.URL.Path, route.Operation.OperationID)
	}
	if r.Header.Get("x-api-token") == "" && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") && r.URL.Query().Get("api_token") == "" {
		return fmt.Errorf("%s %s: no credentials (x-api-token or Authorization: Bearer)", r.Method, r.URL.Path)
	}
	in := &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err)
	}
	return nil
}

// ValidateResponse validates a response to r against the operation's
// response schema for status (statuses the spec does not declare pass).
func (s *Spec) ValidateResponse(r *http.Request, status int, header http.Header, body []byte) error {
	route, params, r2, err := s.route(r)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route, Options: opts},
		Status:                 status, Header: header, Options: opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s -> %d: %w", r.Method, r.URL.Path, status, err)
	}
	return nil
}

// Operation returns "v1 /path" or "v2 /path" (the spec's path template) of
// r, and the operation's x-token-cost.
func (s *Spec) Operation(method, path string) (template string, cost int, err error) {
	r := httptest.NewRequest(method, (&url.URL{Path: path}).String(), nil)
	route, _, _, err := s.route(r)
	if err != nil {
		return "", 0, err
	}
	c, _ := route.Operation.Extensions["x-token-cost"].(float64)
	return route.Path, int(c), nil
}

// recorder captures a response while passing it through.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(s int)           { r.status = s; r.ResponseWriter.WriteHeader(s) }
func (r *recorder) Write(b []byte) (int, error) { r.body.Write(b); return r.ResponseWriter.Write(b) }

// Middleware validates every API request and JSON response (any status the
// spec declares; undeclared error statuses pass; a 200 may carry no field
// its schema does not declare, see UndeclaredFields) passing through next
// and reports failures with t.Errorf (OAuth endpoints pass unchecked). Plug
// it into pipedrivetest.Options.Wrap.
func (s *Spec) Middleware(t testing.TB, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oauth/") {
			next.ServeHTTP(w, r)
			return
		}
		if err := s.ValidateRequest(r); err != nil {
			t.Errorf("spectest: request: %v", err)
		}
		rec := &recorder{ResponseWriter: w, status: 200}
		next.ServeHTTP(rec, r)
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			if err := s.ValidateResponse(r, rec.status, rec.Header(), rec.body.Bytes()); err != nil {
				t.Errorf("spectest: response: %v", err)
			}
			if rec.status == http.StatusOK {
				extra, err := s.UndeclaredFields(r, rec.body.Bytes())
				if err != nil || len(extra) > 0 {
					t.Errorf("spectest: response: %s %s: fields the spec does not declare: %v %v", r.Method, r.URL.Path, extra, err)
				}
			}
		}
	})
}
