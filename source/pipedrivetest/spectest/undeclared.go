package spectest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// customKey is a Pipedrive custom field key (40 hex), with v1's suffixes
// (_currency, _until, address parts); such keys are never in the spec.
var customKey = regexp.MustCompile(`^[0-9a-f]{40}(_[a-z0-9_]+)?$`)

// UndeclaredFields lists the JSON paths of object keys in a 200 response
// body that its operation's response schema does not declare (custom field
// keys and free-form objects aside). kin-openapi accepts undeclared keys
// (the specs never say additionalProperties: false), so this is the check
// that the simulator invents no field the real API does not document.
func (s *Spec) UndeclaredFields(r *http.Request, body []byte) ([]string, error) {
	route, _, _, err := s.route(r)
	if err != nil {
		return nil, err
	}
	resp := route.Operation.Responses.Status(200)
	if resp == nil || resp.Value == nil || resp.Value.Content["application/json"] == nil {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", r.URL.Path, err)
	}
	schema := resp.Value.Content["application/json"].Schema
	if m, ok := v.(map[string]any); ok && pages(route.Operation) && !declares(schema, "additional_data") {
		// A third under-declaration: operations that take cursor or start
		// (v2 deals/installments, v1 mailbox/mailThreads) document no
		// additional_data, yet a client can only learn of a next page from it.
		delete(m, "additional_data")
	}
	// A sixth: include_fields adds fields (deals' products_count, ...) that
	// the response schemas do not declare; the ones asked for may appear.
	asked := map[string]bool{}
	for _, f := range strings.Split(r.URL.Query().Get("include_fields"), ",") {
		asked[strings.TrimSpace(f)] = f != ""
	}
	found := map[string]bool{}
	walkDeclared(v, []*openapi3.SchemaRef{schema}, "", found, asked)
	// A seventh: v2 deals carry archive_time once archived; the response
	// schemas leave it out, the examples of GET /deals and /deals/archived
	// show it.
	if strings.HasPrefix(route.Path, "/deals") {
		delete(found, ".data[].archive_time")
		delete(found, ".data.archive_time")
	}
	out := make([]string, 0, len(found))
	for k := range found {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// flatten collects the schemas a value must or may match (allOf, oneOf, anyOf).
func flatten(refs []*openapi3.SchemaRef, out []*openapi3.Schema) []*openapi3.Schema {
	for _, r := range refs {
		if r == nil || r.Value == nil {
			continue
		}
		s := r.Value
		out = append(out, s)
		for _, l := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			out = flatten(l, out)
		}
	}
	return out
}

func walkDeclared(v any, refs []*openapi3.SchemaRef, path string, found, asked map[string]bool) {
	schemas := flatten(refs, nil)
	switch x := v.(type) {
	case map[string]any:
		props := map[string][]*openapi3.SchemaRef{}
		free := len(schemas) == 0
		var extra []*openapi3.SchemaRef
		for _, s := range schemas {
			for k, p := range s.Properties {
				if placeholderKey(k) {
					// A fourth under-declaration: a map keyed by ids is
					// documented as one property named like USER_ID.
					extra = append(extra, p)
					continue
				}
				props[k] = append(props[k], p)
			}
			ap := s.AdditionalProperties
			if ap.Schema != nil {
				extra = append(extra, ap.Schema)
			} else if ap.Has != nil && *ap.Has {
				free = true
			}
		}
		if len(props) == 0 && len(extra) == 0 {
			free = true // a free-form object
		}
		if free {
			return
		}
		for k, val := range x {
			switch {
			case props[k] != nil:
				walkDeclared(val, props[k], path+"."+k, found, asked)
			case len(extra) > 0:
				walkDeclared(val, extra, path+".*", found, asked)
			case customKey.MatchString(k), asked[k]:
			default:
				found[path+"."+k] = true
			}
		}
	case []any:
		var items []*openapi3.SchemaRef
		for _, s := range schemas {
			if s.Items != nil {
				items = append(items, s.Items)
			}
		}
		if len(items) == 0 {
			return
		}
		for _, it := range x {
			walkDeclared(it, items, path+"[]", found, asked)
		}
	}
}

// pages reports whether op takes a cursor or start query parameter.
func pages(op *openapi3.Operation) bool {
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == "query" && (p.Value.Name == "cursor" || p.Value.Name == "start") {
			return true
		}
	}
	return false
}

// declares reports whether the object schema (or one it composes) has key.
func declares(ref *openapi3.SchemaRef, key string) bool {
	for _, s := range flatten([]*openapi3.SchemaRef{ref}, nil) {
		if s.Properties[key] != nil {
			return true
		}
	}
	return false
}
