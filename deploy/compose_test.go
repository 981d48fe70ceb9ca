package deploy_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// composeFile is the part of compose.yaml the tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image           string            `yaml:"image"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	EnvFile         any               `yaml:"env_file"`
	Ports           []string          `yaml:"ports"`
	Profiles        []string          `yaml:"profiles"`
	Volumes         []string          `yaml:"volumes"`
	ReadOnly        bool              `yaml:"read_only"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	Deploy          struct {
		Replicas string `yaml:"replicas"`
	} `yaml:"deploy"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal([]byte(readFile(t, "compose.yaml")), &c); err != nil {
		t.Fatalf("parse compose.yaml: %v", err)
	}
	return c
}

var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}`)

// interpolate resolves ${NAME} and ${NAME:-default} as Compose would with
// env as the .env file.
func interpolate(s string, env map[string]string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		sub := interpolation.FindStringSubmatch(m)
		if v, ok := env[sub[1]]; ok && v != "" {
			return v
		}
		return sub[2]
	})
}

// vodqServices are the services that run the vodq image.
var vodqServices = []string{"worker", "serve", "emulator"}

func TestComposeRedisKeepsWhatItIsGiven(t *testing.T) {
	t.Parallel()
	c := readCompose(t)
	redis, ok := c.Services["redis"]
	if !ok {
		t.Fatal("compose.yaml has no redis service")
	}
	if !strings.HasPrefix(redis.Image, "redis:7") {
		t.Errorf("redis image %q, want Redis 7 (redis:7...)", redis.Image)
	}
	for _, pair := range [][2]string{{"--appendonly", "yes"}, {"--maxmemory-policy", "noeviction"}} {
		i := slices.Index(redis.Command, pair[0])
		if i < 0 || i+1 >= len(redis.Command) || redis.Command[i+1] != pair[1] {
			t.Errorf("redis command %q lacks %s %s", redis.Command, pair[0], pair[1])
		}
	}
	if !slices.ContainsFunc(redis.Volumes, func(v string) bool { return strings.HasSuffix(v, ":/data") }) {
		t.Errorf("redis keeps /data (the AOF) in no volume: %v", redis.Volumes)
	}
	for _, name := range []string{"worker", "serve"} {
		if c.Services[name].DependsOn["redis"].Condition != "service_healthy" {
			t.Errorf("%s does not wait for redis to be healthy", name)
		}
	}
}

func TestComposeServicesRunRealSubcommands(t *testing.T) {
	t.Parallel()
	h := vodqHelp(t)
	c := readCompose(t)
	image := c.Services["worker"].Image
	for _, name := range vodqServices {
		s, ok := c.Services[name]
		if !ok {
			t.Errorf("compose.yaml has no %s service", name)
			continue
		}
		if len(s.Command) == 0 || !h.commands[s.Command[0]] {
			t.Errorf("service %s runs %q, not a vodq subcommand", name, s.Command)
		}
		if s.Image != image {
			t.Errorf("service %s runs image %q, want the one image %q", name, s.Image, image)
		}
		if s.EnvFile != ".env" {
			t.Errorf("service %s reads env_file %v, want .env (deploy/.env, gitignored)", name, s.EnvFile)
		}
		if !s.ReadOnly {
			t.Errorf("service %s has a writable root filesystem", name)
		}
		for k := range s.Environment {
			if strings.HasPrefix(k, "VODQ_") && !h.known(k) {
				t.Errorf("service %s sets %s, which vodq help does not list", name, k)
			}
		}
	}
	if p := c.Services["emulator"].Profiles; !slices.Contains(p, "emulator") {
		t.Errorf("the emulator is not behind the emulator profile: profiles %v", p)
	}
	for _, name := range []string{"redis", "worker", "serve"} {
		if len(c.Services[name].Profiles) > 0 {
			t.Errorf("service %s is behind profiles %v; it should always run", name, c.Services[name].Profiles)
		}
	}
}

func TestComposeWorkersScaleOutAndDrain(t *testing.T) {
	t.Parallel()
	h := vodqHelp(t)
	c := readCompose(t)
	env := envMap(readEnvFile(t, "env.example"))
	w := c.Services["worker"]

	replicas, err := strconv.Atoi(interpolate(w.Deploy.Replicas, env))
	if err != nil || replicas < 2 {
		t.Errorf("worker deploy.replicas %q resolves to %d (%v), want 2 or more",
			w.Deploy.Replicas, replicas, err)
	}
	checkListenAddr(t, "compose worker", "VODQ_WORKER_ADDR", w.Environment["VODQ_WORKER_ADDR"])

	grace, err := time.ParseDuration(w.StopGracePeriod)
	if err != nil {
		t.Fatalf("worker stop_grace_period %q: %v", w.StopGracePeriod, err)
	}
	for _, file := range []string{"env.example", "env.emulator.example"} {
		env := envMap(readEnvFile(t, file))
		if d := shutdownTimeout(t, h, env); grace <= d+recordGrace {
			t.Errorf("worker stop_grace_period %s is not above VODQ_SHUTDOWN_TIMEOUT %s of %s plus %s: "+
				"Docker would kill workers before they drain", grace, d, file, recordGrace)
		}
	}
}

func TestComposeServePublishesTheUIWithAToken(t *testing.T) {
	t.Parallel()
	c := readCompose(t)
	s := c.Services["serve"]
	addr := s.Environment["VODQ_HTTP_ADDR"]
	port := checkListenAddr(t, "compose serve", "VODQ_HTTP_ADDR", addr)

	published := false
	for _, p := range s.Ports {
		p = interpolate(p, envMap(readEnvFile(t, "env.example")))
		if i := strings.LastIndex(p, ":"); i >= 0 && p[i+1:] == port {
			published = true
		}
	}
	if !published {
		t.Errorf("serve listens on %s but publishes %v, not container port %s", addr, s.Ports, port)
	}
	// A non-loopback address makes serve refuse to start without a token.
	for _, file := range []string{"env.example", "env.emulator.example"} {
		if envMap(readEnvFile(t, file))["VODQ_API_TOKENS"] == "" {
			t.Errorf("%s sets no VODQ_API_TOKENS: serve on %s would refuse to start", file, addr)
		}
	}
}

// Offline trials: env.emulator.example switches the profile on and points
// the workers at the emulator service's port.
func TestComposeEmulatorProfileIsWiredUp(t *testing.T) {
	t.Parallel()
	c := readCompose(t)
	cmd := c.Services["emulator"].Command
	i := slices.Index(cmd, "-addr")
	if i < 0 || i+1 >= len(cmd) {
		t.Fatalf("emulator command %q has no -addr", cmd)
	}
	host, port, err := net.SplitHostPort(cmd[i+1])
	if err != nil || host != "0.0.0.0" {
		t.Errorf("emulator listens on %q, want 0.0.0.0:PORT so the workers reach it", cmd[i+1])
	}

	env := envMap(readEnvFile(t, "env.emulator.example"))
	want := map[string]string{
		"COMPOSE_PROFILES": "emulator",
		"VODQ_ENDPOINT":    "emulator:" + port,
		"VODQ_SCHEME":      "http",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env.emulator.example sets %s=%q, want %q", k, env[k], v)
		}
	}
	prod := envMap(readEnvFile(t, "env.example"))
	if prod["VODQ_SCHEME"] != "https" || strings.Contains(prod["VODQ_ENDPOINT"], "emulator") {
		t.Errorf("env.example points at %s://%s, want Tencent Cloud over https",
			prod["VODQ_SCHEME"], prod["VODQ_ENDPOINT"])
	}
}

// Each env file example, as the containers would see it with their
// compose environment on top, is a configuration vodq accepts; and every
// ${NAME} of compose.yaml is set in the example, so nothing is guessed.
func TestComposeEnvExamplesAreAccepted(t *testing.T) {
	h := vodqHelp(t)
	c := readCompose(t)
	raw := readFile(t, "compose.yaml")
	for _, file := range []string{"env.example", "env.emulator.example"} {
		lines := readEnvFile(t, file)
		env := envMap(lines)
		for _, l := range lines {
			if strings.HasPrefix(l.key, "VODQ_") && !h.known(l.key) {
				t.Errorf("%s:%d sets %s, which vodq help does not list", file, l.line, l.key)
			}
		}
		for _, m := range interpolation.FindAllStringSubmatch(raw, -1) {
			if _, ok := env[m[1]]; !ok {
				t.Errorf("compose.yaml uses ${%s}, which %s does not set", m[1], file)
			}
		}
		for _, name := range []string{"worker", "serve"} {
			merged := map[string]string{}
			for k, v := range env {
				if strings.HasPrefix(k, "VODQ_") {
					merged[k] = v
				}
			}
			for k, v := range c.Services[name].Environment {
				merged[k] = v
			}
			validateSettings(t, file+" with the "+name+" service's environment", merged)
		}
	}
}

// `docker compose config` validates the file against the Compose
// Specification; it needs the client's compose plugin, not an engine.
func TestComposeConfigAcceptsTheFile(t *testing.T) {
	t.Parallel()
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker is not installed; compose.yaml was checked by parsing only")
	}
	if out, err := exec.Command(docker, "compose", "version").CombinedOutput(); err != nil {
		t.Skipf("docker has no compose plugin (%s); compose.yaml was checked by parsing only",
			strings.TrimSpace(string(out)))
	}
	for _, example := range []string{"env.example", "env.emulator.example"} {
		// A copy beside its own .env, so the check needs no deploy/.env.
		dir := t.TempDir()
		for src, dst := range map[string]string{"compose.yaml": "compose.yaml", example: ".env"} {
			if err := os.WriteFile(filepath.Join(dir, dst), []byte(readFile(t, src)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(docker, "compose", "-f", filepath.Join(dir, "compose.yaml"), "config", "--quiet")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("docker compose config with %s refused compose.yaml: %v\n%s", example, err, out)
		}
	}
}

// checkListenAddr checks that addr, the value of variable name, listens on
// every interface (so the orchestrator and other containers reach it), and
// returns its port.
func checkListenAddr(t *testing.T, where, name, addr string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s: %s=%q is not host:port: %v", where, name, addr, err)
		return ""
	}
	if host != "0.0.0.0" && host != "" {
		t.Errorf("%s: %s=%q listens on %s only; probes and peers could not reach it", where, name, addr, host)
	}
	return port
}
