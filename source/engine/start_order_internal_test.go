package engine

import (
	"slices"
	"testing"
)

// TestStartOrder: child streams start first, the others keep the
// configured order (see startOrder).
func TestStartOrder(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"activities", "call_logs", "deal_products", "deals"}, []string{"deal_products", "activities", "call_logs", "deals"}},
		{[]string{"deals", "persons"}, []string{"deals", "persons"}},
		{[]string{"persons", "deal_products"}, []string{"deal_products", "persons"}},
	}
	for _, tt := range tests {
		var runs []*streamRun
		for _, n := range tt.in {
			st, ok := lookup(n)
			if !ok {
				t.Fatalf("no stream %q", n)
			}
			runs = append(runs, &streamRun{def: st})
		}
		var got []string
		for _, r := range startOrder(runs) {
			got = append(got, r.def.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("startOrder(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
