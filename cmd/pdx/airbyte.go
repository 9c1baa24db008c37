package main

// The Airbyte source commands: spec, check, discover, read. They only parse
// flags and hand over to app (which reads the files) and source/airbyte
// (which writes protocol messages to stdout and nothing else).

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pdxhq/pdx/app"
	"github.com/pdxhq/pdx/source/airbyte"
)

func airbyteEnv(cmd *cobra.Command) airbyte.Env {
	return airbyte.Env{Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr()}
}

// exitFrom turns a connector exit code into the command's result; the
// connector has already said why on stdout.
func exitFrom(code int) error {
	if code == airbyte.ExitOK {
		return nil
	}
	return withExit(code, nil)
}

// commandContext stops the command on SIGTERM (the platform's way of
// cancelling) and Ctrl-C; the engine then ends every stream after its last
// STATE.
func commandContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

func init() {
	addCommand(func(g *globals) *cobra.Command {
		return &cobra.Command{
			Use:   "spec",
			Short: "Airbyte: print the connector specification",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return exitFrom(airbyte.RunSpec(airbyteEnv(cmd)))
			},
		}
	})
	addCommand(func(g *globals) *cobra.Command {
		var config string
		cmd := &cobra.Command{
			Use:   "check --config FILE",
			Short: "Airbyte: test the connection described by a config file",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx, stop := commandContext(cmd)
				defer stop()
				return exitFrom(app.Check(ctx, airbyteEnv(cmd), config))
			},
		}
		cmd.Flags().StringVar(&config, "config", "", "connector config JSON file")
		_ = cmd.MarkFlagRequired("config")
		return cmd
	})
	addCommand(func(g *globals) *cobra.Command {
		var config string
		cmd := &cobra.Command{
			Use:   "discover --config FILE",
			Short: "Airbyte: print the catalog of streams with their schemas",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx, stop := commandContext(cmd)
				defer stop()
				return exitFrom(app.Discover(ctx, airbyteEnv(cmd), config))
			},
		}
		cmd.Flags().StringVar(&config, "config", "", "connector config JSON file")
		_ = cmd.MarkFlagRequired("config")
		return cmd
	})
	addCommand(func(g *globals) *cobra.Command {
		var in app.ReadFiles
		cmd := &cobra.Command{
			Use:   "read --config FILE --catalog FILE [--state FILE]",
			Short: "Airbyte: read the configured streams as protocol messages",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx, stop := commandContext(cmd)
				defer stop()
				return exitFrom(app.Read(ctx, airbyteEnv(cmd), in))
			},
		}
		cmd.Flags().StringVar(&in.Config, "config", "", "connector config JSON file")
		cmd.Flags().StringVar(&in.Catalog, "catalog", "", "configured catalog JSON file")
		cmd.Flags().StringVar(&in.State, "state", "", "state JSON file (a JSON array of STATE messages); absent on a first sync")
		_ = cmd.MarkFlagRequired("config")
		_ = cmd.MarkFlagRequired("catalog")
		return cmd
	})
}
