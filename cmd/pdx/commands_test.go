package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
)

// walk calls f for the command and every subcommand cobra would list.
func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			walk(sub, f)
		}
	}
}

// A mistyped command is a usage error that says what was meant and where
// the help is.
func TestUnknownCommandSuggests(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"synk"}, []string{`unknown command "synk" for "pdx"`, "Did you mean this?\n\tsync\n", "Run 'pdx --help' for usage."}},
		{[]string{"sandbx"}, []string{"Did you mean this?\n\tsandbox\n"}},
		{[]string{"auth", "logni"}, []string{`unknown command "logni" for "pdx auth"`, "Did you mean this?\n\tlogin\n", "Run 'pdx auth --help' for usage."}},
		{[]string{"state", "shwo"}, []string{"Did you mean this?\n\tshow\n", "Run 'pdx state --help' for usage."}},
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate" for "pdx"`, "Run 'pdx --help' for usage."}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tt.args, strings.NewReader(""), &out, &errb); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			for _, w := range tt.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
		})
	}
	// A group with no subcommand named is still its help page.
	var out, errb bytes.Buffer
	if code := run([]string{"auth"}, strings.NewReader(""), &out, &errb); code != exitOK || !strings.Contains(out.String(), "Available Commands:") {
		t.Errorf("pdx auth: exit %d, stdout %q", code, out.String())
	}
}

// --profile and --demo are on the commands that use them and nowhere else.
func TestFlagScopes(t *testing.T) {
	want := map[string][2]bool{ // command path -> has --profile, has --demo
		"pdx":             {true, true},
		"pdx sync":        {true, true},
		"pdx auth":        {true, false},
		"pdx auth login":  {true, false},
		"pdx auth status": {true, false},
		"pdx auth logout": {true, false},
		"pdx state":       {true, false},
		"pdx state show":  {true, false},
		"pdx state reset": {true, false},
	}
	seen := 0
	walk(newRootCmd(&globals{}), func(c *cobra.Command) {
		seen++
		w := want[c.CommandPath()] // the rest: neither
		if got := c.Flag("profile") != nil; got != w[0] {
			t.Errorf("%s: has --profile = %v, want %v", c.CommandPath(), got, w[0])
		}
		if got := c.Flag("demo") != nil; got != w[1] {
			t.Errorf("%s: has --demo = %v, want %v", c.CommandPath(), got, w[1])
		}
	})
	if seen < len(want)+7 { // spec check discover read sandbox version completion
		t.Errorf("walked %d commands, want at least %d", seen, len(want)+7)
	}
	for _, args := range [][]string{{"spec", "--demo"}, {"version", "--profile", "x"}, {"completion", "bash", "--demo"}, {"check", "--demo", "--config", "c.json"}} {
		var out, errb bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "unknown flag") {
			t.Errorf("pdx %q: exit %d, stderr %q; want 2, unknown flag", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"read", "--help"}, strings.NewReader(""), &out, &errb); code != exitOK || strings.Contains(out.String(), "--demo") || strings.Contains(out.String(), "--profile") {
		t.Errorf("pdx read --help (exit %d) offers --demo or --profile:\n%s", code, out.String())
	}
}

// exampleArgs splits an example's pdx command line into arguments, up to a
// redirection or pipe (the shell's, not pdx's).
func exampleArgs(line string) []string {
	var args []string
	for _, f := range strings.Fields(line) {
		if strings.ContainsAny(f[:1], "<>|") {
			break
		}
		args = append(args, strings.Trim(f, `"'`))
	}
	return args
}

// Every help page has examples, and every example is a command line pdx
// accepts: it names a real command, its flags exist and parse, required
// flags are there, and names are ones the registries know.
func TestEveryCommandHasRunnableExamples(t *testing.T) {
	root := newRootCmd(&globals{})
	paths := map[string]bool{}
	walk(root, func(c *cobra.Command) {
		paths[c.CommandPath()] = true
		t.Run(c.CommandPath(), func(t *testing.T) {
			var lines []string
			for _, l := range strings.Split(c.Example, "\n") {
				if l = strings.TrimSpace(l); strings.HasPrefix(l, "pdx") {
					lines = append(lines, l)
				}
			}
			if len(lines) == 0 {
				t.Fatalf("no example (Example = %q)", c.Example)
			}
			for _, l := range lines {
				if err := parseExample(exampleArgs(l)); err != nil {
					t.Errorf("%s: %v", l, err)
				}
			}
		})
	})
	for p := range examples {
		if !paths[p] {
			t.Errorf("examples has %q, which is not a command", p)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"sync", "--help"}, strings.NewReader(""), &out, &errb); code != exitOK || !strings.Contains(out.String(), "Examples:\n  # ") {
		t.Errorf("pdx sync --help (exit %d) shows no Examples section:\n%s", code, out.String())
	}
}

// parseExample does what cobra does with args up to running the command,
// on a fresh command tree, then checks the values the registries define.
func parseExample(args []string) error {
	if len(args) == 0 || args[0] != "pdx" {
		return errors.New("does not start with pdx")
	}
	root := newRootCmd(&globals{})
	cmd, rest, err := root.Find(args[1:])
	if err != nil {
		return err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return err
	}
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return err
	}
	fl := cmd.Flags()
	for _, name := range []string{"streams", "stream"} {
		if v, err := fl.GetStringSlice(name); err == nil {
			if err := app.KnownStreams(v); err != nil {
				return err
			}
		}
	}
	if v, err := fl.GetString("mode"); err == nil {
		if _, err := profile.ParseMode(v); err != nil {
			return err
		}
	}
	if v, err := fl.GetString("format"); err == nil {
		if err := output.ValidFormat(v); err != nil {
			return err
		}
	}
	if v, err := fl.GetString("plan"); err == nil && !slices.Contains(sandboxPlans, pipedrivetest.Plan(v)) {
		return fmt.Errorf("--plan %q is not a sandbox plan", v)
	}
	if v, err := fl.GetString("profile"); err == nil && v != "" {
		if err := profile.ValidateName(v); err != nil {
			return err
		}
	}
	return nil
}
