package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pdxhq/pdx/source/client"
)

// knows is an error that states its own failure type (like airbyte's
// FailureClassifier errors).
type knows struct{}

func (knows) Error() string            { return "bad catalog" }
func (knows) FailureType() FailureType { return ConfigError }

// TestFailureOf: the Airbyte failure type of every kind of error, from
// the one classifier (client.Classify) plus what only the engine knows.
func TestFailureOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want FailureType
	}{
		{"401", &client.APIError{Status: 401}, ConfigError},
		{"403", fmt.Errorf("read: %w", &client.APIError{Status: 403}), ConfigError},
		{"500", &client.APIError{Status: 500}, TransientError},
		{"budget", &client.BudgetError{}, TransientError},
		{"network", &client.TransportError{Op: "GET", Err: errors.New("reset")}, TransientError},
		{"canceled", context.Canceled, TransientError},
		{"deadline", context.DeadlineExceeded, TransientError},
		{"sink wins over what it wraps", &sinkError{err: &client.APIError{Status: 401}}, SystemError},
		{"input", inputErr("unknown stream %q", "x"), ConfigError},
		{"says itself", fmt.Errorf("read: %w", knows{}), ConfigError},
		{"bug", errors.New("unexpected shape"), SystemError},
	}
	for _, tt := range tests {
		if got := FailureOf(tt.err); got != tt.want {
			t.Errorf("%s: FailureOf = %s, want %s", tt.name, got, tt.want)
		}
	}
}
