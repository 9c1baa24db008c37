package main

import (
	"fmt"
	"io"
	"net"
	"os/signal"
	"slices"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

func init() {
	addCommand(func(g *globals) *cobra.Command {
		var (
			addr  string
			seed  int64
			scale int
			plan  string
			burst int
			daily int64
		)
		cmd := &cobra.Command{
			Use:   "sandbox",
			Short: "Run the simulated Pipedrive on loopback (no account needed)",
			Long: "sandbox starts the simulated Pipedrive that pdx's tests and demos use, prints its URL,\n" +
				"a ready API token and OAuth client credentials, and serves until interrupted.",
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				opts, err := sandboxOptions(addr, seed, scale, plan)
				if err != nil {
					return usageErr(err)
				}
				if burst < 0 || daily < 0 {
					return usageErr(fmt.Errorf("--burst and --daily-budget take a number >= 0 (0 = the plan's)"))
				}
				opts.BurstLimit, opts.DailyBudget = burst, daily
				srv, err := pipedrivetest.Start(opts)
				if err != nil {
					return withExit(exitFailure, fmt.Errorf("start sandbox: %w", err))
				}
				defer srv.Close()
				// Catch signals before telling the user (or a test) we are ready.
				ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
				defer stop()
				printSandbox(cmd.OutOrStdout(), srv, opts)
				<-ctx.Done()
				fmt.Fprintln(cmd.ErrOrStderr(), "sandbox: stopped")
				return nil
			},
		}
		f := cmd.Flags()
		f.StringVar(&addr, "addr", "127.0.0.1:0", "listen address (host:port; port 0 picks a free one)")
		f.Int64Var(&seed, "seed", 1, "data seed: the same seed gives the same company")
		f.IntVar(&scale, "scale", 1000, "number of deals (other records scale from it)")
		f.StringVar(&plan, "plan", "lite", "Pipedrive plan: "+orList(planNames())+" (sizes rate limits and budget)")
		// For benchmarks that measure pdx rather than Pipedrive's limits, and
		// for trying what pdx does when the budget runs out.
		f.IntVar(&burst, "burst", 0, "requests allowed per 2-second window (0 = the plan's)")
		f.Int64Var(&daily, "daily-budget", 0, "daily API token budget (0 = the plan's)")
		return cmd
	})
}

// sandboxPlans are the plans the simulator sizes its limits for: --plan
// takes them and completes them.
var sandboxPlans = []pipedrivetest.Plan{pipedrivetest.PlanLite, pipedrivetest.PlanGrowth, pipedrivetest.PlanPremium, pipedrivetest.PlanUltimate}

func planNames() []string {
	out := make([]string, len(sandboxPlans))
	for i, p := range sandboxPlans {
		out[i] = string(p)
	}
	return out
}

// sandboxOptions validates the flags.
func sandboxOptions(addr string, seed int64, scale int, plan string) (pipedrivetest.Options, error) {
	if !slices.Contains(sandboxPlans, pipedrivetest.Plan(plan)) {
		return pipedrivetest.Options{}, fmt.Errorf("--plan %q: want %s", plan, orList(planNames()))
	}
	if scale < 1 {
		return pipedrivetest.Options{}, fmt.Errorf("--scale %d: want a number of deals >= 1", scale)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return pipedrivetest.Options{}, fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	return pipedrivetest.Options{Addr: addr, Seed: seed, Scale: scale, Plan: pipedrivetest.Plan(plan)}, nil
}

func printSandbox(w io.Writer, srv *pipedrivetest.Server, opts pipedrivetest.Options) {
	id, secret := srv.OAuthClient()
	limit, _ := srv.Budget()
	// The sandbox's credentials are fake and local: printing them is the point.
	fmt.Fprintf(w, `Simulated Pipedrive running at %[1]s  (seed %[2]d, %[3]d deals, plan %[4]s, daily budget %[5]d tokens)

API token:            %[6]s
OAuth client id:      %[7]s
OAuth client secret:  %[8]s
OAuth endpoints:      %[1]s/oauth/authorize  %[1]s/oauth/token

Try:
  curl -s -H 'x-api-token: %[6]s' '%[1]s/api/v2/deals?limit=2'
  curl -s -H 'x-api-token: %[6]s' '%[1]s/v1/users/me'

  # pdx against this sandbox, as a profile named "sandbox":
  echo %[6]s | pdx auth login --profile sandbox --with-token --api-base-url %[1]s
  pdx sync --profile sandbox --no-tui --out ./sandbox-data

  # the Airbyte source:
  echo '{"credentials":{"auth_type":"api_token","api_token":"%[6]s"},"api_base_url":"%[1]s"}' > config.json
  pdx check --config config.json

  # or without this sandbox: pdx sync --demo (starts its own)

Press Ctrl-C to stop.
`, srv.URL(), opts.Seed, opts.Scale, opts.Plan, limit, srv.Token(), id, secret)
}
