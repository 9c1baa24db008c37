package output

import "strings"

// Matching an existing CSV header when a run appends to its file.

// splitCustomName splits a custom field's header "Budget currency (a1b2c3d4)"
// into its words and the first 8 hex digits of the field's key. Headers of
// that form are every custom header of a file pdx wrote before readable
// names (and, now, those of fields sharing a name).
func splitCustomName(h string) (stem, hash8 string, ok bool) {
	i := strings.LastIndex(h, " (")
	if i <= 0 || !strings.HasSuffix(h, ")") || len(h)-i-3 != 8 {
		return "", "", false
	}
	hash8 = h[i+2 : len(h)-1]
	for _, r := range hash8 {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return "", "", false
		}
	}
	return h[:i], hash8, true
}

// renamedCustom maps the headers of custom fields renamed in Pipedrive since
// the file was created to their current columns: a header keeps the key's
// first 8 hex digits, and a suffix column ("Budget currency (…)", key
// <hash>_currency) is the field's plain header's words plus the suffix's.
// Matching by name alone would leave the old column empty from then on.
func renamedCustom(header []string, cols []Column) map[string]Column {
	type cand struct {
		c     Column
		words string
	}
	byHash := map[string][]cand{}
	for _, c := range cols {
		if len(c.Field) == 40 {
			byHash[c.Field[:8]] = append(byHash[c.Field[:8]], cand{c, strings.ReplaceAll(c.Part, "_", " ")})
		}
	}
	stems := map[string][]string{}
	for _, h := range header {
		if stem, h8, ok := splitCustomName(h); ok && len(byHash[h8]) > 0 {
			stems[h8] = append(stems[h8], stem)
		}
	}
	out := map[string]Column{}
	for h8, group := range stems {
		// The plain header is the one every other of the field starts with.
		base, found := "", false
		for _, b := range group {
			all := true
			for _, o := range group {
				if o != b && !strings.HasPrefix(o, b+" ") {
					all = false
					break
				}
			}
			if all && (!found || len(b) < len(base)) {
				base, found = b, true
			}
		}
		if !found {
			continue
		}
		for _, stem := range group {
			words := strings.TrimPrefix(strings.TrimPrefix(stem, base), " ")
			for _, c := range byHash[h8] {
				if c.words == words {
					out[stem+" ("+h8+")"] = c.c
					break
				}
			}
		}
	}
	return out
}
