package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/source/engine"
	"github.com/pdxhq/pdx/source/streams"
	"github.com/pdxhq/pdx/store/output"
	"github.com/pdxhq/pdx/store/profile"
)

// completion replaces cobra's default `completion` command (cobra only adds
// its own when none exists), because that one prints help and exits 0 for an
// unknown shell. The scripts themselves are cobra's; scripts/completions
// writes them into the release archives and the Homebrew cask.
func init() {
	addCommand(func(g *globals) *cobra.Command {
		var noDesc bool
		cmd := &cobra.Command{
			Use:   "completion bash|zsh|fish|powershell",
			Short: "Print the shell completion script for pdx",
			Long: `Print the shell completion script for pdx to stdout: commands, flags and their
values (stream names, formats, modes, your profiles). Homebrew installs these for
you; otherwise put the script where your shell looks for completions (examples below).`,
			ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
			Args:                  cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
			DisableFlagsInUseLine: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				root, out := cmd.Root(), cmd.OutOrStdout()
				var err error
				switch args[0] {
				case "bash":
					err = root.GenBashCompletionV2(out, !noDesc)
				case "zsh":
					if noDesc {
						err = root.GenZshCompletionNoDesc(out)
					} else {
						err = root.GenZshCompletion(out)
					}
				case "fish":
					err = root.GenFishCompletion(out, !noDesc)
				case "powershell":
					if noDesc {
						err = root.GenPowerShellCompletion(out)
					} else {
						err = root.GenPowerShellCompletionWithDesc(out)
					}
				}
				if err != nil {
					return fmt.Errorf("write %s completion: %w", args[0], err)
				}
				return nil
			},
		}
		cmd.Flags().BoolVar(&noDesc, "no-descriptions", false, "leave command descriptions out of the completions")
		return cmd
	})
}

// flagCompletions complete flag values from the registries that define
// them, by flag name, on whichever command has the flag.
var flagCompletions = map[string]cobra.CompletionFunc{
	"streams": streamListCompletion,
	"stream":  streamListCompletion,
	"format":  formatCompletion,
	"mode":    modeCompletion,
	"profile": profileCompletion,
	"plan":    planCompletion,
}

// registerCompletions attaches flagCompletions to every command of the tree
// that has one of those flags (an inherited persistent flag is registered
// once, on the command that defines it).
func registerCompletions(c *cobra.Command) {
	for name, f := range flagCompletions {
		if c.Flag(name) == nil {
			continue
		}
		if _, ok := c.GetFlagCompletionFunc(name); ok {
			continue
		}
		_ = c.RegisterFlagCompletionFunc(name, f)
	}
	for _, sub := range c.Commands() {
		registerCompletions(sub)
	}
}

// streamListCompletion completes a comma-separated list of stream names
// (--streams a,b and the repeatable --stream): it completes the name after
// the last comma and leaves out names already given, in the list or in
// earlier uses of the flag. No space follows, so another ",name" can.
func streamListCompletion(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	head, cur := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		head, cur = toComplete[:i+1], toComplete[i+1:]
	}
	given := map[string]bool{}
	for _, n := range strings.Split(head, ",") {
		given[strings.TrimSpace(n)] = true
	}
	for _, name := range []string{"streams", "stream"} {
		if vs, err := cmd.Flags().GetStringSlice(name); err == nil {
			for _, n := range vs {
				given[n] = true
			}
		}
	}
	var out []string
	for _, s := range streams.All() {
		if given[s.Name] || !strings.HasPrefix(s.Name, cur) {
			continue
		}
		out = append(out, head+s.Name+"\t"+s.Description)
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// formatCompletion offers the registered formats, each with its label.
func formatCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, f := range output.Formats() {
		out = append(out, f.Name+"\t"+f.Label+": "+f.Description)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// syncModes are the spellings `--mode` is documented with; profile.ParseMode
// maps them onto the engine's modes.
var syncModes = []struct{ name, desc string }{
	{string(engine.Incremental), "only records changed since the saved cursor"},
	{profile.ModeFull, "every record, files started over (" + string(engine.FullRefresh) + ")"},
}

func modeCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, m := range syncModes {
		out = append(out, m.name+"\t"+m.desc)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// profileCompletion offers the saved profiles (none when the config cannot
// be read: completion must not print errors into the shell).
func profileCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	ps, err := profile.Open()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cfg, err := ps.Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cfg.Names(), cobra.ShellCompDirectiveNoFileComp
}

func planCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return planNames(), cobra.ShellCompDirectiveNoFileComp
}
