package tui

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// verifyTimeout bounds the live token check and the keyring write.
const verifyTimeout = 30 * time.Second

type connectPhase int

const (
	phaseChoose connectPhase = iota
	phaseToken
	phaseVerifying
	phaseConnected
)

// verifiedMsg carries the result of checking and saving a credential.
type verifiedMsg struct {
	id     Identity
	budget Budget
	where  string
	err    error
}

// errSignInCanceled: Ctrl-C during the OAuth sign-in's questions.
var errSignInCanceled = errors.New("cancelled with Ctrl-C")

// oauthExitedMsg says the OAuth sign-in ended without a working sign-in.
type oauthExitedMsg struct{ err error }

// execSettle is the shortest time oauthExec.Run takes (see there).
const execSettle = 50 * time.Millisecond

// oauthExec runs the Backend's OAuth sign-in in this process while the UI
// steps aside (a tea.ExecCommand): the terminal is handed over for its
// prompts and the result comes back as values, with no second process.
type oauthExec struct {
	b OAuth
	// c registers the sign-in's cancel while it holds the terminal, for
	// the UI's SIGINT handling (Run).
	c *Common
	// width is the terminal's: the sign-in's text is wrapped at words to
	// it (the terminal itself would cut words in two).
	width int
	in    io.Reader
	out   io.Writer
	res   verifiedMsg
}

func (o *oauthExec) SetStdin(r io.Reader)  { o.in = r }
func (o *oauthExec) SetStdout(w io.Writer) { o.out = w }
func (o *oauthExec) SetStderr(io.Writer)   {} // prompts go where the UI draws (stdout here)

func (o *oauthExec) Run() error {
	start := time.Now()
	// The terminal is cooked while the UI steps aside, so Ctrl-C is a
	// SIGINT: Run's handler cancels this sign-in (the UI comes back) and
	// nothing else.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if o.c != nil {
		o.c.setSignIn(cancel)
		defer o.c.setSignIn(nil)
	}
	var out io.Writer = o.out
	if o.width > 0 && out != nil {
		out = wordWrapper{w: out, width: o.width}
	}
	id, bu, where, err := o.b.OAuthSignIn(ctx, o.in, out)
	if ctx.Err() != nil {
		err = errSignInCanceled
	}
	o.res = verifiedMsg{id: id, budget: bu, where: where, err: err}
	// bubbletea (v1.3.10) restarts its renderer's ticker when Run returns,
	// and the goroutine it told to stop that ticker as the UI stepped aside
	// may not have run yet: a sign-in ending at once (a failure before the
	// first question) would leave the screen frozen for good
	// (charmbracelet/bubbletea#1778, open). A moment's wait avoids it.
	if d := execSettle - time.Since(start); d > 0 {
		time.Sleep(d)
	}
	return err
}

// wordWrapper wraps each write at words to width; a word longer than the
// line (an address to copy) stays whole.
type wordWrapper struct {
	w     io.Writer
	width int
}

func (ww wordWrapper) Write(p []byte) (int, error) {
	lines := strings.Split(string(p), "\n")
	for i, l := range lines {
		// Each line keeps its indent, on its continuation lines too.
		rest := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(rest)]
		wrapped := ansi.Wordwrap(rest, max(10, ww.width-len(indent)), "")
		lines[i] = indent + strings.ReplaceAll(wrapped, "\n", "\n"+indent)
	}
	if _, err := io.WriteString(ww.w, strings.Join(lines, "\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// done turns the finished sign-in (or a terminal that could not be
// handed over) into the step's message.
func (o *oauthExec) done(err error) tea.Msg {
	if err != nil {
		return oauthExitedMsg{err: err}
	}
	return o.res
}

// connectedMsg tells the root the profile has a working credential.
type connectedMsg struct {
	id     Identity
	budget Budget
}

// backMsg asks the root for the previous step.
type backMsg struct{}

// connectStep asks for a credential, checks it live and saves it.
type connectStep struct {
	c       *Common
	b       connectBackend
	phase   connectPhase
	cursor  int // 0 API token, 1 OAuth
	input   textinput.Model
	spin    spinner.Model
	errText string
	note    string
	res     verifiedMsg
	canBack bool
	w, h    int
}

// connectBackend is what the Connect step uses.
type connectBackend interface {
	Session
	OAuth
	Explainer
}

func newConnectStep(c *Common, b connectBackend, canBack bool, problem string) *connectStep {
	in := textinput.New()
	in.Placeholder = "paste your API token"
	in.PlaceholderStyle = c.Styles.Placeholder
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	in.Prompt = "Token: "
	in.CharLimit = 200
	in.Cursor.SetMode(cursor.CursorStatic) // no blink: fewer redraws
	if t := b.DemoToken(); t != "" {
		in.SetValue(t)
	}
	sp := spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(c.Styles.Cursor))
	s := &connectStep{c: c, b: b, input: in, spin: sp, canBack: canBack, errText: problem}
	s.SetSize(c.Width, c.Height)
	return s
}

func (s *connectStep) Init() tea.Cmd { return nil }

func (s *connectStep) SetSize(w, h int) {
	s.w, s.h = w, h
	s.input.Width = max(10, min(60, w-12))
}

func (s *connectStep) Help() []key.Binding {
	k := s.c.Keys
	switch s.phase {
	case phaseChoose:
		h := []key.Binding{k.Up, k.Down, k.Next}
		if s.canBack {
			h = append(h, k.Back)
		}
		return append(h, k.ForceQuit)
	case phaseToken:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "check & save")), k.Back, k.ForceQuit}
	case phaseConnected:
		return []key.Binding{k.Next, k.ForceQuit}
	}
	return []key.Binding{k.ForceQuit}
}

func (s *connectStep) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if s.phase != phaseVerifying {
			return nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return cmd
	case oauthExitedMsg:
		s.phase = phaseChoose
		if errors.Is(msg.err, errSignInCanceled) {
			s.errText = "The OAuth sign-in was cancelled. Choose again, or use an API token."
			return nil
		}
		why := " (its messages were shown above the screen)"
		if m := strings.TrimRight(strings.TrimSpace(msg.err.Error()), "."); m != "" {
			why = ": " + m
		}
		s.errText = "The OAuth sign-in did not finish" + why + ". Try again, or use an API token."
		return nil
	case verifiedMsg:
		if msg.err != nil && s.cursor == 1 {
			s.phase, s.errText = phaseChoose, s.b.Explain(msg.err)
			return nil
		}
		if msg.err != nil {
			s.phase, s.errText = phaseToken, s.b.Explain(msg.err)
			s.input.Reset() // ready for the next paste
			return s.input.Focus()
		}
		s.phase, s.res, s.errText = phaseConnected, msg, ""
		return nil
	case tea.KeyMsg:
		return s.key(msg)
	}
	if s.phase == phaseToken {
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	}
	return nil
}

func (s *connectStep) key(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	switch s.phase {
	case phaseChoose:
		switch {
		case key.Matches(msg, k.Up):
			s.cursor = 0
		case key.Matches(msg, k.Down) && !s.b.Demo():
			s.cursor = 1 // the demo offers no OAuth: its token is filled in
		case key.Matches(msg, k.Back) && s.canBack:
			return func() tea.Msg { return backMsg{} }
		case key.Matches(msg, k.Next):
			s.errText = ""
			if s.cursor == 0 {
				s.phase = phaseToken
				return s.input.Focus()
			}
			ok, reason := s.b.OAuth()
			if !ok {
				s.errText = "OAuth sign-in is not available yet: " + reason + " Use an API token for now."
				return nil
			}
			s.phase = phaseVerifying
			o := &oauthExec{b: s.b, c: s.c, width: s.c.Width}
			return tea.Exec(o, o.done)
		}
	case phaseToken:
		switch {
		case key.Matches(msg, k.Back):
			s.phase, s.errText = phaseChoose, ""
			s.input.Blur()
			return nil
		case key.Matches(msg, k.Next):
			tok := strings.TrimSpace(s.input.Value())
			if tok == "" {
				s.errText = "Paste your API token first (see where to find it above)."
				return nil
			}
			s.phase, s.errText = phaseVerifying, ""
			s.input.Blur()
			return tea.Batch(s.spin.Tick, s.verify(tok))
		}
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	case phaseConnected:
		if key.Matches(msg, k.Next) {
			r := s.res
			return func() tea.Msg { return connectedMsg{id: r.id, budget: r.budget} }
		}
	}
	return nil
}

// verify checks the token live, then saves it; a token is only stored once
// Pipedrive accepted it.
func (s *connectStep) verify(tok string) tea.Cmd {
	b := s.b
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), verifyTimeout)
		defer cancel()
		id, bu, err := b.Verify(ctx, tok)
		if err != nil {
			return verifiedMsg{err: err}
		}
		where, err := b.SaveToken(tok)
		if err != nil {
			return verifiedMsg{err: err}
		}
		return verifiedMsg{id: id, budget: bu, where: where}
	}
}

// typing: the token field takes every key ("?" included).
func (s *connectStep) typing() bool { return s.phase == phaseToken }

func (s *connectStep) View() string {
	st := s.c.Styles
	tw := s.w - 4
	var b strings.Builder
	b.WriteString(st.Heading.Render("Connect to Pipedrive") + "\n")
	if s.b.Demo() {
		b.WriteString(st.Hint.Render(wrap("Demo: this is a simulated Pipedrive company on your computer; the demo token is filled in for you.", tw)) + "\n")
	}
	b.WriteString("\n")
	switch s.phase {
	case phaseChoose:
		b.WriteString("How do you want to sign in?\n\n")
		oauthOK, reason := s.b.OAuth()
		opts := []struct{ name, desc string }{
			{"API token", "a personal token from your Pipedrive settings"},
			{"OAuth", "sign in through the browser"},
		}
		switch {
		case s.b.Demo():
			opts = opts[:1] // the demo signs in with its own token
		case !oauthOK:
			opts[1].desc = "not yet available: " + reason
		}
		for i, o := range opts {
			cur := "  "
			name := fit(o.name, 10)
			if i == s.cursor {
				cur = st.Cursor.Render("> ")
				name = st.Cursor.Render(name)
			}
			desc := st.Muted.Render(o.desc)
			b.WriteString(fit(cur+name+"  "+desc, tw) + "\n")
		}
	case phaseVerifying:
		if s.cursor == 1 {
			b.WriteString(s.spin.View() + " Checking the OAuth sign-in with Pipedrive…\n")
			break
		}
		fallthrough
	case phaseToken:
		b.WriteString(wrap("Find your token in Pipedrive: click your avatar (top right) > Personal preferences > API.", tw) + "\n")
		b.WriteString(st.Muted.Render(wrap("It is checked live, then saved for this profile; it is never shown or written to your files.", tw)) + "\n\n")
		b.WriteString(s.input.View() + "\n")
		if s.phase == phaseVerifying {
			b.WriteString("\n" + s.spin.View() + " Checking the token with Pipedrive…\n")
		}
	case phaseConnected:
		ok := "✓ The token works."
		if s.cursor == 1 {
			ok = "✓ Signed in with OAuth."
		}
		b.WriteString(st.OK.Render(ok) + "\n\n")
		b.WriteString("  User     " + s.res.id.User + "\n")
		b.WriteString("  Company  " + s.res.id.Company + "\n")
		if s.res.where != "" {
			b.WriteString("\n" + wrap("Saved "+s.res.where+".", tw) + "\n")
		}
		b.WriteString("\n" + st.Hint.Render("Press enter to choose what to export.") + "\n")
	}
	if s.errText != "" {
		b.WriteString("\n" + st.Error.Render(wrap(s.errText, tw)) + "\n")
	}
	return b.String()
}
