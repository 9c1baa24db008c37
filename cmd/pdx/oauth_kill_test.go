package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// TestOAuthKillAfterRefresh: a real `pdx sync --no-tui` (secrets in the 0600
// file fallback) starts with an access token the simulator has expired, so
// its first request gets a 401 and pdx refreshes. The simulator holds the
// first request that carries the new access token, which is the earliest
// moment pdx promises the rotated set is saved: the test checks the file
// has it, kills the process with SIGKILL right there, and runs again. Both
// later runs work, the second one refreshing with the stored token while
// the simulator refuses the old one.
func TestOAuthKillAfterRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process; skipped with -short")
	}
	bin := buildPDX(t)
	e := newOAuthEnv(t, pipedrivetest.Options{Seed: 33, Scale: 300})
	lr := e.login(t)
	oldAccess, oldRefresh := e.tokens()
	e.srv.Advance(2 * time.Hour)

	savedFirst := make(chan bool, 1)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var once sync.Once
	e.setBefore(func(r *http.Request) {
		access, refresh := e.tokens()
		if b := bearer(r); b == oldAccess || b != access {
			return
		}
		first := false
		once.Do(func() { first = true })
		if !first {
			return
		}
		var s struct {
			Refresh string `json:"refresh_token"`
		}
		data, err := os.ReadFile(e.secretFile("default"))
		savedFirst <- err == nil && json.Unmarshal(data, &s) == nil && s.Refresh == refresh
		select {
		case <-r.Context().Done(): // the killed process's connection closed
		case <-release:
		}
	})

	args := []string{"sync", "--no-tui", "--streams", "deals,persons", "--out", e.out}
	var stderrs []string
	start := func() (*exec.Cmd, *bytes.Buffer, chan error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = os.Environ() // PDX_CONFIG_DIR, PDX_STATE_DIR, PDX_NO_KEYRING=1 from newSyncEnv
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &errb, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd, &errb, done
	}

	cmd, errb, done := start()
	select {
	case ok := <-savedFirst:
		if !ok {
			t.Error("the new access token was used before its refresh token was in the secrets file")
		}
	case err := <-done:
		t.Fatalf("pdx ended (%v) before using a refreshed token:\n%s", err, errb)
	case <-time.After(60 * time.Second): // a guard, not a synchronisation
		cmd.Process.Kill()
		t.Fatalf("pdx never used a refreshed token:\n%s", errb)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	stderrs = append(stderrs, errb.String())
	if e.tokenPosts() < 2 { // the login's exchange, then the refresh
		t.Fatalf("no refresh happened before the kill (%d token requests)", e.tokenPosts())
	}

	_, errb, done = start()
	if err := <-done; err != nil {
		t.Fatalf("the run after the kill: %v\n%s", err, errb)
	}
	stderrs = append(stderrs, errb.String())
	checkAllRecords(t, e, "deals", "persons")

	if e.refreshAccepted(t, oldRefresh) {
		t.Fatal("the simulator still accepts the pre-kill refresh token: the next run would prove nothing")
	}
	e.srv.Advance(2 * time.Hour)
	before := e.tokenPosts()
	_, errb, done = start()
	if err := <-done; err != nil || e.tokenPosts() != before+1 {
		t.Fatalf("a run refreshing with the token saved before the kill: %v, %d token requests\n%s", err, e.tokenPosts()-before, errb)
	}
	stderrs = append(stderrs, errb.String())
	e.assertNoSecrets(t, append([]string{lr.stdout, lr.stderr}, stderrs...)...)
	if t.Failed() {
		t.Logf("stderr of the runs:\n%s", strings.Join(stderrs, "\n---\n"))
	}
}
