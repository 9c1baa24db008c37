package oauth

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestBrowserCommand(t *testing.T) {
	const u = "https://oauth.pipedrive.com/oauth/authorize?client_id=x"
	tests := []struct {
		goos    string
		env     map[string]string
		want    string
		wantErr error
	}{
		{"darwin", nil, "open", nil},
		{"windows", nil, "rundll32", nil},
		{"linux", map[string]string{"DISPLAY": ":0"}, "xdg-open", nil},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, "xdg-open", nil},
		{"linux", map[string]string{"SSH_CONNECTION": "1.2.3.4 5 6.7.8.9 22"}, "", ErrNoBrowser},
		{"freebsd", nil, "", ErrNoBrowser},
		{"linux", map[string]string{"PDX_BROWSER": "firefox"}, "firefox", nil},
	}
	for _, tt := range tests {
		name, args, err := browserCommand(tt.goos, func(k string) string { return tt.env[k] }, u)
		if !errors.Is(err, tt.wantErr) || name != tt.want {
			t.Errorf("%s %v: got %q %v, want %q %v", tt.goos, tt.env, name, err, tt.want, tt.wantErr)
			continue
		}
		if err == nil && args[len(args)-1] != u {
			t.Errorf("%s: URL not passed last: %v", tt.goos, args)
		}
	}
}

func TestLinePrompt(t *testing.T) {
	var out strings.Builder
	p := LinePrompt(strings.NewReader("http://127.0.0.1:47390/callback?code=c&state=s\nrest"), &out, "Paste: ")
	got, err := p(context.Background())
	if err != nil || got != "http://127.0.0.1:47390/callback?code=c&state=s\n" || out.String() != "Paste: " {
		t.Fatalf("got %q, %v; out %q", got, err, out.String())
	}
	// A line without a newline at EOF still counts; an empty input is an error.
	if got, err := LinePrompt(strings.NewReader("abc"), io.Discard, "")(context.Background()); err != nil || got != "abc" {
		t.Errorf("EOF line: %q %v", got, err)
	}
	if _, err := LinePrompt(strings.NewReader(""), io.Discard, "")(context.Background()); err == nil {
		t.Errorf("empty input: want an error")
	}
	// A reader that never answers: cancellation wins.
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LinePrompt(pr, io.Discard, "")(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
