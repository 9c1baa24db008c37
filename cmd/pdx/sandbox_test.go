package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pdxhq/pdx/source/airbyte"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

func TestSandboxBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"sandbox", "--plan", "gold"},
		{"sandbox", "--scale", "0"},
		{"sandbox", "--seed", "x"},
		{"sandbox", "--addr", ""},
		{"sandbox", "--addr", "nonsense"},
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

// The commands the sandbox prints work against it as printed: log in and
// sync a profile, and check the Airbyte config (a wrong config key would
// silently send pdx to api.pipedrive.com instead).
func TestSandboxPrintedCommandsWork(t *testing.T) {
	env := newSyncEnv(t, pipedrivetest.Options{}) // isolated config, state and secrets
	env.srv.Close()                               // only its environment is used
	opts, err := sandboxOptions("127.0.0.1:0", 4, 10, "ultimate")
	if err != nil {
		t.Fatal(err)
	}
	srv := pipedrivetest.NewServer(opts)
	defer srv.Close()
	var b bytes.Buffer
	printSandbox(&b, srv, opts)
	dir := t.TempDir()
	var ran []string
	for _, line := range strings.Split(b.String(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "echo '"): // echo '<json>' > config.json
			js := line[len("echo '"):strings.LastIndex(line, "'")]
			cfg, err := airbyte.ParseConfig([]byte(js))
			if err != nil {
				t.Fatalf("printed config: %v\n%s", err, js)
			}
			if cfg.APIBaseURL != srv.URL() || cfg.Credentials.APIToken != srv.Token() {
				t.Fatalf("printed config points at %q with token %q, want the sandbox %q", cfg.APIBaseURL, cfg.Credentials.APIToken, srv.URL())
			}
			if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(js), 0o600); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(line, "echo ") && strings.Contains(line, " --oauth "): // echo SECRET | pdx auth login --oauth ...
			// The browser approves at the sandbox only; a free callback
			// port instead of the fixed one a Pipedrive app registers.
			useBrowser(t, func(u string) error {
				if !strings.HasPrefix(u, srv.URL()+"/oauth/authorize?") {
					return fmt.Errorf("the sign-in went to %s, not to the sandbox", u)
				}
				return approvingBrowser(nil)(u)
			})
			parts := strings.SplitN(line, " | pdx ", 2)
			args := append(strings.Fields(parts[1]), "--redirect-uri", "http://127.0.0.1:0/callback")
			r := oauthCLI(t, strings.TrimPrefix(parts[0], "echo ")+"\n", args...)
			if r.code != exitOK || !strings.Contains(r.stdout, "Logged in with OAuth") {
				t.Fatalf("%s: exit %d: %s %s", line, r.code, r.stdout, r.stderr)
			}
			if st := pdxCLI(t, "", "auth", "status", "--profile", "sandbox-oauth"); st.code != exitOK || !strings.Contains(st.stdout, "Sign-in:     OAuth") {
				t.Fatalf("status of the OAuth profile: %d %s %s", st.code, st.stdout, st.stderr)
			}
			ran = append(ran, "oauth")
		case strings.HasPrefix(line, "echo "): // echo TOKEN | pdx auth login ...
			parts := strings.SplitN(line, " | pdx ", 2)
			r := pdxCLI(t, strings.TrimPrefix(parts[0], "echo ")+"\n", strings.Fields(parts[1])...)
			if r.code != exitOK {
				t.Fatalf("%s: exit %d: %s", line, r.code, r.stderr)
			}
			ran = append(ran, "login")
		case strings.HasPrefix(line, "pdx sync --profile"):
			args := strings.Fields(line)[1:]
			args[len(args)-1] = filepath.Join(dir, "out") // --out
			r := pdxCLI(t, "", args...)
			if r.code != exitOK {
				t.Fatalf("%s: exit %d: %s", line, r.code, r.stderr)
			}
			if got, want := countLines(t, filepath.Join(dir, "out", "deals.jsonl")), srv.Count("deals"); got != want {
				t.Errorf("sync wrote %d deals, the sandbox lists %d", got, want)
			}
			ran = append(ran, "sync")
		case line == "pdx check --config config.json":
			r := pdxCLI(t, "", "check", "--config", filepath.Join(dir, "config.json"))
			if !strings.Contains(r.stdout, `"status":"SUCCEEDED"`) {
				t.Fatalf("%s: %s %s", line, r.stdout, r.stderr)
			}
			ran = append(ran, "check")
		}
	}
	if got := strings.Join(ran, ","); got != "login,sync,oauth,check" {
		t.Errorf("ran %q of the printed commands, want login,sync,oauth,check:\n%s", got, b.String())
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte("\n"))
}
