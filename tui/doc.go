// Package tui is pdx's interactive terminal UI (Bubble Tea): Connect ->
// Streams -> Output -> Run -> Summary.
//
// The package knows nothing about where credentials, settings or state live:
// everything outside the screen goes through a Backend (tui/wire builds the
// real one over store/ and source/; tests use a fake). The run step observes
// the engine as an engine.Sink (Tracker) whose Emit only updates counters
// under a mutex; the UI pulls snapshots on a ~10/s tick, so the engine is
// never blocked by drawing.
//
// Layout follows soft-serve/gh-dash: styles in styles.go, the key map in
// keys.go (it also drives the help line), each step a component with
// Update/View/SetSize sharing one *Common (size, styles, keys, clock) that
// the root model refreshes on tea.WindowSizeMsg.
package tui
