package streams

import "testing"

func TestReconciledStreamsExist(t *testing.T) {
	for name, lists := range reconciled {
		st, ok := Lookup(name)
		if !ok {
			t.Errorf("reconciled stream %q is not in the table", name)
			continue
		}
		if len(st.PrimaryKey) != 1 {
			t.Errorf("%s: a tombstone needs a one-field primary key, not %v", name, st.PrimaryKey)
		}
		found := false
		for _, l := range lists {
			ls, ok := Lookup(l)
			if !ok {
				t.Errorf("%s is listed by %q, not in the table", name, l)
				continue
			}
			found = found || l == name
			if ls.PrimaryKey[0] != st.PrimaryKey[0] {
				t.Errorf("%s is listed by %s, whose key %v differs", name, l, ls.PrimaryKey)
			}
		}
		if !found {
			t.Errorf("%s: its own listing is not among %v", name, lists)
		}
	}
}
