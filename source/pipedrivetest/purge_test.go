package pipedrivetest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// listedIDs are the ids entity's list shows.
func listedIDs(t *testing.T, s *pipedrivetest.Server, entity string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range s.Records(entity) {
		var v struct {
			ID any `json:"id"`
		}
		if err := json.Unmarshal(r, &v); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprint(v.ID)] = true
	}
	return out
}

func TestPurge(t *testing.T) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Scale: 60, Plan: pipedrivetest.PlanUltimate})
	defer s.Close()
	for _, tc := range []struct {
		entity, list string
		deleteFirst  bool
	}{
		{"deals", "deals_archived", false}, // a purged deal is gone from status=...,deleted too
		{"deals", "deals", true},
		{"persons", "persons", false},
		{"organizations", "organizations", false},
		{"activities", "activities", false},
		{"products", "products", false},
		{"files", "files", false},
		{"notes", "notes", false},
		{"leads", "leads", false},
	} {
		t.Run(tc.entity, func(t *testing.T) {
			id := s.Insert(tc.entity)
			if tc.list == "deals_archived" {
				if err := s.Archive("deals", id); err != nil {
					t.Fatal(err)
				}
				if err := s.Delete("deals", id); err != nil {
					t.Fatal(err)
				}
				if !listedIDs(t, s, tc.list)[id] {
					t.Fatalf("deleted archived deal %s not listed under status=...,deleted before the purge", id)
				}
			}
			if tc.deleteFirst {
				if err := s.Delete(tc.entity, id); err != nil {
					t.Fatal(err)
				}
			}
			before := len(listedIDs(t, s, tc.list))
			if err := s.Purge(tc.entity, id); err != nil {
				t.Fatal(err)
			}
			after := listedIDs(t, s, tc.list)
			if after[id] {
				t.Errorf("%s %s still listed after Purge", tc.entity, id)
			}
			if want := before; !tc.deleteFirst && tc.list != "deals_archived" {
				want--
				if len(after) != want {
					t.Errorf("%s: %d listed after the purge, want %d", tc.list, len(after), want)
				}
			}
			if err := s.Purge(tc.entity, id); !errors.Is(err, pipedrivetest.ErrNotFound) {
				t.Errorf("second purge: %v, want ErrNotFound", err)
			}
			if err := s.Update(tc.entity, id); !errors.Is(err, pipedrivetest.ErrNotFound) {
				t.Errorf("update of a purged record: %v, want ErrNotFound", err)
			}
		})
	}
}
