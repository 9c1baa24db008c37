package main

import "github.com/spf13/cobra"

// parentCommand is a command that only groups its subcommands (`pdx auth`,
// `pdx state`): no arguments of its own, so a mistyped subcommand is an
// error rather than a silent no-op.
func parentCommand(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs}
	c.AddCommand(subs...)
	return c
}
