package engine

import "testing"

// SetChildInFlight sets how many batch requests of a child stream's parent
// page are in flight at once until the test ends (1: one at a time, as
// before). Tests using it must not run in parallel.
func SetChildInFlight(t testing.TB, k int) {
	t.Helper()
	prev := childInFlight
	childInFlight = k
	t.Cleanup(func() { childInFlight = prev })
}
