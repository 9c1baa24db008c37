package main

import (
	"bytes"
	"strings"
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
