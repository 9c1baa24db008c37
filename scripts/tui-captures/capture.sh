#!/bin/sh
# capture.sh: fresh captures of every screen of the real binary in tmux, at
# 80x24 and 60x20, with NO_COLOR=1, driving `pdx --demo` in a private HOME
# (nothing of the user's is read or written). Prints Markdown on stdout;
# docs/tui.md's "Captures" section is its output:
#
#   scripts/tui-captures/capture.sh > /tmp/captures.md
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/pdxcap.XXXX)
trap 'for s in "$tmp"/sock-*; do tmux -S "$s" kill-server 2>/dev/null || :; done; rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/pdx" ./cmd/pdx)

sock=""
screen() { tmux -S "$sock" capture-pane -p -t cap | sed -e 's/[[:space:]]*$//'; }
# wait_for TEXT: poll the pane (40 ms) until it shows TEXT, up to 60 s.
wait_for() {
	i=0
	until screen | grep -qF -- "$1"; do
		i=$((i + 1))
		if [ "$i" -gt 1500 ]; then
			echo "capture.sh: timed out waiting for: $1" >&2
			screen >&2
			exit 1
		fi
		sleep 0.04
	done
}
keys() { tmux -S "$sock" send-keys -t cap "$@"; }
cap() {
	printf '### %s (%s)\n\n```text\n' "$1" "$size"
	screen | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
	printf '```\n\n'
}

for size in 80x24 60x20; do
	w=${size%x*} h=${size#*x}
	home="$tmp/home"; rm -rf "$home"
	mkdir -p "$home"
	sock="$tmp/sock-$size"
	env="HOME=$home XDG_CONFIG_HOME=$home/.config XDG_STATE_HOME=$home/.local/state XDG_DATA_HOME=$home/.local/share XDG_CACHE_HOME=$home/.cache TERM=xterm-256color NO_COLOR=1"
	run="cd $tmp && env -u PIPEDRIVE_API_TOKEN $env $tmp/pdx --demo; echo PDX-EXIT=\$?; sleep 600"
	tmux -S "$sock" -f /dev/null new-session -d -s cap -x "$w" -y "$h" "$run"

	wait_for "How do you want to sign in?"
	cap "Connect"
	keys "?"; wait_for "All keys on this screen"; cap "Connect: all keys (?)"; keys "?"
	keys Enter; wait_for "Token:"; cap "Connect: the token"
	keys Enter; wait_for "The token works"; cap "Connect: connected"
	keys Enter; wait_for "Choose what to export"; cap "Streams (first demo run)"
	keys "?"; wait_for "g/home"; cap "Streams: all keys (?)"; keys "?"
	keys Enter; wait_for "Where should the data go?"; cap "Output"
	keys Enter Enter
	wait_for "Writing"; cap "Run"
	wait_for "Run the same sync without the UI"; cap "Summary"
	keys q; wait_for "PDX-EXIT="
	tmux -S "$sock" kill-server 2>/dev/null || true

	# The second demo run: the same company a few hours on, the choices
	# remembered, the state kept: an incremental run (its own tmux server).
	sock="$tmp/sock-$size-again"
	tmux -S "$sock" -f /dev/null new-session -d -s cap -x "$w" -y "$h" "$run"
	wait_for "How do you want to sign in?"; keys Enter; wait_for "Token:"; keys Enter
	wait_for "The token works"; keys Enter
	wait_for "Choose what to export"; cap "Streams (second demo run: incremental, last synced)"
	keys Enter; wait_for "Where should the data go?"; keys Enter Enter
	wait_for "Writing"; keys q; wait_for "Stop the sync?"; cap "Run: stop? (q)"
	keys n
	wait_for "Run the same sync without the UI"; cap "Summary (second demo run)"
	keys q; wait_for "PDX-EXIT="
	tmux -S "$sock" kill-server 2>/dev/null || true
done
exit 0
