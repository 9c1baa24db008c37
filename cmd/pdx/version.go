package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at link time by GoReleaser (.goreleaser.yaml):
//
//	-X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.CommitDate}}
//
// date is the commit's time, not the build's: a release build is
// reproducible (its files carry the commit's mtime too), and a checkout
// build's only record is vcs.time, the commit time, so both say the same
// thing and the version line calls it "committed". The defaults mark a plain
// `go build`; buildInfo fills them from the Go toolchain's own record when
// it can (a `go install ...@vX.Y.Z` build).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

// buildVersion is what `pdx version` and `pdx --version` report.
type buildVersion struct {
	Version, Commit, Date string
}

func (v buildVersion) String() string {
	return fmt.Sprintf("%s (commit %s, committed %s, %s %s/%s)", v.Version, v.Commit, v.Date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// currentVersion resolves the linker values against the binary's build info.
func currentVersion() buildVersion {
	bi, _ := debug.ReadBuildInfo()
	return resolveVersion(version, commit, date, bi)
}

// resolveVersion keeps every value injected with -X and fills only the
// defaults from bi: the module version for `go install module@version`, the
// VCS revision and time when the binary was built from a checkout. bi may be
// nil (a binary built without module support).
func resolveVersion(v, c, d string, bi *debug.BuildInfo) buildVersion {
	out := buildVersion{Version: v, Commit: c, Date: d}
	if bi == nil {
		return out
	}
	if out.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		out.Version = bi.Main.Version
	}
	var revision, when string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if out.Commit == "none" && revision != "" {
		out.Commit = revision
		if dirty {
			out.Commit += "-dirty"
		}
	}
	if out.Date == "unknown" && when != "" {
		out.Date = when
	}
	return out
}

// configureVersion gives root the --version flag (cobra adds it when Version
// is set) with the same text as `pdx version`. main.go's newRootCmd calls it.
func configureVersion(root *cobra.Command) {
	root.Version = currentVersion().String()
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
}

func init() {
	addCommand(func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print pdx's version, commit and commit time",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "pdx %s\n", currentVersion())
				return err
			},
		}
	})
}
