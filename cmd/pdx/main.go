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

// globals are the persistent flags every command sees.
type globals struct {
	profile string
	demo    bool
	reset   bool // pdx --demo --reset: the demo starts over
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
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if rootRun == nil {
				return cmd.Help()
			}
			return rootRun(cmd, g)
		},
	}
	root.PersistentFlags().StringVar(&g.profile, "profile", "", "profile to use (default: the default profile)")
	root.PersistentFlags().BoolVar(&g.demo, "demo", false, "run against the built-in simulated Pipedrive (no account needed)")
	root.Flags().BoolVar(&g.reset, "reset", false, "with --demo: start the demo over (forget its simulated company's changes and its state)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErr(fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath()))
	})
	configureVersion(root)
	for _, f := range commandFactories {
		root.AddCommand(f(g))
	}
	return root
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
