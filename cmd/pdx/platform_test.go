//go:build unix

package main

// The Airbyte platform ignores the image's ENTRYPOINT: it mounts the inputs,
// sets the working directory and runs
//
//	sh -c 'eval "$AIRBYTE_ENTRYPOINT check --config /config/connectionConfiguration.json"'
//
// as the image's user (uid 1000). There is no Docker engine on the build
// machines, so these tests check the Dockerfile by reading it, then run the
// release-built binary exactly that way, with AIRBYTE_ENTRYPOINT naming it,
// against the simulator.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/pdxhq/pdx/source/airbyte/airbytetest"
	"github.com/pdxhq/pdx/source/pipedrivetest"
)

// imageUID is the user the Dockerfile runs as (checked below).
const imageUID = 1000

// platformMarker marks /config and /source as made by TestPlatformRun.
const platformMarker = ".pdx-platform-test"

// platformLock serialises TestPlatformRun across processes on one machine.
const platformLock = "/tmp/pdx-platform-test.lock"

// lockPlatformDirs holds an exclusive flock on platformLock until the test
// ends (the kernel drops it if the process dies, so a killed run never
// leaves it held).
func lockPlatformDirs(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(platformLock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("open %s: %v", platformLock, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("lock %s: %v", platformLock, err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}

// dockerfile is what the Airbyte platform depends on in /Dockerfile.
type dockerfile struct {
	from       string
	entrypoint []string          // exec form
	env        map[string]string // every ENV
	labels     map[string]string // every LABEL
	user       string
	workdir    string
	copyDests  []string
}

// readDockerfile parses the few instructions the image contract is about.
// It handles line continuations, quoted values and exec-form ENTRYPOINT.
func readDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read Dockerfile: %v", err)
	}
	d := dockerfile{env: map[string]string{}, labels: map[string]string{}}
	var logical []string
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	for _, l := range logical {
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			d.from = strings.Fields(rest)[0]
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &d.entrypoint); err != nil {
				t.Fatalf("Dockerfile ENTRYPOINT %s is not the exec (JSON) form: %v", rest, err)
			}
		case "ENV":
			parseKeyValues(t, rest, d.env)
		case "LABEL":
			parseKeyValues(t, rest, d.labels)
		case "USER":
			d.user = rest
		case "WORKDIR":
			d.workdir = rest
		case "COPY":
			f := strings.Fields(rest)
			d.copyDests = append(d.copyDests, f[len(f)-1])
		}
	}
	return d
}

var kvRe = regexp.MustCompile(`([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|\S*)`)

func parseKeyValues(t *testing.T, s string, into map[string]string) {
	t.Helper()
	m := kvRe.FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		t.Fatalf("Dockerfile: %q is not in key=value form", s)
	}
	for _, kv := range m {
		v := kv[2]
		if strings.HasPrefix(v, `"`) {
			var err error
			if v, err = strconv.Unquote(v); err != nil {
				t.Fatalf("Dockerfile: bad quoted value %s: %v", kv[2], err)
			}
		}
		into[kv[1]] = v
	}
}

// connectorMetadata is the part of airbyte/metadata.yaml that must agree with
// the image.
type connectorMetadata struct {
	Data struct {
		Name             string `yaml:"name"`
		ConnectorType    string `yaml:"connectorType"`
		DefinitionID     string `yaml:"definitionId"`
		DockerRepository string `yaml:"dockerRepository"`
		DockerImageTag   string `yaml:"dockerImageTag"`
		DocumentationURL string `yaml:"documentationUrl"`
		License          string `yaml:"license"`
		ReleaseStage     string `yaml:"releaseStage"`
		SupportLevel     string `yaml:"supportLevel"`
		AllowedHosts     struct {
			Hosts []string `yaml:"hosts"`
		} `yaml:"allowedHosts"`
	} `yaml:"data"`
}

// goreleaserConfig is the part of .goreleaser.yaml the image and the version
// command depend on.
type goreleaserConfig struct {
	Builds []struct {
		Ldflags []string `yaml:"ldflags"`
		Env     []string `yaml:"env"`
	} `yaml:"builds"`
	DockersV2 []struct {
		Dockerfile string            `yaml:"dockerfile"`
		Images     []string          `yaml:"images"`
		Platforms  []string          `yaml:"platforms"`
		BuildArgs  map[string]string `yaml:"build_args"`
	} `yaml:"dockers_v2"`
	HomebrewCasks []struct {
		CustomBlock string         `yaml:"custom_block"`
		Hooks       map[string]any `yaml:"hooks"`
		Completions map[string]any `yaml:"completions"`
	} `yaml:"homebrew_casks"`
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// moduleRoot is the repository root (tests run in cmd/pdx).
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

// TestReleaseFilesAgree checks, by reading them, that the Dockerfile meets the
// platform's image contract and that the Dockerfile, the connector metadata
// and the GoReleaser config name the same image.
func TestReleaseFilesAgree(t *testing.T) {
	root := moduleRoot(t)
	d := readDockerfile(t, filepath.Join(root, "Dockerfile"))
	var md connectorMetadata
	readYAML(t, filepath.Join(root, "airbyte", "metadata.yaml"), &md)
	var gr goreleaserConfig
	readYAML(t, filepath.Join(root, ".goreleaser.yaml"), &gr)
	if len(gr.DockersV2) != 1 || len(gr.Builds) != 1 || len(gr.HomebrewCasks) != 1 {
		t.Fatalf(".goreleaser.yaml: want one build, one dockers_v2 image and one cask, got %d, %d, %d", len(gr.Builds), len(gr.DockersV2), len(gr.HomebrewCasks))
	}
	img, build, cask := gr.DockersV2[0], gr.Builds[0], gr.HomebrewCasks[0]
	ldflags := strings.Join(build.Ldflags, " ")

	checks := []struct {
		name string
		ok   bool
		got  any
	}{
		// The platform runs `sh -c ...`: no shell-less base.
		{"base image has /bin/sh", d.from != "" && d.from != "scratch" && !strings.Contains(d.from, "distroless"), d.from},
		{"ENTRYPOINT is one absolute path", len(d.entrypoint) >= 1 && filepath.IsAbs(d.entrypoint[0]), d.entrypoint},
		{"AIRBYTE_ENTRYPOINT equals ENTRYPOINT joined by spaces", d.env["AIRBYTE_ENTRYPOINT"] == strings.Join(d.entrypoint, " "), d.env["AIRBYTE_ENTRYPOINT"]},
		{"the binary is copied to the ENTRYPOINT path", len(d.entrypoint) > 0 && slices.Contains(d.copyDests, d.entrypoint[0]), d.copyDests},
		{"runs as uid 1000", d.user == "1000" || d.user == "1000:1000", d.user},
		{"workdir is the writable /airbyte", d.workdir == "/airbyte", d.workdir},
		{"HOME is writable (/airbyte or /tmp)", d.env["HOME"] == "/airbyte" || d.env["HOME"] == "/tmp", d.env["HOME"]},
		{"io.airbyte.name label", d.labels["io.airbyte.name"] != "", d.labels},
		{"io.airbyte.version label from the VERSION build arg", d.labels["io.airbyte.version"] == "${VERSION}", d.labels["io.airbyte.version"]},
		{"GoReleaser passes VERSION", strings.Contains(img.BuildArgs["VERSION"], ".Version"), img.BuildArgs},
		{"GoReleaser publishes the labelled image", slices.Contains(img.Images, d.labels["io.airbyte.name"]), img.Images},
		{"GoReleaser builds linux/amd64 and linux/arm64", slices.Contains(img.Platforms, "linux/amd64") && slices.Contains(img.Platforms, "linux/arm64"), img.Platforms},
		{"GoReleaser uses this Dockerfile", img.Dockerfile == "Dockerfile", img.Dockerfile},
		{"metadata names the labelled image", md.Data.DockerRepository == d.labels["io.airbyte.name"], md.Data.DockerRepository},
		{"metadata is a source", md.Data.ConnectorType == "source", md.Data.ConnectorType},
		{"metadata definitionId is a UUID", regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(md.Data.DefinitionID), md.Data.DefinitionID},
		{"metadata image tag set", md.Data.DockerImageTag != "", md.Data.DockerImageTag},
		{"metadata documentation is https", strings.HasPrefix(md.Data.DocumentationURL, "https://"), md.Data.DocumentationURL},
		{"metadata licence matches LICENSE", md.Data.License == "MIT", md.Data.License},
		{"metadata release stage and support level", md.Data.ReleaseStage != "" && md.Data.SupportLevel != "", md.Data},
		{"metadata allows the Pipedrive API and OAuth hosts", slices.Contains(md.Data.AllowedHosts.Hosts, "*.pipedrive.com") && slices.Contains(md.Data.AllowedHosts.Hosts, "api.pipedrive.com") && slices.Contains(md.Data.AllowedHosts.Hosts, "oauth.pipedrive.com"), md.Data.AllowedHosts.Hosts},
		// The linker silently ignores -X for a variable that does not exist.
		{"ldflags inject version.go's variables", strings.Contains(ldflags, "-X main.version=") && strings.Contains(ldflags, "-X main.commit=") && strings.Contains(ldflags, "-X main.date="), ldflags},
		// version.go prints main.date as "committed": it must be the commit's time.
		{"ldflags inject the commit time as main.date", strings.Contains(ldflags, "-X main.date={{.CommitDate}}"), ldflags},
		{"static binaries", slices.Contains(build.Env, "CGO_ENABLED=0"), build.Env},
		// hooks: renders Homebrew's deprecated `postflight` block.
		{"cask strips quarantine with postflight_steps", strings.Contains(cask.CustomBlock, "postflight_steps") && strings.Contains(cask.CustomBlock, "com.apple.quarantine") && len(cask.Hooks) == 0, cask.CustomBlock},
		{"cask installs bash, zsh and fish completions", len(cask.Completions) == 3, cask.Completions},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: got %v", c.name, c.got)
		}
	}
}

// buildRelease builds pdx the way .goreleaser.yaml does (static, trimmed,
// version injected) into a directory every user can read.
func buildRelease(t *testing.T, version string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pdx-platform-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "pdx")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin,
		"-ldflags", "-s -w -X main.version="+version+" -X main.commit=platformtest -X main.date=2026-11-27T00:00:00Z", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// platform runs commands the way the Airbyte platform does.
type platform struct {
	entrypoint string   // what AIRBYTE_ENTRYPOINT holds
	env        []string // the container's environment
	cred       *syscall.Credential
}

type platformResult struct {
	code           int
	stdout, stderr string
}

// run executes `sh -c 'eval "$AIRBYTE_ENTRYPOINT <args>"'` in dir.
func (p platform) run(t *testing.T, dir, args string) platformResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", `eval "$AIRBYTE_ENTRYPOINT `+args+`"`)
	cmd.Dir = dir
	cmd.Env = append(slices.Clone(p.env), "AIRBYTE_ENTRYPOINT="+p.entrypoint)
	cmd.Stdin = nil // the platform gives no stdin; the protocol never reads it
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("sh -c %q: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("sh -c %q did not finish in time\nstderr: %s", args, errb.String())
	}
	return platformResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// mountDir makes the platform's input directory (/config or /source) holding
// files, readable by the image user but not writable by it, as the platform's
// mounts are from the connector's point of view.
func mountDir(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("create %s: %v", dir, err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	files[platformMarker] = nil
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// assertUntouched fails when the connector left anything in an input dir.
func assertUntouched(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok {
			t.Errorf("the connector wrote %s into %s (it may write only to /airbyte and /tmp)", e.Name(), dir)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPlatformRun runs check, discover and read (first sync, then resumed
// from its state) through `sh -c 'eval "$AIRBYTE_ENTRYPOINT ..."'` from the
// platform's working directories, as uid 1000 when the test runs as root.
func TestPlatformRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary; skipped in -short mode")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on this machine")
	}
	v := airbytetest.NewValidator(t)
	d := readDockerfile(t, filepath.Join(moduleRoot(t), "Dockerfile"))
	bin := buildRelease(t, "v0.0.0-platformtest")

	// The Airbyte commands land separately (cmd/pdx/airbyte.go); until then
	// there is nothing to run the platform's way.
	if out, err := exec.Command(bin, "spec").CombinedOutput(); err != nil && bytes.Contains(out, []byte("unknown command")) {
		t.Skipf("`pdx spec` is not a command yet, so the platform run cannot be tested: %s", out)
	}

	// The image's environment (its ENV lines) with HOME made real and
	// writable, and the image's ENTRYPOINT replaced by the binary just built.
	home, err := os.MkdirTemp("", "pdx-platform-home-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	p := platform{entrypoint: bin, env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + home}}
	for k, val := range d.env {
		if k != "HOME" && k != "AIRBYTE_ENTRYPOINT" {
			p.env = append(p.env, k+"="+val)
		}
	}

	configDir, sourceDir := "/config", "/source"
	if os.Geteuid() == 0 {
		// /config and /source are machine-wide: two test runs on one
		// machine (CI and a developer's, or two worktrees) take turns, so
		// neither removes the other's directories as a killed run's.
		lockPlatformDirs(t)
		for _, dir := range []string{configDir, sourceDir} {
			// A run that was killed leaves its directories behind, marked.
			if _, err := os.Stat(filepath.Join(dir, platformMarker)); err == nil {
				os.RemoveAll(dir)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Skipf("%s already exists on this machine and is not this test's; not touching it (err %v)", dir, err)
			}
		}
		if err := os.Chown(home, imageUID, imageUID); err != nil {
			t.Fatal(err)
		}
		p.cred = &syscall.Credential{Uid: imageUID, Gid: imageUID, NoSetGroups: true}
	} else {
		// Without root there is no /config, /source or uid 1000: run the same
		// command lines from look-alike directories as the current user.
		t.Logf("not root: running as uid %d from temporary stand-ins for /config and /source (the uid-%d, absolute-path part is skipped)", os.Geteuid(), imageUID)
		tmp := t.TempDir()
		configDir, sourceDir = filepath.Join(tmp, "config"), filepath.Join(tmp, "source")
	}

	// (a burst window it never meets: the run is about the platform's ways,
	// and the lite plan's 2 s window in real time was most of its time)
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 11, Scale: 15, BurstLimit: 100000})
	t.Cleanup(s.Close)
	config := mustJSON(t, map[string]any{
		"credentials":  map[string]any{"auth_type": "api_token", "api_token": s.Token()},
		"api_base_url": s.URL(),
	})
	noToken := func(t *testing.T, r platformResult) {
		t.Helper()
		if strings.Contains(r.stdout, s.Token()) || strings.Contains(r.stderr, s.Token()) {
			t.Errorf("the API token appears in the output")
		}
	}

	// spec needs no input; the platform runs it from the image's workdir.
	r := p.run(t, home, "spec")
	specs := 0
	for _, m := range v.Parse(t, []byte(r.stdout)) {
		if m.Type == "SPEC" {
			specs++
		}
	}
	if r.code != 0 || specs != 1 {
		t.Fatalf("spec: exit %d, %d SPEC messages, want exit 0 and one\nstderr: %s", r.code, specs, r.stderr)
	}

	// check, and discover, from /config.
	configFiles := map[string][]byte{"connectionConfiguration.json": config}
	mountDir(t, configDir, configFiles)
	cfgPath := filepath.Join(configDir, "connectionConfiguration.json")

	r = p.run(t, configDir, "check --config "+cfgPath)
	msgs := v.Parse(t, []byte(r.stdout))
	var statuses []string
	for _, m := range msgs {
		if m.Type == "CONNECTION_STATUS" {
			statuses = append(statuses, m.ConnectionStatus.Status+": "+m.ConnectionStatus.Message)
		}
	}
	if r.code != 0 || len(statuses) != 1 || !strings.HasPrefix(statuses[0], "SUCCEEDED") {
		t.Fatalf("check: exit %d, statuses %q, want exit 0 and one SUCCEEDED\nstdout: %s\nstderr: %s", r.code, statuses, r.stdout, r.stderr)
	}
	noToken(t, r)

	r = p.run(t, configDir, "discover --config "+cfgPath)
	if r.code != 0 {
		t.Fatalf("discover: exit %d\nstderr: %s", r.code, r.stderr)
	}
	v.Parse(t, []byte(r.stdout))
	catalog, schemas, configured := configureCatalog(t, r.stdout, "deals", "users")
	assertUntouched(t, configDir, configFiles)

	// read from /source: a first sync, then one resumed from its state.
	catalogJSON := mustJSON(t, catalog)
	sourceFiles := map[string][]byte{"connectorConfig.json": config, "catalog.json": catalogJSON}
	mountDir(t, sourceDir, sourceFiles)
	readArgs := fmt.Sprintf("read --config %s --catalog %s", filepath.Join(sourceDir, "connectorConfig.json"), filepath.Join(sourceDir, "catalog.json"))

	r = p.run(t, sourceDir, readArgs)
	if r.code != 0 {
		t.Fatalf("read: exit %d\nstderr: %s", r.code, r.stderr)
	}
	first := airbytetest.CheckRead(t, v.Parse(t, []byte(r.stdout)), configured, schemas, true)
	total := 0
	for _, name := range configured {
		total += len(first.Records[name])
	}
	if total == 0 {
		t.Errorf("read of %v gave no RECORD", configured)
	}
	t.Logf("read as uid %d from %s: %d records of %v", map[bool]int{true: imageUID, false: os.Geteuid()}[p.cred != nil], sourceDir, total, configured)
	noToken(t, r)
	assertUntouched(t, sourceDir, sourceFiles)

	// The platform hands back the last STATE message of each stream.
	state := lastStates(t, r.stdout)
	if len(state) != len(configured) {
		t.Fatalf("read left %d stream states, want %d", len(state), len(configured))
	}
	if err := os.WriteFile(filepath.Join(sourceDir, "inputState.json"), mustJSON(t, state), 0o644); err != nil {
		t.Fatal(err)
	}
	sourceFiles["inputState.json"] = nil
	r = p.run(t, sourceDir, readArgs+" --state "+filepath.Join(sourceDir, "inputState.json"))
	if r.code != 0 {
		t.Fatalf("read --state: exit %d\nstderr: %s", r.code, r.stderr)
	}
	airbytetest.CheckRead(t, v.Parse(t, []byte(r.stdout)), configured, schemas, true)
	noToken(t, r)
	assertUntouched(t, sourceDir, sourceFiles)
}

// configureCatalog turns discover's CATALOG into a configured catalog of the
// wanted streams (each in incremental mode when it supports it), passing the
// streams through unchanged as the platform does.
func configureCatalog(t *testing.T, discoverOut string, want ...string) (catalog map[string]any, schemas map[string]json.RawMessage, configured []string) {
	t.Helper()
	var streams []map[string]json.RawMessage
	for line := range strings.Lines(discoverOut) {
		var m struct {
			Type    string `json:"type"`
			Catalog struct {
				Streams []map[string]json.RawMessage `json:"streams"`
			} `json:"catalog"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Type == "CATALOG" {
			streams = m.Catalog.Streams
		}
	}
	schemas = map[string]json.RawMessage{}
	var out []map[string]any
	for _, st := range streams {
		var name string
		var modes, cursor []string
		var pk [][]string
		_ = json.Unmarshal(st["name"], &name)
		_ = json.Unmarshal(st["supported_sync_modes"], &modes)
		_ = json.Unmarshal(st["default_cursor_field"], &cursor)
		_ = json.Unmarshal(st["source_defined_primary_key"], &pk)
		if !slices.Contains(want, name) {
			continue
		}
		c := map[string]any{"stream": st, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
		if slices.Contains(modes, "incremental") {
			c["sync_mode"], c["destination_sync_mode"], c["cursor_field"] = "incremental", "append_dedup", cursor
			if len(pk) > 0 {
				c["primary_key"] = pk
			}
		}
		schemas[name] = st["json_schema"]
		configured = append(configured, name)
		out = append(out, c)
	}
	if len(configured) != len(want) {
		t.Fatalf("discover offers %v of the streams %v", configured, want)
	}
	return map[string]any{"streams": out}, schemas, configured
}

// lastStates returns the last STATE message of each stream, as the platform
// stores them for the next sync's inputState.json.
func lastStates(t *testing.T, readOut string) []json.RawMessage {
	t.Helper()
	last := map[string]json.RawMessage{}
	var order []string
	sc := bufio.NewScanner(strings.NewReader(readOut))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var m struct {
			Type  string          `json:"type"`
			State json.RawMessage `json:"state"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil || m.Type != "STATE" {
			continue
		}
		var s struct {
			Stream struct {
				Desc struct {
					Name string `json:"name"`
				} `json:"stream_descriptor"`
			} `json:"stream"`
		}
		if err := json.Unmarshal(m.State, &s); err != nil {
			t.Fatal(err)
		}
		if _, seen := last[s.Stream.Desc.Name]; !seen {
			order = append(order, s.Stream.Desc.Name)
		}
		last[s.Stream.Desc.Name] = m.State
	}
	var out []json.RawMessage
	for _, n := range order {
		out = append(out, last[n])
	}
	return out
}
