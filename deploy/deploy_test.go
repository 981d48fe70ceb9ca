// Package deploy_test keeps the deployment files honest without a Docker
// engine or a Kubernetes cluster: it parses the Compose file, the
// Kubernetes manifests, the env file examples, the Dockerfile and the
// Makefile, and checks them against the settings and subcommands the vodq
// binary really has, as `vodq help` prints them.
package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vodq/vodq/internal/cli"
	"github.com/vodq/vodq/internal/config"
)

// help is what `vodq help` says: the subcommands and every setting with
// its default.
type help struct {
	commands map[string]bool
	defaults map[string]string // variable -> default, "" when none
}

var (
	helpOnce sync.Once
	helpText string
	helpCode int
)

// vodqHelp runs the real `vodq help` and parses its output.
func vodqHelp(t *testing.T) help {
	t.Helper()
	helpOnce.Do(func() {
		var out, errOut bytes.Buffer
		helpCode = cli.Run(context.Background(), []string{"help"}, cli.IO{Out: &out, Err: &errOut})
		helpText = out.String() + errOut.String()
	})
	if helpCode != cli.ExitOK {
		t.Fatalf("vodq help exited %d:\n%s", helpCode, helpText)
	}

	h := help{commands: map[string]bool{}, defaults: map[string]string{}}
	section := ""
	defaultCol, meaningCol := -1, -1
	sc := bufio.NewScanner(strings.NewReader(helpText))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "commands:"):
			section = "commands"
			continue
		case strings.HasPrefix(line, "settings"):
			section = "settings"
			continue
		case strings.TrimSpace(line) == "":
			continue
		}
		switch section {
		case "commands":
			if f := strings.Fields(line); len(f) > 0 {
				h.commands[f[0]] = true
			}
		case "settings":
			// The table is aligned: the header gives the columns.
			if strings.Contains(line, "VARIABLE") && strings.Contains(line, "DEFAULT") {
				defaultCol, meaningCol = strings.Index(line, "DEFAULT"), strings.Index(line, "MEANING")
				continue
			}
			if defaultCol < 0 || len(line) < defaultCol {
				continue
			}
			name := strings.TrimSpace(line[:defaultCol])
			def := strings.TrimSpace(line[defaultCol:min(meaningCol, len(line))])
			h.defaults[name] = def
		}
	}
	if !h.commands["worker"] || !h.commands["serve"] || h.defaults["VODQ_REDIS_URL"] == "" {
		t.Fatalf("could not read the commands and settings from vodq help:\n%s", helpText)
	}
	return h
}

// known reports whether name is a setting or credential variable that
// vodq help lists.
func (h help) known(name string) bool {
	_, ok := h.defaults[name]
	return ok
}

// repoPath returns a path in the repository; the tests run in deploy/.
func repoPath(parts ...string) string {
	return filepath.Join(append([]string{".."}, parts...)...)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

// envLine is one KEY=VALUE line of an env file.
type envLine struct {
	key, value string
	line       int
}

// readEnvFile parses a Compose env file: KEY=VALUE lines, comments and
// blank lines. Values are taken literally (the examples use no quotes).
func readEnvFile(t *testing.T, path string) []envLine {
	t.Helper()
	var out []envLine
	for i, raw := range strings.Split(readFile(t, path), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || !regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(key) {
			t.Errorf("%s:%d: %q is not a KEY=VALUE line", path, i+1, raw)
			continue
		}
		if strings.ContainsAny(value, `"'$`) {
			t.Errorf("%s:%d: %s holds a quote or a $, which Compose would interpret", path, i+1, key)
		}
		out = append(out, envLine{key: key, value: value, line: i + 1})
	}
	return out
}

func envMap(lines []envLine) map[string]string {
	m := map[string]string{}
	for _, l := range lines {
		m[l.key] = l.value
	}
	return m
}

// validateSettings loads env into the environment and runs vodq's own
// configuration loader on it, so a value vodq would refuse at start-up
// fails here. Tests calling it cannot run in parallel.
func validateSettings(t *testing.T, where string, env map[string]string) *config.Config {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, config.Prefix+"_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Setenv(k, env[k])
	}
	cfg, err := config.Load()
	if err != nil {
		t.Errorf("%s: vodq would refuse these settings: %v", where, err)
		return nil
	}
	return cfg
}

// recordGrace is how long a worker may take, after VODQ_SHUTDOWN_TIMEOUT, to
// record the jobs it hands back (handlerGrace in worker/server.go). An
// orchestrator's grace period must cover both.
const recordGrace = 5 * time.Second

// shutdownTimeout returns VODQ_SHUTDOWN_TIMEOUT from env, or vodq's
// default.
func shutdownTimeout(t *testing.T, h help, env map[string]string) time.Duration {
	t.Helper()
	v, ok := env["VODQ_SHUTDOWN_TIMEOUT"]
	if !ok {
		v = h.defaults["VODQ_SHUTDOWN_TIMEOUT"]
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("VODQ_SHUTDOWN_TIMEOUT %q is not a duration: %v", v, err)
	}
	return d
}

var vodqVar = regexp.MustCompile(`\bVODQ_[A-Z0-9_]*[A-Z0-9]\b`)

// Every VODQ_* name written anywhere in the deployment files, the docs
// beside them, the Dockerfile and the Makefile is one vodq reads.
func TestEveryVODQVariableNamedExists(t *testing.T) {
	t.Parallel()
	h := vodqHelp(t)
	for _, path := range deployFiles(t) {
		text := readFile(t, path)
		for i, line := range strings.Split(text, "\n") {
			for _, name := range vodqVar.FindAllString(line, -1) {
				if !h.known(name) {
					t.Errorf("%s:%d names %s, which vodq help does not list", path, i+1, name)
				}
			}
		}
	}
}

// deployFiles lists the files this package keeps honest: everything under
// deploy/ except the gitignored deploy/.env, and the Dockerfile, the
// Makefile and .dockerignore.
func deployFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path == ".env" {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		t.Fatalf("list deploy/: %v", err)
	}
	for _, f := range []string{"Dockerfile", "Makefile", ".dockerignore"} {
		files = append(files, repoPath(f))
	}
	return files
}

// The secrets file that Compose reads must stay out of git.
func TestLocalEnvFileIsIgnoredByGit(t *testing.T) {
	t.Parallel()
	for _, line := range strings.Split(readFile(t, repoPath(".gitignore")), "\n") {
		if strings.TrimSpace(line) == "/deploy/.env" {
			return
		}
	}
	t.Errorf(".gitignore does not list /deploy/.env, the secrets file compose.yaml reads")
}

var metricName = regexp.MustCompile(`\bvodq_[a-z_]+[a-z]\b`)

// Every vodq_* metric the docs here name is one the code registers.
func TestDocumentedMetricsExist(t *testing.T) {
	t.Parallel()
	registered := map[string]bool{}
	err := filepath.WalkDir(repoPath(), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		for _, m := range regexp.MustCompile(`"(vodq_[a-z_]+)"`).FindAllStringSubmatch(readFile(t, path), -1) {
			registered[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read the sources: %v", err)
	}
	for _, doc := range []string{"README.md", "OPERATIONS.md"} {
		for _, name := range metricName.FindAllString(readFile(t, doc), -1) {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suffix)
			}
			if !registered[base] {
				t.Errorf("%s names the metric %s, which no code registers", doc, name)
			}
		}
	}
}
