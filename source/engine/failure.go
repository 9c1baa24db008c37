package engine

import (
	"errors"

	"github.com/pdxhq/pdx/source/client"
)

// FailureOf classifies err the way the Airbyte protocol does. A failed
// stream (the engine) and a failed command (the Airbyte connector) both
// use it; what can be done about an error is client.Classify's to say.
func FailureOf(err error) FailureType {
	var se *sinkError
	var fc interface{ FailureType() FailureType }
	switch {
	case errors.As(err, &se):
		return SystemError // the writer failed, not Pipedrive
	case errors.As(err, &fc):
		return fc.FailureType() // the caller's input (inputError), or an error that knows
	}
	switch c := client.Classify(err); {
	case c.UserMustFix():
		return ConfigError
	case c.Transient():
		return TransientError
	}
	return SystemError
}
