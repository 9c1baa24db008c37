package spectest

import (
	"sort"
	"strings"
)

// Op is one GET operation of a spec.
type Op struct {
	Key        string // "v1 /deals/{id}/flow", the form pipedrivetest.Routes uses
	Cost       int    // x-token-cost
	Deprecated bool
}

// GetOperations lists every GET operation of both specs, sorted by Key.
func (s *Spec) GetOperations() []Op {
	var out []Op
	for ver, doc := range s.docs {
		for path, item := range doc.Paths.Map() {
			op := item.Get
			if op == nil {
				continue
			}
			c, _ := op.Extensions["x-token-cost"].(float64)
			out = append(out, Op{Key: "v" + string(rune('0'+ver)) + " " + path, Cost: int(c), Deprecated: op.Deprecated})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// placeholderKey is a property name the specs use for a map keyed by ids or
// codes (related_objects.user.USER_ID, persons/{id}/products' DEAL_ID,
// movement statistics' CURRENCY_ID): the real API puts the id there.
func placeholderKey(k string) bool {
	return strings.HasSuffix(k, "_ID") && strings.ToUpper(k) == k
}
