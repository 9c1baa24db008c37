package pipedrivetest

import (
	"testing"
	"time"
)

func TestAppendTSMatchesTimeFormat(t *testing.T) {
	for _, sec := range []int64{0, 951782400, 1709164800, 1798761599, 1798761600, 4102444799, 1234567890} {
		for _, layout := range []string{layoutV2, layoutV1, layoutLead, layoutDate} {
			want := time.Unix(sec, 0).UTC().Format(layout)
			if got := string(appendTS(nil, sec, layout)); got != want {
				t.Errorf("appendTS(%d, %q) = %s, want %s", sec, layout, got, want)
			}
		}
	}
}

// The int kinds the hot path switches on name the same types as customTypes
// (a mismatch would render values in another type's shape).
func TestCustomKindsMatchTypes(t *testing.T) {
	want := map[cfKind]string{kVarchar: "varchar", kVarcharAuto: "varchar_auto", kText: "text", kDouble: "double",
		kMonetary: "monetary", kPhone: "phone", kDate: "date", kDaterange: "daterange", kTime: "time",
		kTimerange: "timerange", kEnum: "enum", kSet: "set", kAddress: "address", kUser: "user", kOrg: "org", kPeople: "people"}
	if len(want) != len(customTypes) {
		t.Fatalf("%d kinds for %d types", len(want), len(customTypes))
	}
	for _, f := range newFieldSet(1, "deal", 40).custom {
		if want[f.kind] != f.typ {
			t.Errorf("field %s: kind %d is %s, type says %s", f.code, f.kind, want[f.kind], f.typ)
		}
	}
}
