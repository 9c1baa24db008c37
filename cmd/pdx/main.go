// Command pdx extracts a company's data from Pipedrive CRM: interactively (a
// Bubble Tea UI), headless (`pdx sync --no-tui`), or as an Airbyte source
// (`pdx spec|check|discover|read`).
//
// This package only parses the command line and wires the rooms together
// (source/, store/, tui/); it holds no business logic. Each command lives in
// its own file and registers itself with addCommand, so commands evolve
// independently.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/store/profile"
)

// Exit codes shared by every command (docs/design.md, airbyte-contract.md).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitBudget  = 3 // daily API budget exhausted, state saved
)

// exitError carries a process exit code through cobra's error path. A nil err
// with a non-zero code means "the message was already printed".
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a usage error (exit code 2).
func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

// withExit attaches an exit code to err.
func withExit(code int, err error) error { return &exitError{code: code, err: err} }

// globals are the flags more than one command shares: --profile and --demo,
// defined only on the commands that use them (scopeFlags).
type globals struct {
	profile string
	demo    bool
	reset   bool // pdx --demo --reset: the demo starts over (pdx itself only)
}

// commandFactories is filled by each command file's init function.
var commandFactories []func(g *globals) *cobra.Command

func addCommand(f func(g *globals) *cobra.Command) { commandFactories = append(commandFactories, f) }

// rootRun is what `pdx` does with no subcommand; the interactive UI sets it.
var rootRun func(cmd *cobra.Command, g *globals) error

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "pdx",
		Short:         "Get your data out of Pipedrive CRM",
		Long:          "pdx extracts a company's Pipedrive data to JSONL or CSV files, or speaks the Airbyte source protocol.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noUnknownCommand,
		RunE: func(cmd *cobra.Command, args []string) error {
			if rootRun == nil {
				return cmd.Help()
			}
			return rootRun(cmd, g)
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErr(fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath()))
	})
	configureVersion(root)
	for _, f := range commandFactories {
		root.AddCommand(f(g))
	}
	scopeFlags(root, g)
	suggestCommands(root)
	addExamples(root)
	registerCompletions(root)
	return root
}

// flagScopes says which commands take --profile and --demo; persistent
// flags reach a command's subcommands (auth login, state show). Every other
// command (spec, check, discover, read, sandbox, version, completion) has
// neither, so its help does not offer flags that mean nothing there.
var flagScopes = []struct {
	path          string // command path below the root, "" for pdx itself
	profile, demo bool
	persistent    bool
}{
	{path: "", profile: true, demo: true},
	{path: "sync", profile: true, demo: true},
	{path: "auth", profile: true, persistent: true},
	{path: "state", profile: true, persistent: true},
}

func scopeFlags(root *cobra.Command, g *globals) {
	for _, sc := range flagScopes {
		cmd := root
		if sc.path != "" {
			c, _, err := root.Find(strings.Fields(sc.path))
			if err != nil || c == root {
				continue // the command is not built in (a build without it)
			}
			cmd = c
		}
		fs := cmd.Flags()
		if sc.persistent {
			fs = cmd.PersistentFlags()
		}
		if sc.profile {
			fs.StringVar(&g.profile, "profile", "", "profile to use (default: the default profile)")
		}
		if sc.demo {
			fs.BoolVar(&g.demo, "demo", false, "run against the built-in simulated Pipedrive (no account needed)")
		}
		if sc.demo {
			fs.BoolVar(&g.reset, "reset", false, "with --demo: start the demo over (forget its simulated company's changes and its state)")
		}
	}
}

// noUnknownCommand refuses arguments to a command that takes none, saying
// which subcommand was probably meant: cobra only suggests when Args is
// unset, and then accepts any argument of a subcommand-less command.
func noUnknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
	}
	return usageErr(fmt.Errorf("%s\nRun '%s --help' for usage.", msg, cmd.CommandPath()))
}

// suggestCommands makes every command group (pdx, pdx auth, pdx state)
// answer an unknown subcommand with suggestions and exit 2; cobra runs a
// group without RunE as help, exit 0, whatever follows it.
func suggestCommands(c *cobra.Command) {
	if c.HasSubCommands() {
		c.Args = noUnknownCommand
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2 // cobra's default, which only its own Args path sets
		}
		if c.RunE == nil && c.Run == nil {
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
	}
	for _, sub := range c.Commands() {
		suggestCommands(sub)
	}
}

// run executes pdx with args and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	// A profile name no store accepts is a usage error whichever command
	// met it and however it came (--profile, the config's default_profile).
	if errors.Is(err, profile.ErrInvalidName) {
		fmt.Fprintln(stderr, "pdx:", err)
		return exitUsage
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "pdx:", ee.err)
			// What to do, when the message itself does not say.
			if hint := app.Hint(ee.err); hint != "" {
				fmt.Fprintln(stderr, "pdx:", hint)
			}
		}
		return ee.code
	}
	// cobra's own argument errors (unknown command, wrong arg count) are usage errors.
	fmt.Fprintln(stderr, "pdx:", err)
	if isCobraUsageError(err) {
		return exitUsage
	}
	return exitFailure
}

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
