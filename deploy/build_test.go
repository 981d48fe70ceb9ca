package deploy_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	for _, line := range strings.Split(readFile(t, repoPath("Dockerfile")), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// stages splits the instructions at each FROM.
func stages(ins []instruction) [][]instruction {
	var out [][]instruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			out = append(out, nil)
		}
		if len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], in)
		}
	}
	return out
}

// Multi-stage: a Go builder matching go.mod's Go version, then a distroless
// static image that runs /vodq as a non-root user, with no HEALTHCHECK.
func TestDockerfileBuildsASmallNonRootImage(t *testing.T) {
	t.Parallel()
	ins := readDockerfile(t)
	st := stages(ins)
	if len(st) < 2 {
		t.Fatalf("%d stages, want a builder and a final image", len(st))
	}

	builder := strings.Fields(st[0][0].args)[0]
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(readFile(t, repoPath("go.mod")))
	if goVersion == nil {
		t.Fatal("go.mod has no go directive")
	}
	if !strings.HasPrefix(builder, "golang:"+goVersion[1]) {
		t.Errorf("builder image %s does not match go.mod's go %s", builder, goVersion[1])
	}

	final := st[len(st)-1]
	base := strings.Fields(final[0].args)[0]
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final image is based on %s, want distroless static "+
			"(CA certificates and time zones, no shell)", base)
	}
	var user, entrypoint string
	for _, in := range final {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		}
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("final stage runs as %q, want a non-root USER", user)
	}
	var ep []string
	if err := json.Unmarshal([]byte(entrypoint), &ep); err != nil || !slices.Equal(ep, []string{"/vodq"}) {
		t.Errorf("ENTRYPOINT %s, want [\"/vodq\"] so one image serves every subcommand", entrypoint)
	}
	for _, in := range ins {
		if in.cmd == "HEALTHCHECK" {
			t.Errorf("the Dockerfile has a HEALTHCHECK; probes belong to the orchestrator")
		}
	}
	versionArg := func(in instruction) bool {
		return in.cmd == "ARG" && strings.HasPrefix(in.args, "VERSION")
	}
	if !slices.ContainsFunc(st[0], versionArg) {
		t.Errorf("the builder stage has no ARG VERSION for version stamping")
	}
}

// The image is built with exactly the command `make build` runs: static,
// trimmed paths, the version stamped into internal/cli.Version.
func TestDockerfileBuildsLikeTheMakefile(t *testing.T) {
	t.Parallel()
	var docker []string
	for _, in := range readDockerfile(t) {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			docker = buildCommand(t, "Dockerfile", in.args)
		}
	}
	recipe := makeRecipe(t, "build")
	mk := buildCommand(t, "Makefile", strings.Join(recipe, " "))
	if !slices.Equal(docker, mk) {
		t.Errorf("the Dockerfile and the Makefile build differently:\nDockerfile: %q\nMakefile:   %q",
			docker, mk)
	}
	joined := strings.Join(mk, " ")
	stamp := "-X github.com/vodq/vodq/internal/cli.Version=VERSION"
	for _, want := range []string{"CGO_ENABLED=0", stamp, "./cmd/vodq"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the build command %q lacks %q", joined, want)
		}
	}
}

var varRef = regexp.MustCompile(`\$\(([A-Z_]+)\)|\$\{([A-Z_]+)\}|\$([A-Z_]+)`)

// buildCommand returns the words of the `CGO_ENABLED=0 go build ...`
// command in s, with variable references reduced to their names and the
// output path left out.
func buildCommand(t *testing.T, where, s string) []string {
	t.Helper()
	s = strings.ReplaceAll(s, "$(GO)", "go")
	s = varRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := varRef.FindStringSubmatch(m)
		return sub[1] + sub[2] + sub[3]
	})
	words := shellWords(s)
	start := slices.Index(words, "CGO_ENABLED=0")
	if start < 0 || start+2 >= len(words) || words[start+1] != "go" || words[start+2] != "build" {
		t.Fatalf("%s: no `CGO_ENABLED=0 go build` command in %q", where, s)
	}
	var out []string
	for i := start; i < len(words) && words[i] != "&&"; i++ {
		if words[i] == "-o" {
			i++
			continue
		}
		out = append(out, words[i])
	}
	return out
}

// shellWords splits s into words, keeping double-quoted text together.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// makeRecipe returns the command lines of a Makefile target.
func makeRecipe(t *testing.T, target string) []string {
	t.Helper()
	var recipe []string
	in := false
	for _, line := range strings.Split(readFile(t, repoPath("Makefile")), "\n") {
		switch {
		case strings.HasPrefix(line, target+":"):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			recipe = append(recipe, strings.TrimSpace(line))
		case in:
			in = false
		}
	}
	if len(recipe) == 0 {
		t.Fatalf("the Makefile has no recipe for %s", target)
	}
	return recipe
}

func TestMakefileHasTheStandardTargets(t *testing.T) {
	t.Parallel()
	for target, want := range map[string]string{
		"test":   "go test ./... -count=1",
		"vet":    "go vet ./...",
		"bench":  "go run ./cmd/vodq bench",
		"docker": "docker build --build-arg VERSION=$(VERSION)",
	} {
		got := strings.ReplaceAll(strings.Join(makeRecipe(t, target), "\n"), "$(GO)", "go")
		if !strings.Contains(got, want) {
			t.Errorf("make %s runs %q, want it to run %q", target, got, want)
		}
	}
}
