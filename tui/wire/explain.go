package wire

import "github.com/pdxhq/pdx/app"

// Explain implements tui.Backend with app.Explain: one or two plain
// sentences saying what happened and what to do.
func (b *Backend) Explain(err error) string { return app.Explain(err) }
