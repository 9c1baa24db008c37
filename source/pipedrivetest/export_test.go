package pipedrivetest

import "time"

// SetWallClock replaces the real clock of the burst window (tests only).
func SetWallClock(s *Server, now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wallNow = now
}
