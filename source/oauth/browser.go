package oauth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
)

// ErrNoBrowser: this session cannot open a browser (SSH without a display).
var ErrNoBrowser = errors.New("oauth: no browser available in this session")

// SystemBrowser opens url in the user's browser; pass it as
// LoginOptions.OpenBrowser. It refuses (ErrNoBrowser) over SSH without a
// display, so that the caller's Prompt takes over instead of a text browser
// grabbing the terminal.
func SystemBrowser(url string) error {
	name, args, err := browserCommand(runtime.GOOS, os.Getenv, url)
	if err != nil {
		return err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("oauth: open a browser with %s: %w", name, err)
	}
	go cmd.Wait() //nolint:errcheck // reap the opener; its exit status says nothing useful
	return nil
}

// browserCommand picks the opener for goos; getenv is os.Getenv (tests fake it).
func browserCommand(goos string, getenv func(string) string, url string) (string, []string, error) {
	if b := getenv("PDX_BROWSER"); b != "" {
		return b, []string{url}, nil
	}
	switch goos {
	case "darwin":
		return "open", []string{url}, nil
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler", url}, nil
	}
	// Linux and the BSDs: a graphical session is needed.
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return "", nil, ErrNoBrowser
	}
	return "xdg-open", []string{url}, nil
}

// LinePrompt returns a LoginOptions.Prompt that writes message to out and
// reads one line from in (a terminal). The read cannot be interrupted, so
// when the loopback callback wins the goroutine stays parked on in until
// the process exits; use it only from a CLI command that ends after login.
func LinePrompt(in io.Reader, out io.Writer, message string) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		fmt.Fprint(out, message)
		line := make(chan string, 1)
		errc := make(chan error, 1)
		go func() {
			s, err := bufio.NewReader(in).ReadString('\n')
			if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
				errc <- err
				return
			}
			line <- s
		}()
		select {
		case s := <-line:
			return s, nil
		case err := <-errc:
			return "", err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}
