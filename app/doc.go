// Package app holds pdx's use cases, once each, between the commands and
// screens (cmd/pdx, tui) and what they use (source/..., store/...). cmd/pdx
// is flags -> app -> exit code; the UI's Backend (tui/wire) calls app too.
//
//   - PlanSync resolves a profile into a Plan (streams and modes, format
//     from store/output's registry, output directory, start date); Run runs
//     one, for `pdx sync` and the UI. ProfileRun gathers a saved profile's
//     secret and state for it; Demo.RunOptions does the same for the demo.
//   - Check, Discover and Read are the Airbyte connector commands: they read
//     the config, catalog and state files (at most MaxInputSize each) and
//     hand the bytes to source/airbyte, which knows the protocol and reads
//     no files. Read runs its plan through the same Plan.execute as Run.
//   - ShowState, ResetState: `pdx state show|reset`.
//   - NewClient: the API client of a profile and its secret.
//   - StartDemo: the built-in simulator with a profile pointing at it.
//   - Fields: custom-field discovery, once per entity, for the CSV columns
//     and the Airbyte catalog.
package app
