package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/tui"
	"github.com/pdxhq/pdx/tui/wire"
)

// `pdx` (and `pdx --demo`) with no subcommand opens the interactive UI;
// `pdx sync` in a terminal shows its progress screen.
func init() {
	rootRun = runUI
	syncTUI = runSyncUI
}

// uiColors sets lipgloss to the colours of the terminal the UI draws on
// (stderr, not stdout) and reports whether colour is off (NO_COLOR).
func uiColors(out io.Writer) (noColor bool) {
	profile, noColor := tui.TerminalProfile(out)
	lipgloss.SetColorProfile(profile)
	return noColor
}

// runSyncUI is `pdx sync` in a terminal: live progress, then the summary,
// which also stays on the terminal afterwards.
func runSyncUI(ctx context.Context, cmd *cobra.Command, opts app.Options) (app.Summary, error) {
	out := cmd.ErrOrStderr()
	noColor := uiColors(out)
	sum, o, err := wire.Sync(ctx, opts, tui.WatchOptions{In: cmd.InOrStdin(), Out: out, NoColor: noColor, AltScreen: true})
	if o.Summary != "" {
		fmt.Fprintln(out, o.Summary)
	}
	return sum, err
}

func runUI(cmd *cobra.Command, g *globals) error {
	in, out := cmd.InOrStdin(), cmd.ErrOrStderr()
	if !isTerminal(in) || !isTerminal(out) {
		return headlessFallback(cmd, g)
	}
	// The UI steps aside for `pdx auth login --oauth`'s questions, asked
	// in this process on the same terminal.
	if g.reset && !g.demo {
		return usageErr(errors.New("--reset starts the demo over: use it with --demo"))
	}
	wo := wire.Options{Profile: g.profile, Demo: g.demo, DemoReset: g.reset, NoKeyring: os.Getenv(envNoKeyring) != "",
		OAuth: &app.OAuthLogin{OpenBrowser: oauthOpenBrowser}}
	b, err := wire.New(wo)
	if err != nil {
		return withExit(exitFailure, fmt.Errorf("open the profile: %w", err))
	}
	defer b.Close()

	noColor := uiColors(out)
	// SIGTERM, or SIGHUP when the terminal closes, stops a running sync at
	// a page boundary with its state saved (Ctrl-C is a key in the UI).
	// SIGINT is tui.Run's: Ctrl-C at the OAuth sign-in's questions (the
	// terminal cooked) cancels only the sign-in.
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	o, err := tui.Run(ctx, tui.Options{Backend: b, In: in, Out: out, NoColor: noColor, AltScreen: true})
	if o.Summary != "" {
		// The alternate screen is gone: leave the summary in the scrollback.
		fmt.Fprintln(out, o.Summary)
	}
	if err != nil {
		return withExit(exitFailure, fmt.Errorf("interactive UI: %w", err))
	}
	switch {
	case o.Interrupted:
		return withExit(exitFailure, errors.New("interrupted; the sync stopped with its state saved: run pdx again to continue"))
	case o.BudgetExhausted:
		return withExit(exitBudget, nil)
	case o.Err != nil, o.Failed > 0:
		return withExit(exitFailure, nil)
	}
	return nil
}

// headlessFallback runs `pdx sync --no-tui` when there is no terminal to
// draw on (cron, pipes, CI).
func headlessFallback(cmd *cobra.Command, g *globals) error {
	errw := cmd.ErrOrStderr()
	if c, _, err := cmd.Root().Find([]string{"sync"}); err != nil || c == nil || c.Name() != "sync" {
		return usageErr(errors.New("no terminal for the interactive UI (stdin or stderr is not a TTY); run `pdx sync --no-tui` or `pdx --help`"))
	}
	fmt.Fprintln(errw, "pdx: no terminal for the interactive UI; running `pdx sync --no-tui` with the profile's saved choices")
	args := []string{"sync", "--no-tui"}
	if g.demo {
		args = append(args, "--demo")
	}
	if g.profile != "" {
		args = append(args, "--profile", g.profile)
	}
	root := newRootCmd(&globals{})
	root.SetArgs(args)
	root.SetIn(cmd.InOrStdin())
	root.SetOut(cmd.OutOrStdout())
	root.SetErr(errw)
	return root.Execute()
}

// isTerminal reports whether r/w is a terminal.
func isTerminal(f any) bool {
	type fder interface{ Fd() uintptr }
	x, ok := f.(fder)
	if !ok {
		return false
	}
	return isatty.IsTerminal(x.Fd()) || isatty.IsCygwinTerminal(x.Fd())
}
