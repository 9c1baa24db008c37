package airbyte

import "testing"

// TestMaskerShortSecrets: a short secret is masked where it stands alone,
// not inside the words of a message; a long one everywhere.
func TestMaskerShortSecrets(t *testing.T) {
	const long = "0123456789abcdef0123"
	cases := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"short inside a word", []string{"a"}, "invalid config", "invalid config"},
		{"short alone", []string{"a"}, "token a rejected", "token **** rejected"},
		{"short after = and before ,", []string{"tok1"}, "x=tok1,y=tok1", "x=****,y=****"},
		{"short at both ends", []string{"ab"}, "ab", "****"},
		{"short with punctuation edges", []string{"-x-"}, "a-x-b", "a****b"},
		{"short next to a long one", []string{"ab", long}, "ab" + long + " ab", "******** ****"}, // the mask ends a word,
		{"long inside a word", []string{long}, "Bearer" + long + "x", "Bearer****x"},
		{"seven bytes is short", []string{"abcdefg"}, "xabcdefgx abcdefg", "xabcdefgx ****"},
		{"eight bytes is long", []string{"abcdefgh"}, "xabcdefghx", "x****x"},
		{"unicode letters continue a word", []string{"ab"}, "éabé ab", "éabé ****"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NewMasker(tc.secrets...).String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
