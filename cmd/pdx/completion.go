package main

import (
	"fmt"

	"github.com/spf13/cobra"
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
			Long: `Print the shell completion script for pdx to stdout.

Homebrew installs these for you. Otherwise, for example:
  bash:       pdx completion bash > ~/.local/share/bash-completion/completions/pdx
  zsh:        pdx completion zsh > "${fpath[1]}/_pdx"
  fish:       pdx completion fish > ~/.config/fish/completions/pdx.fish
  powershell: pdx completion powershell | Out-String | Invoke-Expression`,
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
