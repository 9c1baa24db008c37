package main

import "github.com/spf13/cobra"

// examples are the Example sections of the help pages, by command path, in
// one place so every command has one (examples_test.go parses each pdx line
// with the real flag set). Lines are indented as cobra prints them.
var examples = map[string]string{
	"pdx": `  # try pdx without a Pipedrive account
  pdx --demo

  # the interactive UI with a saved profile
  pdx --profile work`,

	"pdx sync": `  # the default profile's saved choices, plain progress lines (cron, CI)
  pdx sync --no-tui

  # two streams, read in full, as CSV
  pdx sync --streams deals,persons --mode full --format csv --out ./export

  # Airbyte messages on stdout, progress on stderr
  pdx sync --no-tui --format airbyte --out - > messages.jsonl

  # the built-in simulated company, no account needed
  pdx sync --demo --no-tui`,

	"pdx plan": `  # what the default profile's sync would read and its estimated tokens
  pdx plan

  # a per-record backfill within a cap
  pdx plan --streams deals,deal_changelog --max-tokens 20000`,

	"pdx sandbox": `  # a simulated Pipedrive on a fixed port, as a growth plan
  pdx sandbox --addr 127.0.0.1:8080 --plan growth

  # a small company whose daily budget runs out quickly
  pdx sandbox --scale 50 --daily-budget 200`,

	"pdx spec": `  pdx spec`,

	"pdx check": `  pdx check --config config.json`,

	"pdx discover": `  pdx discover --config config.json > catalog.json`,

	"pdx read": `  # a first sync
  pdx read --config config.json --catalog configured_catalog.json

  # an incremental sync from the STATE messages of the last one
  pdx read --config config.json --catalog configured_catalog.json --state state.json`,

	"pdx auth": `  pdx auth login
  pdx auth status --profile work`,

	"pdx auth login": `  # asks for the API token without echoing it
  pdx auth login

  # a second profile, the token from a file
  pdx auth login --profile work --with-token < token.txt

  # a piped token is read the same way (stdin is not a terminal)
  printf '%s\n' "$TOKEN" | pdx auth login --profile ci

  # your own Pipedrive app (OAuth) in a browser
  pdx auth login --oauth --client-id 1a2b3c4d5e6f`,

	"pdx auth status": `  pdx auth status
  pdx auth status --profile work`,

	"pdx auth logout": `  pdx auth logout --profile work`,

	"pdx state": `  pdx state show --stream deals
  pdx state reset --stream deals`,

	"pdx state show": `  # per stream: full or incremental next time, from which cursor, the last run
  pdx state show

  # the raw state, as "pdx read --state" takes it
  pdx state show --json > state.json

  # one stream of one profile
  pdx state show --profile work --stream deals`,

	"pdx state reset": `  # the next sync reads deals and notes in full
  pdx state reset --stream deals --stream notes

  # every stream of the default profile
  pdx state reset`,

	"pdx version": `  pdx version`,

	"pdx completion": `  pdx completion bash > ~/.local/share/bash-completion/completions/pdx
  pdx completion zsh > "${fpath[1]}/_pdx"
  pdx completion fish > ~/.config/fish/completions/pdx.fish
  pdx completion powershell | Out-String | Invoke-Expression

  # without the descriptions next to each value
  pdx completion zsh --no-descriptions > "${fpath[1]}/_pdx"`,
}

// addExamples sets each command's Example from examples.
func addExamples(c *cobra.Command) {
	if ex, ok := examples[c.CommandPath()]; ok {
		c.Example = ex
	}
	for _, sub := range c.Commands() {
		addExamples(sub)
	}
}
