// Package app holds pdx's use cases, once each, between the commands and
// screens (cmd/pdx, tui) and what they use (source/..., store/...):
//
//   - Run: one planned sync of a profile (Plan resolves the streams, modes,
//     format and output; Run builds the API client, opens the format's
//     writer, runs the engine and saves each stream's state right after the
//     writer made its records durable). `pdx sync` and the UI call it.
//   - Read, Check, Discover: the Airbyte connector commands. They read the
//     config, catalog and state files (bounded in size) and hand the bytes
//     to source/airbyte, which knows the protocol and reads no files.
//   - NewClient: the API client of a profile and its secret.
//   - StartDemo: the built-in simulator with a profile pointing at it.
//   - Fields: custom-field discovery (CSV columns, the Airbyte catalog).
//
// cmd/pdx is flags -> app -> exit code; the UI's Backend calls app too.
package app
