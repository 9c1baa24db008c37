package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The release archives and the Homebrew cask ship what `pdx completion SHELL`
// prints (scripts/completions), so each script must come out whole and, where
// the shell is installed, parse.
func TestCompletionScripts(t *testing.T) {
	tests := []struct {
		shell  string
		marker string   // a line only a real completion script for pdx has
		check  []string // syntax check command (file appended), when installed
	}{
		{shell: "bash", marker: "__start_pdx", check: []string{"bash", "-n"}},
		{shell: "zsh", marker: "#compdef pdx", check: []string{"zsh", "-n"}},
		{shell: "fish", marker: "complete -c pdx", check: []string{"fish", "--no-execute"}},
		{shell: "powershell", marker: "Register-ArgumentCompleter", check: nil},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run([]string{"completion", tt.shell}, strings.NewReader(""), &out, &errb); code != exitOK {
				t.Fatalf("pdx completion %s: exit %d, stderr %q", tt.shell, code, errb.String())
			}
			if !strings.Contains(out.String(), tt.marker) {
				t.Fatalf("pdx completion %s: output lacks %q:\n%.400s", tt.shell, tt.marker, out.String())
			}
			if errb.Len() != 0 {
				t.Errorf("pdx completion %s wrote to stderr: %q", tt.shell, errb.String())
			}
			if tt.check == nil {
				return
			}
			if _, err := exec.LookPath(tt.check[0]); err != nil {
				t.Logf("%s is not installed: syntax check skipped", tt.check[0])
				return
			}
			f := filepath.Join(t.TempDir(), "pdx."+tt.shell)
			if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append(append([]string{}, tt.check[1:]...), f)
			if b, err := exec.Command(tt.check[0], args...).CombinedOutput(); err != nil {
				t.Errorf("%s %v: %v\n%s", tt.check[0], args, err, b)
			}
		})
	}
}

// A bad command line is a usage error (exit 2) with nothing on stdout, so a
// redirect into a completions file never captures help text.
func TestCompletionBadArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"unknown shell", []string{"completion", "tcsh"}},
		{"no shell", []string{"completion"}},
		{"two shells", []string{"completion", "bash", "zsh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tt.args, strings.NewReader(""), &out, &errb); code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, errb.String())
			}
			if out.Len() != 0 {
				t.Errorf("stdout should stay empty, got %.200q", out.String())
			}
			if errb.Len() == 0 {
				t.Error("stderr should say what is wrong")
			}
		})
	}
}

func TestCompletionNoDescriptions(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		var with, without, errb bytes.Buffer
		if code := run([]string{"completion", shell}, strings.NewReader(""), &with, &errb); code != exitOK {
			t.Fatalf("%s: exit %d, stderr %q", shell, code, errb.String())
		}
		if code := run([]string{"completion", shell, "--no-descriptions"}, strings.NewReader(""), &without, &errb); code != exitOK {
			t.Fatalf("%s --no-descriptions: exit %d, stderr %q", shell, code, errb.String())
		}
		if bytes.Equal(with.Bytes(), without.Bytes()) || without.Len() == 0 {
			t.Errorf("%s: --no-descriptions made no difference", shell)
		}
	}
}

// `pdx sync --format <TAB>` offers the registered formats, with their labels,
// and the help names them: both read store/output's registry.
func TestFormatFlagFromRegistry(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"__complete", "sync", "--format", ""}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("__complete: exit %d, stderr %q", code, errb.String())
	}
	for _, want := range []string{"jsonl\tJSONL: ", "csv\tCSV: ", "sqlite\tSQLite database: ", "airbyte\tAirbyte messages: ", ":4"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("completion lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"sync", "--help"}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("sync --help: exit %d", code)
	}
	for _, want := range []string{"[--format jsonl|csv|sqlite|airbyte]", "output format: jsonl, csv, sqlite or airbyte (default: the profile's, else jsonl)", "'-' = stdout, airbyte format only"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sync --help lacks %q:\n%s", want, out.String())
		}
	}
}
