package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// needsLogin and temporary stand in for source/oauth's errors, which take
// part in Classify through these methods.
type needsLogin struct{}

func (needsLogin) Error() string    { return "oauth: refresh token rejected" }
func (needsLogin) NeedsLogin() bool { return true }

type temporary struct{ temp bool }

func (temporary) Error() string     { return "oauth: token endpoint unavailable" }
func (t temporary) Temporary() bool { return t.temp }

// TestClassify: every kind of failure has its class, whatever wraps it,
// and the class decides config (the user must fix it) or transient.
func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      Class
		config    bool
		transient bool
	}{
		{"nil", nil, ClassUnknown, false, false},
		{"401", fmt.Errorf("read deals: %w", &APIError{Status: 401}), ClassAuth, true, false},
		{"402", &APIError{Status: 402}, ClassAccount, true, false},
		{"403", &APIError{Status: 403}, ClassPermission, true, false},
		{"404", &APIError{Status: 404}, ClassNotFound, true, false},
		{"410", &APIError{Status: 410}, ClassRetired, true, false},
		{"400", &APIError{Status: 400}, ClassUnknown, false, false},
		{"429", &APIError{Status: 429}, ClassBusy, false, true},
		{"502", &APIError{Status: 502}, ClassBusy, false, true},
		{"budget", fmt.Errorf("x: %w", &BudgetError{Limit: 10}), ClassBudget, false, true},
		{"transport", &TransportError{Op: "GET /v1/deals", Err: errors.New("connection reset")}, ClassNetwork, false, true},
		{"transport deadline", &TransportError{Op: "GET", Err: context.DeadlineExceeded}, ClassNetwork, false, true},
		{"oauth needs login", fmt.Errorf("authorize request: %w", needsLogin{}), ClassAuth, true, false},
		{"oauth temporary", temporary{temp: true}, ClassNetwork, false, true},
		{"oauth not temporary", temporary{temp: false}, ClassUnknown, false, false},
		{"deadline", fmt.Errorf("check: %w", context.DeadlineExceeded), ClassTimeout, false, true},
		{"canceled", context.Canceled, ClassCanceled, false, true},
		{"plain", errors.New("boom"), ClassUnknown, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.err)
			if got != tt.want || IsConfig(tt.err) != tt.config || IsTransient(tt.err) != tt.transient {
				t.Errorf("Classify = %v (config %v, transient %v), want %v (%v, %v)", got, IsConfig(tt.err), IsTransient(tt.err), tt.want, tt.config, tt.transient)
			}
			if (got == ClassAuth) != IsAuth(tt.err) {
				t.Errorf("IsAuth = %v for class %v", IsAuth(tt.err), got)
			}
		})
	}
}

// The advice for a status the user must fix is in the error's own text
// (what the CLI, logs and Airbyte show), written once in Class.Advice.
func TestAPIErrorCarriesAdvice(t *testing.T) {
	for _, status := range []int{401, 402, 403, 404, 410, 400, 500} {
		e := &APIError{Status: status, Op: "GET /v1/users/me"}
		c := Classify(e)
		has := c.Advice() != "" && strings.Contains(e.Error(), c.Advice())
		if has != c.UserMustFix() {
			t.Errorf("%d: %q carries advice %v, want %v", status, e.Error(), has, c.UserMustFix())
		}
	}
	if ClassUnknown.String() != "unknown" || ClassCanceled.String() != "canceled" || Class(99).String() != "Class(99)" {
		t.Error("class names")
	}
}
