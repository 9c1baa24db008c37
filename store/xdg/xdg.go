// Package xdg finds pdx's per-user directories (config, state): an override
// variable first, then the platform's places in order; and opens a store
// rooted at the one found.
package xdg

import (
	"errors"
	"fmt"
	"os"
)

// Place is one candidate directory; "" (with a nil error) means "not here".
type Place func() (string, error)

// Dir returns $env when set, else the first place that answers. what names
// the directory in the error (e.g. "a state directory").
func Dir(env, what string, places ...Place) (string, error) {
	if d := os.Getenv(env); d != "" {
		return d, nil
	}
	err := errors.New("no candidate")
	for _, p := range places {
		d, perr := p()
		if perr == nil && d != "" {
			return d, nil
		}
		if perr != nil {
			err = perr
		}
	}
	return "", fmt.Errorf("find %s (set %s to choose one): %w", what, env, err)
}

// Open roots a store (open) at the directory dir finds.
func Open[S any](dir func() (string, error), open func(string) S) (S, error) {
	d, err := dir()
	if err != nil {
		var zero S
		return zero, err
	}
	return open(d), nil
}
