package tui

import (
	"fmt"
	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// streamsDoneMsg carries the picked streams, in display order.
type streamsDoneMsg struct{ choices []Choice }

// reconnectMsg asks the root for the Connect step.
type reconnectMsg struct{}

// streamsStep is the stream picker: grouped, filterable, multi-select, with
// a per-stream mode where the stream supports both.
type streamsStep struct {
	c         *Common
	cat       Catalog
	all       []StreamInfo
	selected  map[string]bool
	modes     map[string]engine.Mode
	filter    textinput.Model
	filtering bool
	showAll   bool // "?": every key, in columns under the list
	cursor    int  // index into visible()
	offset    int  // first body line shown
	errText   string
	budget    Budget
	who       string
	w, h      int
}

func newStreamsStep(c *Common, cat Catalog, all []StreamInfo, remembered []Choice) *streamsStep {
	s := &streamsStep{c: c, cat: cat, all: all, selected: map[string]bool{}, modes: map[string]engine.Mode{}}
	known := map[string]StreamInfo{}
	for _, si := range all {
		known[si.Name] = si
		if si.SupportsIncremental {
			s.modes[si.Name] = engine.Incremental
		} else {
			s.modes[si.Name] = engine.FullRefresh
		}
	}
	if remembered == nil {
		// First run: the core records are what most people want, but not
		// those whose first read takes more than today's budget (issue 14;
		// per-parent streams are DefaultOff whatever their count), at the
		// budget pdx last read (the connect step's is not known yet).
		var every []Choice
		for _, si := range all {
			every = append(every, Choice{Stream: si.Name, Mode: s.modes[si.Name]})
		}
		costs := cat.Estimate(every, Budget{}).Streams
		for _, si := range all {
			s.selected[si.Name] = si.Group == streams.Core && !si.DefaultOff && costs[si.Name].DayCount <= 1
		}
	}
	for _, ch := range remembered {
		si, ok := known[ch.Stream]
		if !ok {
			continue // a stream that no longer exists
		}
		s.selected[ch.Stream] = true
		if ch.Mode == engine.Incremental && si.SupportsIncremental || ch.Mode == engine.FullRefresh {
			s.modes[ch.Stream] = ch.Mode
		}
	}
	in := textinput.New()
	in.Prompt = "Filter: "
	in.Placeholder = "type part of a name or description"
	in.PlaceholderStyle = c.Styles.Placeholder
	in.Cursor.SetMode(cursor.CursorStatic) // no blink: fewer redraws
	s.filter = in
	s.SetSize(c.Width, c.Height)
	return s
}

func (s *streamsStep) Init() tea.Cmd { return nil }

func (s *streamsStep) SetSize(w, h int) {
	s.w, s.h = w, h
	s.filter.Width = max(10, w-14)
	s.keepCursorVisible()
}

func (s *streamsStep) Help() []key.Binding {
	k := s.c.Keys
	if s.filtering {
		return []key.Binding{k.Up, k.Down, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done filtering")), k.ClearFilter}
	}
	if s.showAll {
		return []key.Binding{key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "fewer keys")), k.ForceQuit}
	}
	h := []key.Binding{k.Toggle, k.Mode, k.Filter}
	if s.filter.Value() != "" {
		h = append(h, k.ClearFilter)
	}
	h = append(h, k.Next)
	if s.filter.Value() == "" {
		h = append(h, k.Back)
	}
	return append(h, k.MoreHelp, k.ForceQuit)
}

// typing: the filter takes every key.
func (s *streamsStep) typing() bool { return s.filtering }

// ownHelp: the picker shows its "?" keys under the list itself.
func (s *streamsStep) ownHelp() bool { return true }

// fullHelp is every key of the picker, in columns.
func (s *streamsStep) fullHelp() [][]key.Binding {
	k := s.c.Keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDn, k.Home, k.End},
		{k.Toggle, k.Mode, k.All, k.None},
		{k.Filter, k.ClearFilter, k.Account},
		{k.Next, k.Back, k.ForceQuit},
	}
}

// visible lists the indexes of all that match the filter, in order.
func (s *streamsStep) visible() []int {
	q := strings.ToLower(strings.TrimSpace(s.filter.Value()))
	var out []int
	for i, si := range s.all {
		if q == "" || strings.Contains(strings.ToLower(si.Name), q) || strings.Contains(strings.ToLower(si.Description), q) {
			out = append(out, i)
		}
	}
	return out
}

// Choices are the picked streams in display order.
func (s *streamsStep) Choices() []Choice {
	var out []Choice
	for _, si := range s.all {
		if s.selected[si.Name] {
			out = append(out, Choice{Stream: si.Name, Mode: s.modes[si.Name]})
		}
	}
	return out
}

func (s *streamsStep) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		if s.filtering {
			var cmd tea.Cmd
			s.filter, cmd = s.filter.Update(msg)
			return cmd
		}
		return nil
	}
	k := s.c.Keys
	vis := s.visible()
	move := func(d int) {
		s.cursor = max(0, min(s.cursor+d, len(vis)-1))
		s.keepCursorVisible()
	}
	if s.filtering {
		switch {
		case km.Type == tea.KeyUp || km.Type == tea.KeyDown:
			move(map[bool]int{true: -1, false: 1}[km.Type == tea.KeyUp])
		case key.Matches(km, k.ClearFilter):
			s.filter.SetValue("")
			s.filtering = false
			s.filter.Blur()
			s.cursor = 0
			s.keepCursorVisible()
		case key.Matches(km, k.Next):
			s.filtering = false
			s.filter.Blur()
		default:
			var cmd tea.Cmd
			s.filter, cmd = s.filter.Update(km)
			s.cursor = 0
			s.offset = 0
			return cmd
		}
		return nil
	}
	s.errText = ""
	switch {
	case key.Matches(km, k.Up):
		move(-1)
	case key.Matches(km, k.Down):
		move(1)
	case key.Matches(km, k.PageUp):
		move(-s.bodyHeight())
	case key.Matches(km, k.PageDn):
		move(s.bodyHeight())
	case key.Matches(km, k.Home):
		move(-len(vis))
	case key.Matches(km, k.End):
		move(len(vis))
	case key.Matches(km, k.Toggle):
		if len(vis) > 0 {
			n := s.all[vis[s.cursor]].Name
			s.selected[n] = !s.selected[n]
		}
	case key.Matches(km, k.Mode):
		if len(vis) > 0 {
			si := s.all[vis[s.cursor]]
			if !si.SupportsIncremental {
				s.errText = si.Name + " only supports full refresh (the API cannot list just the changes)."
			} else if s.modes[si.Name] == engine.Incremental {
				s.modes[si.Name] = engine.FullRefresh
			} else {
				s.modes[si.Name] = engine.Incremental
			}
		}
	case key.Matches(km, k.All):
		for _, i := range vis {
			s.selected[s.all[i].Name] = true
		}
	case key.Matches(km, k.None):
		for _, i := range vis {
			s.selected[s.all[i].Name] = false
		}
	case key.Matches(km, k.MoreHelp):
		s.showAll = !s.showAll
		s.keepCursorVisible()
	case key.Matches(km, k.Filter):
		s.filtering = true
		return s.filter.Focus()
	case key.Matches(km, k.ClearFilter) && s.filter.Value() != "":
		s.filter.SetValue("")
		s.cursor = 0
		s.keepCursorVisible()
	case key.Matches(km, k.Back):
		return func() tea.Msg { return backMsg{} }
	case key.Matches(km, k.Account):
		return func() tea.Msg { return reconnectMsg{} }
	case key.Matches(km, k.Next):
		ch := s.Choices()
		if len(ch) == 0 {
			s.errText = "Pick at least one stream: move to it and press space (or a for all)."
			return nil
		}
		return func() tea.Msg { return streamsDoneMsg{choices: ch} }
	}
	return nil
}

// bodyHeight is how many list lines fit.
func (s *streamsStep) bodyHeight() int {
	h := s.h - 8 // heading, cost, note, two of detail, its cost and the "lines" line
	if s.showAll {
		h -= lipgloss.Height(s.c.HelpBlock(s.fullHelp())) + 1
	}
	return max(3, h)
}

// costColumn is the width of the list's cost column (tokens, then days
// when over today's budget: "~98k 4d"), shown from minCostWidth columns.
const (
	costColumn   = 9
	minCostWidth = 70
)

// lines builds the list: group headings and one line per visible stream;
// rowLine maps a visible index to its line. costs (nil: none) fill the
// cost column.
func (s *streamsStep) lines(costs map[string]StreamCost) (lines []string, rowLine []int) {
	st := s.c.Styles
	vis := s.visible()
	last := streams.Group("")
	descW := max(0, s.w-2-(2+4+20+1+13+1))
	showCost := costs != nil && s.w >= minCostWidth
	if showCost {
		descW = max(0, descW-costColumn-1)
	}
	for vi, i := range vis {
		si := s.all[i]
		if si.Group != last {
			last = si.Group
			total, sel := 0, 0
			for _, o := range s.all {
				if o.Group == si.Group {
					total++
					if s.selected[o.Name] {
						sel++
					}
				}
			}
			lines = append(lines, st.Heading.Render(fmt.Sprintf("%s (%d of %d)", groupLabel(si.Group), sel, total)))
		}
		cur := "  "
		if vi == s.cursor {
			cur = st.Cursor.Render("> ")
		}
		box := "[ ] "
		name := fit(si.Name, 20)
		if s.selected[si.Name] {
			box = st.Selected.Render("[x] ")
			name = st.Selected.Render(name)
		}
		// The mode column says what this run will read: an incremental
		// stream new to the destination is read in full once.
		mode := st.Muted.Render(fit("full refresh", 13))
		switch {
		case si.SupportsIncremental && s.modes[si.Name] == engine.Incremental && !si.HasState:
			mode = fit("new: all", 13)
		case si.SupportsIncremental && s.modes[si.Name] == engine.Incremental:
			mode = fit("incremental", 13)
		case si.SupportsIncremental:
			mode = fit("full refresh", 13)
		}
		price := ""
		if showCost {
			price = costCell(costs[si.Name], st) + " "
		}
		rowLine = append(rowLine, len(lines))
		lines = append(lines, cur+box+name+" "+mode+" "+price+st.Muted.Render(fit(shorten(si.Description, descW), descW)))
	}
	return lines, rowLine
}

func (s *streamsStep) keepCursorVisible() {
	_, rowLine := s.lines(nil)
	if len(rowLine) == 0 {
		s.offset = 0
		return
	}
	s.cursor = max(0, min(s.cursor, len(rowLine)-1))
	l := rowLine[s.cursor]
	if s.cursor == 0 {
		l = 0 // show the first heading too
	}
	h := s.bodyHeight()
	if l < s.offset {
		s.offset = l
	}
	if l >= s.offset+h {
		s.offset = l - h + 1
	}
}

// SetBudget records the daily budget learned while connecting.
func (s *streamsStep) SetBudget(b Budget, who string) { s.budget, s.who = b, who }

func (s *streamsStep) View() string {
	st := s.c.Styles
	var b strings.Builder
	ch := s.Choices()
	head := fmt.Sprintf("Choose what to export · %d of %d streams", len(ch), len(s.all))
	b.WriteString(st.Heading.Render(head) + "\n")
	est := s.cat.Estimate(ch, s.budget)
	// Every stream's own cost, picked or not, for the list and the detail.
	every := make([]Choice, len(s.all))
	for i, si := range s.all {
		every[i] = Choice{Stream: si.Name, Mode: s.modes[si.Name]}
	}
	costs := s.cat.Estimate(every, s.budget).Streams
	tok, complete := est.Tokens, est.Complete
	cost := fmt.Sprintf("Estimated: ~%s API tokens", num(tok))
	if !complete {
		cost = fmt.Sprintf("Estimated: at least %s API tokens", num(tok))
	}
	short := strings.NewReplacer("at least ", "≥", " API tokens", " tokens").Replace(cost)
	short = strings.TrimPrefix(short, "Estimated: ")
	short = "Cost " + short
	if s.budget.Known {
		left := fmt.Sprintf("%s of %s left", num(s.budget.Remaining), num(s.budget.Limit))
		cost += " · budget today: " + left
		short += " · today " + left
	}
	// Over what a run may spend today (the budget less the reserve, at
	// most the cap; a nominal budget before one is seen): the backend
	// says how many days it takes.
	lack := est.Days != ""
	// Narrow terminals get the same figures in fewer words, not cut off.
	if ansi.StringWidth(cost) > s.w-2 {
		cost = short
	}
	if lack {
		cost = st.Warn.Render(cost)
	}
	b.WriteString(fit(cost, s.w-2) + "\n")
	switch {
	case s.filtering || s.filter.Value() != "":
		b.WriteString(s.filter.View() + "\n")
	case s.errText != "":
		b.WriteString(st.Error.Render(fit(s.errText, s.w-2)) + "\n")
	case lack:
		// Its own line, so the advice is not cut off.
		b.WriteString(st.Warn.Render(fit(overBudget(est.Days, est.DaysShort, s.w-2), s.w-2)) + "\n")
	default:
		b.WriteString("\n")
	}
	lines, _ := s.lines(costs)
	if len(lines) == 0 {
		lines = []string{st.Muted.Render("  No stream matches the filter. Press esc to clear it.")}
	}
	h := s.bodyHeight()
	off := min(s.offset, max(0, len(lines)-h))
	end := min(len(lines), off+h)
	b.WriteString(strings.Join(lines[off:end], "\n"))
	for i := end - off; i < h; i++ {
		b.WriteString("\n")
	}
	more := ""
	if off > 0 || end < len(lines) {
		more = fmt.Sprintf("lines %d-%d of %d (↑/↓ to scroll)", off+1, end, len(lines))
	}
	// Two lines, wrapped at words: enough at 60 columns too.
	det := strings.Split(wrap(s.detail(), s.w-2), "\n")
	for len(det) < 2 {
		det = append(det, "")
	}
	if len(det) > 2 {
		det[1] = shorten(strings.Join(det[1:], " "), s.w-2)
	}
	b.WriteString("\n" + det[0] + "\n" + det[1] + "\n" + s.costLine(costs))
	b.WriteString("\n" + st.Muted.Render(more))
	if s.showAll {
		b.WriteString("\n\n" + s.c.HelpBlock(s.fullHelp()))
	}
	return b.String()
}

// detail says, for the stream under the cursor, what this run will read
// and when the destination last received it (issue 15.6).
func (s *streamsStep) detail() string {
	vis := s.visible()
	if len(vis) == 0 {
		return ""
	}
	si := s.all[vis[min(s.cursor, len(vis)-1)]]
	var what string
	switch {
	case s.modes[si.Name] != engine.Incremental || !si.SupportsIncremental:
		what = "full refresh: reads all of it"
	case !si.HasState:
		what = "new here: reads all of it, then only the changes"
	case si.Cursor != "":
		what = "incremental: the changes since " + cursorText(si.Cursor)
	default:
		what = "incremental: the changes"
	}
	if st, ok := streams.Lookup(si.Name); ok && st.ScansAll() && s.modes[si.Name] == engine.Incremental && si.SupportsIncremental && si.HasState {
		// Its cost is the whole stream's all the same (the API offers no
		// sort or filter to stop early): say so where the mode is said.
		what += ", reading every page to find them"
	}
	when := "never synced here"
	if !si.Synced.IsZero() {
		when = "last synced here " + si.Synced.Format("2 Jan 2006 15:04")
	}
	return si.Name + " · " + what + " · " + when
}

// cursorText shows a time cursor as a date ("1 Mar 18:00"), anything else
// (an id) as it is.
func cursorText(c string) string {
	if t, err := time.Parse(time.RFC3339, c); err == nil {
		return t.Format("2 Jan 2006 15:04")
	}
	return c
}

// shorten cuts s to w cells at a word boundary, with an ellipsis: a
// deliberate short form, not a word cut in half.
func shorten(s string, w int) string {
	if ansi.StringWidth(s) <= w || w <= 1 {
		return s
	}
	cut := ansi.Truncate(s, w-1, "")
	if i := strings.LastIndexAny(cut, " ,"); i > 0 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;·") + "…"
}

// overBudget is the advice when the selection does not fit today: how long
// it takes (days, or its short form when the line is narrow), and that
// runs go on a day at a time.
func overBudget(days, short string, w int) string {
	for _, d := range []string{days, short} {
		for _, l := range []string{"Over today's budget: " + d + ", a run a day.", "Over today's budget: " + d + "."} {
			if ansi.StringWidth(l) <= w {
				return l
			}
		}
	}
	return "Over today's budget: " + short
}

// costLine is the cost of the stream under the cursor, picked or not: its
// tokens, why it reads every page even incrementally, and how many days
// its backfill takes when it does not fit today (issue 14).
func (s *streamsStep) costLine(costs map[string]StreamCost) string {
	vis := s.visible()
	if len(vis) == 0 {
		return ""
	}
	si := s.all[vis[min(s.cursor, len(vis)-1)]]
	sc, ok := costs[si.Name]
	if !ok {
		return ""
	}
	tok := "≈ " + num(sc.Tokens) + " tokens"
	if !sc.Complete {
		tok = "≥ " + num(sc.Tokens) + " tokens"
	}
	st := s.c.Styles
	w := s.w - 2
	for _, days := range []string{sc.Days, sc.DaysShort} {
		parts := []string{tok}
		if days != "" {
			parts = append(parts, days)
		}
		if sc.Scan != "" {
			parts = append(parts, sc.Scan)
		}
		if l := strings.Join(parts, " · "); ansi.StringWidth(l) <= w || days == sc.DaysShort {
			l = shorten(l, w)
			if days != "" {
				return st.Warn.Render(l)
			}
			return st.Muted.Render(l)
		}
	}
	return ""
}

// costCell is a stream's cost in the list's column: "~98k" ("≥" when a
// floor), and the days of its backfill when over today's budget ("4d").
func costCell(sc StreamCost, st Styles) string {
	tok := "~" + compact(sc.Tokens)
	if !sc.Complete {
		tok = "≥" + compact(sc.Tokens)
	}
	days := ""
	switch {
	case sc.DayCount > 99:
		days = ">99d"
	case sc.DayCount > 1:
		days = fmt.Sprintf("%dd", sc.DayCount)
	case sc.Days != "":
		days = "!" // no run may spend anything: the reserve is the whole budget
	}
	cell := fmt.Sprintf("%5s %-3s", tok, days)
	if len(days) > 3 {
		cell = fmt.Sprintf("%4s %s", tok, days)
	}
	if days != "" {
		return st.Warn.Render(fit(cell, costColumn))
	}
	return st.Muted.Render(fit(cell, costColumn))
}

// compact writes a token count in at most four cells: 980, 9.8k, 98k, 2.0M.
func compact(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprint(n)
	case n < 10000:
		return fmt.Sprintf("%.1fk", float64(n)/1000)
	case n < 1000000:
		return fmt.Sprintf("%dk", n/1000)
	case n < 10000000:
		return fmt.Sprintf("%.1fM", float64(n)/1000000)
	}
	return fmt.Sprintf("%dM", n/1000000)
}
