package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
)

func TestSandboxBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"sandbox", "--plan", "gold"},
		{"sandbox", "--scale", "0"},
		{"sandbox", "--seed", "x"},
		{"sandbox", "--addr", ""},
		{"sandbox", "extra"},
		{"sandbox", "--burst", "-1"},
		{"sandbox", "--daily-budget", "-5"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, strings.NewReader(""), &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, exitUsage, errb.String())
		}
		if errb.Len() == 0 {
			t.Errorf("%v: no message", args)
		}
	}
}

func TestSandboxPrintsCredentialsAndExamples(t *testing.T) {
	opts, err := sandboxOptions("127.0.0.1:0", 3, 10, "growth")
	if err != nil {
		t.Fatal(err)
	}
	srv := pipedrivetest.NewServer(opts)
	defer srv.Close()
	var b bytes.Buffer
	printSandbox(&b, srv, opts)
	id, secret := srv.OAuthClient()
	for _, want := range []string{srv.URL(), srv.Token(), id, secret, "curl -s -H 'x-api-token: ", "pdx sync --demo", "pdx check --config", "plan growth"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

// The sandbox serves until SIGINT and then exits 0.
func TestSandboxServesUntilInterrupted(t *testing.T) {
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run([]string{"sandbox", "--scale", "5", "--seed", "9"}, strings.NewReader(""), pw, &errb)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url, token string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Simulated Pipedrive running at ") {
			url = strings.Fields(line)[4]
		}
		if strings.HasPrefix(line, "API token:") {
			token = strings.Fields(line)[2]
		}
		if strings.HasPrefix(line, "Press Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	req, _ := http.NewRequest("GET", url+"/v1/users/me", nil)
	req.Header.Set("x-api-token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("sandbox at %q not serving: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("users/me: %d", resp.StatusCode)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != exitOK {
		t.Errorf("exit %d after SIGINT (stderr %q)", code, errb.String())
	}
}
