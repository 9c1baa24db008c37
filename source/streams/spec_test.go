package streams

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pdxhq/pdx/source/client"
	"github.com/pdxhq/pdx/source/pipedrivetest/spectest"
)

// TestTableAgainstSpec: every row is an operation of today's published
// specs (../shared/reference/pipedrive-openapi; skipped when absent): a
// non-deprecated GET of its version, costing what the table says, taking
// the params the engine sends (fixed, sort, updated_since for server-side
// streams, paging, a child's parent ids), paged at the stated maximum, and
// answering items that carry the primary key and the cursor.
func TestTableAgainstSpec(t *testing.T) {
	spec := spectest.Load(t)
	for _, s := range All() {
		op := getOp(spec, s.Version, s.Path)
		if op == nil {
			t.Errorf("%s: GET %s %s is not in the spec", s.Name, s.Version, s.Path)
			continue
		}
		if op.Deprecated {
			t.Errorf("%s: %s is deprecated", s.Name, s.Path)
		}
		cost, err := costOf(op)
		if err != nil || cost != s.TokenCost {
			t.Errorf("%s: x-token-cost %d (%v), table says %d", s.Name, cost, err, s.TokenCost)
		}
		params := queryParams(op)
		var need []string
		for k := range s.Params {
			need = append(need, k)
		}
		for k := range s.SortParams {
			need = append(need, k)
		}
		switch s.Paging {
		case V2Cursor:
			need = append(need, "limit", "cursor")
		case V1Offset:
			need = append(need, "limit", "start")
		}
		if s.Strategy == ServerUpdatedSince {
			need = append(need, "updated_since")
		}
		if s.Paging != None {
			// Page at the maximum the spec states (fewer requests, fewer
			// tokens); v1 lists that state none take 500.
			if max := statedMax(params["limit"]); max != s.PageLimit && (max != 0 || s.PageLimit != 500) {
				t.Errorf("%s: page limit %d, the spec's maximum is %d", s.Name, s.PageLimit, max)
			}
		} else if params["limit"] != nil || params["start"] != nil || params["cursor"] != nil {
			t.Errorf("%s: read unpaged, but the spec pages %s", s.Name, s.Path)
		}
		if s.Unordered && (params["updated_since"] != nil || params["sort"] != nil || params["sort_by"] != nil) {
			t.Errorf("%s: marked unordered, but %s takes a sort or a time filter", s.Name, s.Path)
		}
		if s.Strategy == SortedTail && (len(s.SortParams) == 0 || params["updated_since"] != nil || s.Paging != V1Offset || s.ArchiveTime == "") {
			t.Errorf("%s: a sorted tail needs a sort, no time filter, offset paging and an archive time (its sweep) on %s", s.Name, s.Path)
		}
		if s.Strategy == NewestFirst && (len(s.SortParams) == 0 || params["updated_since"] != nil) {
			t.Errorf("%s: newest first needs a sort (have %v) and no time filter on %s", s.Name, s.SortParams, s.Path)
		}
		if params["updated_since"] == nil && s.Strategy == ServerUpdatedSince {
			t.Errorf("%s: server-side cursor without updated_since", s.Name)
		}
		// Archived streams scan on purpose (see archivedScan in streams.go).
		if params["updated_since"] != nil && s.Strategy != ServerUpdatedSince && s.Parent == nil && s.Cursor != "" && s.ArchiveTime == "" {
			t.Errorf("%s: filters client-side although %s takes updated_since", s.Name, s.Path)
		}
		// spectest turns the spec's "comma separated" enums into a pattern
		// of the enum's values.
		if inc := s.Params.Get("include_fields"); inc != "" && params["include_fields"] != nil {
			if pat := params["include_fields"].Schema.Value.Pattern; pat == "" || !regexp.MustCompile(pat).MatchString(inc) {
				t.Errorf("%s: include_fields %q is not a list of the spec's values for %s (%q)", s.Name, inc, s.Path, pat)
			}
		}
		for _, k := range need {
			if params[k] == nil {
				t.Errorf("%s: query param %q is not in the spec of %s", s.Name, k, s.Path)
			}
		}
		item := itemProperties(op, s.RecordsPath)
		if item == nil {
			t.Errorf("%s: the spec of %s declares no list of items", s.Name, s.Path)
		} else {
			for _, k := range append(append([]string(nil), s.PrimaryKey...), s.Cursor) {
				if k != "" && !item[k] && (s.Parent == nil || k != s.Parent.ParentKey) {
					t.Errorf("%s: the items of %s have no %q (primary key %v, cursor %q)", s.Name, s.Path, k, s.PrimaryKey, s.Cursor)
				}
			}
		}
		if s.Parent != nil {
			relationAgainstSpec(t, spec, s, op)
		}
	}
}

// relationAgainstSpec: the child's id parameter is declared where the
// relation puts it (and as it encodes lists), a batch is the stated maximum,
// and the params used to list the parents are the parent's.
func relationAgainstSpec(t *testing.T, spec *spectest.Spec, s Stream, op *openapi3.Operation) {
	t.Helper()
	rel := s.Parent
	if rel.FixedOnly() {
		params := queryParams(op)
		for _, src := range rel.Parents {
			for k := range src.Params {
				if params[k] == nil {
					t.Errorf("%s: fans out by %q, which %s does not take", s.Name, k, s.Path)
				}
			}
		}
		return
	}
	var id *openapi3.Parameter
	for _, pr := range op.Parameters {
		if pr.Value != nil && pr.Value.Name == rel.IDParam {
			id = pr.Value
		}
	}
	wantIn := openapi3.ParameterInQuery
	if rel.IDIn == IDInPath {
		wantIn = openapi3.ParameterInPath
	}
	if id == nil || id.In != wantIn {
		t.Errorf("%s: %s takes no %s parameter %q", s.Name, s.Path, wantIn, rel.IDParam)
		return
	}
	if rel.IDIn == IDOne && id.Schema.Value.Type.Is("array") {
		t.Errorf("%s: %s is an array, the relation sends one id", s.Name, rel.IDParam)
	}
	if rel.IDIn != IDInPath && rel.IDIn != IDOne {
		// form style (the default for query): explode is true unless false.
		exploded := id.Explode == nil || *id.Explode
		if !id.Schema.Value.Type.Is("array") || exploded != (rel.IDIn == IDRepeated) {
			t.Errorf("%s: %s is an array %v exploded %v, the relation sends a %s", s.Name, rel.IDParam, id.Schema.Value.Type.Is("array"), exploded, rel.IDIn)
		}
		if max := statedMax(id); max != 0 && max != rel.Batch {
			t.Errorf("%s: batch %d, the spec takes at most %d %s", s.Name, rel.Batch, max, rel.IDParam)
		}
	}
	for _, src := range rel.Parents {
		parent, _ := Lookup(src.Stream)
		pop := getOp(spec, parent.Version, parent.Path)
		if pop == nil {
			continue // reported for the parent's own row
		}
		pp := queryParams(pop)
		for k := range src.Params {
			if pp[k] == nil {
				t.Errorf("%s: lists %s with %q, which %s does not take", s.Name, src.Stream, k, parent.Path)
			}
		}
		if rel.Changed == ParentUpdatedSince && pp["updated_since"] == nil {
			t.Errorf("%s: finds changed %s by updated_since, which %s does not take", s.Name, src.Stream, parent.Path)
		}
	}
}

func getOp(spec *spectest.Spec, v client.Version, path string) *openapi3.Operation {
	doc := spec.Doc(int(v))
	if doc == nil {
		return nil
	}
	item := doc.Paths.Value(path)
	if item == nil {
		return nil
	}
	return item.Get
}

func queryParams(op *openapi3.Operation) map[string]*openapi3.Parameter {
	out := map[string]*openapi3.Parameter{}
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
			out[p.Value.Name] = p.Value
		}
	}
	return out
}

// itemProperties are the properties of the records a list answers: the
// items of "data" (or "data" itself when it is one object), with allOf,
// oneOf and anyOf merged. nil when the 200 answer declares no data.
func itemProperties(op *openapi3.Operation, path string) map[string]bool {
	ok := op.Responses.Status(200)
	if ok == nil || ok.Value == nil {
		return nil
	}
	mt := ok.Value.Content.Get("application/json")
	if mt == nil {
		return nil
	}
	data := property(mt.Schema, "data")
	if data == nil {
		return nil
	}
	if data.Value.Items != nil {
		data = data.Value.Items
	} else if path != "" && path != client.RecordIsData {
		if data = property(data, path); data == nil || data.Value.Items == nil {
			return nil
		}
		data = data.Value.Items
	}
	out := map[string]bool{}
	collect(data, out, map[*openapi3.Schema]bool{})
	return out
}

// property finds a named property of a schema, through compositions.
func property(sr *openapi3.SchemaRef, name string) *openapi3.SchemaRef {
	if sr == nil || sr.Value == nil {
		return nil
	}
	if p := sr.Value.Properties[name]; p != nil {
		return p
	}
	for _, l := range []openapi3.SchemaRefs{sr.Value.AllOf, sr.Value.OneOf, sr.Value.AnyOf} {
		for _, x := range l {
			if p := property(x, name); p != nil {
				return p
			}
		}
	}
	return nil
}

func collect(sr *openapi3.SchemaRef, out map[string]bool, seen map[*openapi3.Schema]bool) {
	if sr == nil || sr.Value == nil || seen[sr.Value] {
		return
	}
	seen[sr.Value] = true
	for k := range sr.Value.Properties {
		out[k] = true
	}
	for _, l := range []openapi3.SchemaRefs{sr.Value.AllOf, sr.Value.OneOf, sr.Value.AnyOf} {
		for _, x := range l {
			collect(x, out, seen)
		}
	}
}

var statedMaxText = regexp.MustCompile(`(?i)(?:maximum value of|upper limit is|a maximum of)\s+(\d+)`)

// statedMax is the largest value (or number of items) a parameter states,
// in its schema or its description (0: none stated).
func statedMax(p *openapi3.Parameter) int {
	if p == nil {
		return 0
	}
	if sc := p.Schema; sc != nil && sc.Value != nil {
		if sc.Value.Max != nil {
			return int(*sc.Value.Max)
		}
		if sc.Value.MaxItems != nil {
			return int(*sc.Value.MaxItems)
		}
	}
	if m := statedMaxText.FindStringSubmatch(p.Description); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func costOf(op *openapi3.Operation) (int, error) {
	v, ok := op.Extensions["x-token-cost"]
	if !ok {
		return 0, fmt.Errorf("no x-token-cost")
	}
	switch n := v.(type) {
	case float64:
		return int(n), nil
	case int:
		return n, nil
	case json.Number:
		i, err := n.Int64()
		return int(i), err
	}
	return 0, fmt.Errorf("x-token-cost of type %T", v)
}
