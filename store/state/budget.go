package state

// What pdx has seen of the company's daily API budget, per profile (one
// company, whatever the destination): the last meter reading, and when the
// budget was seen to come back, so the next reset can be told as a time
// rather than an estimate.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pdxhq/pdx/store/atomicfile"
)

// BudgetMemo is budget.json.
type BudgetMemo struct {
	Limit     int64     `json:"limit,omitempty"`
	Remaining int64     `json:"remaining"`
	At        time.Time `json:"at,omitzero"` // when Remaining was read
	// ResetSeen is when pdx saw the budget come back (zero: never); its
	// time of day is when the budget resets.
	ResetSeen time.Time `json:"reset_seen,omitzero"`
}

func (p *Profile) budgetPath() string { return filepath.Join(p.LockDir(), "budget.json") }

// BudgetMemo reads budget.json; a missing or unreadable one is no memory
// (it only makes a reset time an estimate).
func (p *Profile) BudgetMemo() BudgetMemo {
	var m BudgetMemo
	if p.ephemeral {
		return m
	}
	data, err := os.ReadFile(p.budgetPath())
	if err != nil || json.Unmarshal(data, &m) != nil {
		return BudgetMemo{}
	}
	return m
}

// SaveBudgetMemo replaces budget.json (not for an ephemeral state).
func (p *Profile) SaveBudgetMemo(m BudgetMemo) error {
	if p.ephemeral {
		return nil
	}
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := atomicfile.WriteFile(p.budgetPath(), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save budget memo: %w", err)
	}
	return nil
}
