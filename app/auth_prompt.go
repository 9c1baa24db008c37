package app

// How the sign-in use cases ask a person for what they need (a token, an
// OAuth app's client id and secret, a pasted address): a Prompter, so the
// CLI and the UI (which hands its terminal over) ask the same questions.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/muesli/cancelreader"
	"golang.org/x/term"

	"github.com/pdxhq/pdx/source/oauth"
)

// Prompter asks a person (or reads a pipe) for the answers a sign-in needs.
type Prompter interface {
	// Interactive reports a person at a terminal: only then are questions
	// with a saved default asked, and a pasted address accepted.
	Interactive() bool
	// Say shows text to the person (an explanation, the sign-in address).
	Say(text string)
	// Line reads one visible answer; what names it in errors. An empty
	// answer is an error matching ErrNothingEntered.
	Line(what, prompt string) (string, error)
	// Hidden reads one answer without echoing it (a token, a secret).
	Hidden(what, prompt string) (string, error)
	// Paste reads a pasted redirect address until ctx ends; nil when the
	// prompter cannot (not interactive).
	Paste(prompt string) func(ctx context.Context) (string, error)
}

// ErrNothingEntered: an empty answer to a question.
var ErrNothingEntered = errors.New("empty input")

// inputError marks a failure caused by what the person gave or chose (an
// empty answer, no way to ask, an unusable option): the CLI exits 2 on it.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func inputErr(format string, args ...any) error { return &inputError{fmt.Errorf(format, args...)} }

// IsInput reports whether err was caused by the person's input or choice
// (including a busy callback port or an unusable OAuth option) rather than
// by Pipedrive, the network or the stores.
func IsInput(err error) bool {
	var ie *inputError
	return errors.As(err, &ie) || errors.Is(err, oauth.ErrPortBusy) || errors.Is(err, oauth.ErrBadInput)
}

// NewPrompter asks through in and out. With piped, answers are the lines
// of in, one per question (`--with-token`); otherwise a terminal on in is
// a person to ask, and without one every question fails saying how to pipe
// the answer in.
func NewPrompter(in io.Reader, out io.Writer, piped bool) Prompter {
	if piped {
		return &pipePrompter{out: out, in: in}
	}
	if IsTerminal(in) {
		f := in.(*os.File)
		return &ttyPrompter{pipePrompter: pipePrompter{out: out, in: f}, tty: f}
	}
	return noPrompter{out: out}
}

// IsTerminal reports whether in is a terminal, i.e. a person to ask.
func IsTerminal(in io.Reader) bool {
	f, ok := in.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// pipePrompter hands out lines of in from one buffered reader, so that a
// client secret and a refresh token can follow each other on a pipe.
type pipePrompter struct {
	out io.Writer
	in  io.Reader
	br  *bufio.Reader
}

func (p *pipePrompter) Interactive() bool { return false }
func (p *pipePrompter) Say(text string)   { fmt.Fprint(p.out, text) }
func (p *pipePrompter) Hidden(what, prompt string) (string, error) {
	return p.Line(what, prompt)
}
func (p *pipePrompter) Paste(string) func(context.Context) (string, error) { return nil }

func (p *pipePrompter) Line(what, _ string) (string, error) {
	if p.br == nil {
		p.br = bufio.NewReader(io.LimitReader(p.in, 16<<10))
	}
	line, err := p.br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the %s from stdin: %w", what, err)
	}
	v := strings.TrimSpace(line)
	if v == "" {
		return "", inputErr("no %s on stdin: %w", what, ErrNothingEntered)
	}
	return v, nil
}

// noPrompter has nobody to ask.
type noPrompter struct{ out io.Writer }

func (p noPrompter) Interactive() bool { return false }
func (p noPrompter) Say(text string)   { fmt.Fprint(p.out, text) }
func (p noPrompter) Line(what, _ string) (string, error) {
	return "", inputErr("no terminal to ask for the %s: pipe it in with --with-token (never pass it as an argument)", what)
}
func (p noPrompter) Hidden(what, prompt string) (string, error)         { return p.Line(what, prompt) }
func (p noPrompter) Paste(string) func(context.Context) (string, error) { return nil }

// ttyPrompter asks a person at a terminal: visible answers are lines of
// it, hidden ones are read with echo off.
type ttyPrompter struct {
	pipePrompter
	tty *os.File
}

func (p *ttyPrompter) Interactive() bool { return true }

func (p *ttyPrompter) Line(what, prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	return p.pipePrompter.Line(what, prompt)
}

func (p *ttyPrompter) Hidden(what, prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	b, err := term.ReadPassword(int(p.tty.Fd()))
	fmt.Fprintln(p.out)
	if err != nil {
		return "", fmt.Errorf("read the %s: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", inputErr("no %s entered: %w", what, ErrNothingEntered)
	}
	return s, nil
}

// Paste reads one line through a cancelable reader: when the browser's
// callback wins, the read is cancelled instead of staying parked on the
// terminal, where it would swallow the next key the UI expects.
func (p *ttyPrompter) Paste(prompt string) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		cr, err := cancelreader.NewReader(p.tty)
		if err != nil {
			return oauth.LinePrompt(p.tty, p.out, prompt)(ctx)
		}
		fmt.Fprint(p.out, prompt)
		type result struct {
			s   string
			err error
		}
		done := make(chan result, 1)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := bufio.NewReader(cr).ReadString('\n')
			if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
				done <- result{err: err}
				return
			}
			done <- result{s: s}
		}()
		defer func() { cr.Cancel(); wg.Wait(); cr.Close() }()
		select {
		case r := <-done:
			return r.s, r.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}
