package secret

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestEnvTokenShapes: surrounding white space (a trailing newline) is
// trimmed; a value that cannot be a header is refused at once, naming the
// variable and never quoting the value.
func TestEnvTokenShapes(t *testing.T) {
	const secretPart = "s3cr3tvalue"
	cases := []struct {
		name, env, want, wantErr string
	}{
		{"trailing newline", secretPart + "\n", secretPart, ""},
		{"CRLF and spaces", "  " + secretPart + "\r\n", secretPart, ""},
		{"newline inside", secretPart + "\nmore", "", "control character"},
		{"space inside", secretPart + " more", "", "white space inside"},
		{"escape character", secretPart + "\x1b[0m", "", "control character"},
		{"non-ASCII", secretPart + "é", "", "not ASCII"},
		{"blank", " \n", "", "blank"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvToken, tc.env)
			s := New(Options{Dir: t.TempDir(), NoKeyring: true})
			got, loc, err := s.Get("p")
			if tc.wantErr == "" {
				if err != nil || got.APIToken != tc.want || loc.Kind != KindEnv {
					t.Fatalf("Get = %q %v %v", got.APIToken, loc, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), EnvToken) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one naming %s and %q", err, EnvToken, tc.wantErr)
			}
			if strings.Contains(err.Error(), secretPart) {
				t.Fatalf("error quotes the value: %v", err)
			}
			if got.APIToken != "" {
				t.Fatalf("a refused value was returned: %q", got.APIToken)
			}
		})
	}
}

// TestFallbackFileModeIsChecked: a fallback file others can read or write
// is refused (as ssh refuses such a key), naming it and what to do; 0600
// and 0400 are used.
func TestFallbackFileModeIsChecked(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix mode bits")
	}
	t.Setenv(EnvToken, "")
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
	}{{0o600, true}, {0o400, true}, {0o644, false}, {0o640, false}, {0o602, false}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			s := New(Options{Dir: t.TempDir(), NoKeyring: true, Warn: &strings.Builder{}})
			if _, err := s.Set("p", Secret{APIToken: "tok"}); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(s.FilePath("p"), tc.mode); err != nil {
				t.Fatal(err)
			}
			got, loc, err := s.Get("p")
			if tc.ok {
				if err != nil || got.APIToken != "tok" || !strings.Contains(loc.String(), "readable only by you") {
					t.Fatalf("Get = %v %v", loc, err)
				}
				return
			}
			if !errors.Is(err, errUnsafeFile) || !strings.Contains(err.Error(), s.FilePath("p")) || !strings.Contains(err.Error(), "chmod 600") || got.APIToken != "" {
				t.Fatalf("Get of a %v file = %q, %v", tc.mode, got.APIToken, err)
			}
			if fi, _ := os.Stat(s.FilePath("p")); fi.Mode().Perm() != tc.mode {
				t.Fatalf("mode changed to %v", fi.Mode().Perm())
			}
		})
	}
}
