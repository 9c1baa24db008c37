package tui

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Options configure Run.
type Options struct {
	Backend Backend
	// In and Out are the terminal; Out is normally os.Stderr so stdout
	// stays clean for data.
	In  io.Reader
	Out io.Writer
	// NoColor drops colours (NO_COLOR).
	NoColor bool
	// AltScreen uses the terminal's alternate screen (off in tests).
	AltScreen bool
}

// stateSaveGrace is how long Run waits, after the screen closed, for a
// stopping sync to save its state.
const stateSaveGrace = 30 * time.Second

// Run shows the UI until the user quits and reports what happened. The
// caller checks for a terminal first; Run assumes one.
func Run(ctx context.Context, o Options) (Outcome, error) {
	if o.Backend == nil {
		return Outcome{}, errors.New("tui: no backend")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := NewCommon(o.Backend, o.NoColor, nil)
	m := New(ctx, c)
	// In the UI Ctrl-C is a key (raw terminal); a SIGINT comes from outside
	// (kill -INT) or from Ctrl-C while an OAuth sign-in holds the cooked
	// terminal: the first stops the UI (a running sync saves its state), the
	// second only cancels the sign-in (oauthExec), with the UI coming back.
	ints := make(chan os.Signal, 1)
	signal.Notify(ints, os.Interrupt)
	defer signal.Stop(ints)
	go func() {
		for {
			select {
			case <-ints:
				if !c.interruptSignIn() {
					cancel()
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	opts := programOptions(ctx, o.In, o.Out, o.AltScreen)
	return runProgram(ctx, cancel, m, opts)
}

// programOptions: signals are the caller's (its ctx); Bubble Tea's own
// SIGTERM handler would race the ctx and can hang its shutdown.
func programOptions(ctx context.Context, in io.Reader, out io.Writer, alt bool) []tea.ProgramOption {
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithoutSignalHandler()}
	if alt {
		opts = append(opts, tea.WithAltScreen())
	}
	return opts
}

// runProgram runs the program, then lets a started sync finish saving.
func runProgram(ctx context.Context, cancel context.CancelFunc, m *Model, opts []tea.ProgramOption) (Outcome, error) {
	final, err := tea.NewProgram(m, opts...).Run()
	if fm, ok := final.(*Model); ok {
		m = fm
	}
	// Quitting mid-run (Ctrl-C while stopping, SIGTERM, a closed
	// terminal) still lets the sync stop at a page boundary and save its
	// state; the summary is then built from what the run reported.
	if ended := m.RunEnded(); ended != nil {
		cancel()
		select {
		case <-ended:
			if r := m.runScreen(); m.step == StepRun && r != nil {
				r.stopping, m.interrupted = true, true
				m.finishRun(m.lastRun)
			}
		case <-time.After(stateSaveGrace):
			m.outcome.Interrupted = true
		}
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return m.Outcome(), err
	}
	return m.Outcome(), nil
}
