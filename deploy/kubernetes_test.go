package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const k8sDir = "kubernetes"

// The parts of the Kubernetes objects the tests read.
type (
	meta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	object struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   meta              `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
		StringData map[string]string `yaml:"stringData"`
		Spec       yaml.Node         `yaml:"spec"`
		file       string
	}
	deploymentSpec struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata meta    `yaml:"metadata"`
			Spec     podSpec `yaml:"spec"`
		} `yaml:"template"`
	}
	podSpec struct {
		TerminationGracePeriodSeconds *int `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
	}
	container struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Args    []string `yaml:"args"`
		Env     []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom any    `yaml:"valueFrom"`
		} `yaml:"env"`
		EnvFrom []struct {
			ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
			SecretRef    *struct{ Name string } `yaml:"secretRef"`
		} `yaml:"envFrom"`
		Ports          []containerPort `yaml:"ports"`
		ReadinessProbe *probe          `yaml:"readinessProbe"`
		LivenessProbe  *probe          `yaml:"livenessProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
	}
	containerPort struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	}
	probe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
	}
	serviceSpec struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Port       int `yaml:"port"`
			TargetPort any `yaml:"targetPort"`
		} `yaml:"ports"`
	}
	pdbSpec struct {
		MaxUnavailable any `yaml:"maxUnavailable"`
		MinAvailable   any `yaml:"minAvailable"`
		Selector       struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
	}
	kustomization struct {
		Resources []string    `yaml:"resources"`
		Images    []kustImage `yaml:"images"`
	}
	kustImage struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	}
)

// manifests holds the objects kustomization.yaml applies, and the example
// Secret it deliberately leaves out.
type manifests struct {
	kust    kustomization
	objects []object
	secret  object
}

func readManifests(t *testing.T) manifests {
	t.Helper()
	var m manifests
	kust := readFile(t, filepath.Join(k8sDir, "kustomization.yaml"))
	if err := yaml.Unmarshal([]byte(kust), &m.kust); err != nil {
		t.Fatalf("parse kustomization.yaml: %v", err)
	}
	for _, r := range m.kust.Resources {
		m.objects = append(m.objects, readObjects(t, filepath.Join(k8sDir, r))...)
	}
	secrets := readObjects(t, filepath.Join(k8sDir, "secret.example.yaml"))
	if len(secrets) != 1 || secrets[0].Kind != "Secret" {
		t.Fatalf("secret.example.yaml holds %d objects, want one Secret", len(secrets))
	}
	m.secret = secrets[0]
	return m
}

func readObjects(t *testing.T, path string) []object {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader([]byte(readFile(t, path))))
	var out []object
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
			t.Errorf("%s: an object lacks apiVersion, kind or metadata.name", path)
		}
		o.file = path
		out = append(out, o)
	}
}

// find returns the object of kind named name.
func (m manifests) find(t *testing.T, kind, name string) object {
	t.Helper()
	for _, o := range m.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	t.Fatalf("kustomization.yaml applies no %s named %s", kind, name)
	return object{}
}

func (m manifests) all(kind string) []object {
	var out []object
	for _, o := range m.objects {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func decodeSpec[T any](t *testing.T, o object) T {
	t.Helper()
	var spec T
	if err := o.Spec.Decode(&spec); err != nil {
		t.Fatalf("%s: decode the spec of %s %s: %v", o.file, o.Kind, o.Metadata.Name, err)
	}
	return spec
}

// The kustomization applies every manifest of the directory except the
// example Secret, which would overwrite real credentials with placeholders.
func TestKustomizationListsEveryManifest(t *testing.T) {
	t.Parallel()
	m := readManifests(t)
	entries, err := os.ReadDir(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".yaml") || name == "kustomization.yaml" || name == "secret.example.yaml" {
			continue
		}
		if !slices.Contains(m.kust.Resources, name) {
			t.Errorf("kustomization.yaml does not apply %s", name)
		}
	}
	if slices.Contains(m.kust.Resources, "secret.example.yaml") {
		t.Errorf("kustomization.yaml applies secret.example.yaml; " +
			"its placeholders would replace real credentials")
	}
	for _, kind := range []string{"ConfigMap", "Deployment", "Service", "PodDisruptionBudget"} {
		if len(m.all(kind)) == 0 {
			t.Errorf("no %s among the manifests", kind)
		}
	}
}

// Each Deployment runs the one vodq image with a real subcommand, reads
// settings vodq knows from objects that exist, and is probed on the port
// its address variable names.
func TestKubernetesDeploymentsMatchTheBinary(t *testing.T) {
	t.Parallel()
	h := vodqHelp(t)
	m := readManifests(t)
	config := m.find(t, "ConfigMap", "vodq-config")

	for _, tc := range []struct {
		name, command, addrVar string
	}{
		{"vodq-worker", "worker", "VODQ_WORKER_ADDR"},
		{"vodq-serve", "serve", "VODQ_HTTP_ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := m.find(t, "Deployment", tc.name)
			spec := decodeSpec[deploymentSpec](t, d)
			if len(spec.Template.Spec.Containers) != 1 {
				t.Fatalf("%d containers, want 1", len(spec.Template.Spec.Containers))
			}
			c := spec.Template.Spec.Containers[0]

			if !slices.ContainsFunc(m.kust.Images, func(i kustImage) bool { return i.Name == c.Image }) {
				t.Errorf("image %q is not one kustomization.yaml sets", c.Image)
			}
			if len(c.Command) > 0 {
				t.Errorf("command %q replaces the image's entrypoint /vodq", c.Command)
			}
			if len(c.Args) == 0 || c.Args[0] != tc.command || !h.commands[c.Args[0]] {
				t.Errorf("args %q, want the subcommand %s", c.Args, tc.command)
			}
			for k, v := range spec.Selector.MatchLabels {
				if spec.Template.Metadata.Labels[k] != v {
					t.Errorf("selector %s=%s does not match the pod labels %v",
						k, v, spec.Template.Metadata.Labels)
				}
			}

			env := settingsOf(t, h, m, config, c)
			addr, ok := env[tc.addrVar]
			if !ok {
				t.Fatalf("%s is not set: it defaults to loopback, which probes cannot reach", tc.addrVar)
			}
			port := checkListenAddr(t, tc.name, tc.addrVar, addr)
			checkProbe(t, c, "readinessProbe", c.ReadinessProbe, "/readyz", port)
			checkProbe(t, c, "livenessProbe", c.LivenessProbe, "/healthz", port)
			if env["VODQ_OPEN_METRICS"] == "false" {
				t.Errorf("VODQ_OPEN_METRICS is false: the probes, which send no token, would fail")
			}

			checkSecurity(t, spec.Template.Spec, c)
			if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" ||
				c.Resources.Limits["memory"] == "" {
				t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
			}
			if soft, ok := env["GOMEMLIMIT"]; ok {
				s, l := mebibytes(t, soft, "MiB"), mebibytes(t, c.Resources.Limits["memory"], "Mi")
				if s >= l {
					t.Errorf("GOMEMLIMIT %s is not below the memory limit %s",
						soft, c.Resources.Limits["memory"])
				}
			}

			if tc.command == "worker" {
				grace := spec.Template.Spec.TerminationGracePeriodSeconds
				d := shutdownTimeout(t, h, env)
				if grace == nil || time.Duration(*grace)*time.Second <= d+recordGrace {
					t.Errorf("terminationGracePeriodSeconds %v is not above VODQ_SHUTDOWN_TIMEOUT %s plus %s: "+
						"Kubernetes would kill workers before they drain", deref(grace), d, recordGrace)
				}
				if spec.Replicas < 2 {
					t.Errorf("%d worker replicas, want at least 2", spec.Replicas)
				}
			}
			if tc.command == "serve" && env["VODQ_API_TOKENS"] == "" && env["VODQ_API_TOKENS_FILE"] == "" {
				t.Errorf("serve listens on %s with no VODQ_API_TOKENS from the Secret: "+
					"it would refuse to start", addr)
			}
		})
	}
}

// settingsOf returns the environment the container gets: the ConfigMap
// and the Secret it loads, then its own env entries on top. It checks that
// the objects it refers to exist and that every VODQ_* name is known.
func settingsOf(t *testing.T, h help, m manifests, config object, c container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			if from.ConfigMapRef.Name != config.Metadata.Name {
				t.Errorf("envFrom names ConfigMap %q; the manifests define %q",
					from.ConfigMapRef.Name, config.Metadata.Name)
			}
			for k, v := range config.Data {
				env[k] = v
			}
		case from.SecretRef != nil:
			if from.SecretRef.Name != m.secret.Metadata.Name {
				t.Errorf("envFrom names Secret %q; secret.example.yaml defines %q",
					from.SecretRef.Name, m.secret.Metadata.Name)
			}
			for k, v := range m.secret.StringData {
				env[k] = v
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
		if strings.HasPrefix(e.Name, "VODQ_") && !h.known(e.Name) {
			t.Errorf("env %s is not a variable vodq help lists", e.Name)
		}
	}
	return env
}

func checkProbe(t *testing.T, c container, what string, p *probe, path, port string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("no %s with httpGet", what)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s path %q, want %s", what, p.HTTPGet.Path, path)
	}
	got := ""
	switch v := p.HTTPGet.Port.(type) {
	case int:
		got = strconv.Itoa(v)
	case string:
		for _, cp := range c.Ports {
			if cp.Name == v {
				got = strconv.Itoa(cp.ContainerPort)
			}
		}
		if got == "" {
			t.Errorf("%s port %q names no container port", what, v)
			return
		}
	}
	if got != port {
		t.Errorf("%s probes port %s; the server listens on %s", what, got, port)
	}
}

func checkSecurity(t *testing.T, pod podSpec, c container) {
	t.Helper()
	sc := c.SecurityContext
	switch {
	case pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot:
		t.Errorf("the pod does not require a non-root user (runAsNonRoot)")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("the container's root filesystem is writable")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("the container allows privilege escalation")
	case !slices.Contains(sc.Capabilities.Drop, "ALL"):
		t.Errorf("the container keeps Linux capabilities: drop %v", sc.Capabilities.Drop)
	}
}

// mebibytes reads a quantity written as a number of MiB with the given
// suffix, such as "230MiB" (GOMEMLIMIT) or "256Mi" (Kubernetes).
func mebibytes(t *testing.T, q, suffix string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSuffix(q, suffix))
	if err != nil || !strings.HasSuffix(q, suffix) {
		t.Fatalf("memory quantity %q: want a whole number of %s", q, suffix)
	}
	return n
}

func deref(p *int) string {
	if p == nil {
		return "(unset, 30)"
	}
	return strconv.Itoa(*p)
}

// The Service and the disruption budgets select the pods they mean to.
func TestKubernetesSelectorsFindTheirPods(t *testing.T) {
	t.Parallel()
	m := readManifests(t)
	pods := map[string]deploymentSpec{}
	for _, d := range m.all("Deployment") {
		pods[d.Metadata.Name] = decodeSpec[deploymentSpec](t, d)
	}
	selects := func(sel map[string]string) []string {
		var names []string
		for name, spec := range pods {
			match := len(sel) > 0
			for k, v := range sel {
				match = match && spec.Template.Metadata.Labels[k] == v
			}
			if match {
				names = append(names, name)
			}
		}
		return names
	}

	for _, o := range m.all("Service") {
		spec := decodeSpec[serviceSpec](t, o)
		got := selects(spec.Selector)
		if len(got) != 1 {
			t.Errorf("Service %s selects the pods of %v, want exactly one Deployment", o.Metadata.Name, got)
			continue
		}
		c := pods[got[0]].Template.Spec.Containers[0]
		for _, p := range spec.Ports {
			target := fmt.Sprint(p.TargetPort)
			if !slices.ContainsFunc(c.Ports, func(cp containerPort) bool {
				return cp.Name == target || strconv.Itoa(cp.ContainerPort) == target
			}) {
				t.Errorf("Service %s targets port %s, which %s does not expose",
					o.Metadata.Name, target, got[0])
			}
		}
	}

	budgets := map[string]bool{}
	for _, o := range m.all("PodDisruptionBudget") {
		spec := decodeSpec[pdbSpec](t, o)
		got := selects(spec.Selector.MatchLabels)
		if len(got) != 1 {
			t.Errorf("PodDisruptionBudget %s selects the pods of %v, want exactly one Deployment",
				o.Metadata.Name, got)
			continue
		}
		budgets[got[0]] = true
		if (spec.MaxUnavailable == nil) == (spec.MinAvailable == nil) {
			t.Errorf("PodDisruptionBudget %s: set exactly one of maxUnavailable and minAvailable",
				o.Metadata.Name)
		}
	}
	for name := range pods {
		if !budgets[name] {
			t.Errorf("Deployment %s has no PodDisruptionBudget", name)
		}
	}
}

// The ConfigMap and the example Secret together are settings vodq accepts,
// and the Secret names every secret the Deployments need.
func TestKubernetesSettingsAreAccepted(t *testing.T) {
	h := vodqHelp(t)
	m := readManifests(t)
	config := m.find(t, "ConfigMap", "vodq-config")
	env := map[string]string{}
	for _, src := range []map[string]string{config.Data, m.secret.StringData} {
		for k, v := range src {
			if strings.HasPrefix(k, "VODQ_") && !h.known(k) {
				t.Errorf("%s is not a variable vodq help lists", k)
			}
			env[k] = v
		}
	}
	for _, k := range []string{"TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "VODQ_API_TOKENS"} {
		if _, ok := m.secret.StringData[k]; !ok {
			t.Errorf("secret.example.yaml lacks %s", k)
		}
		if _, ok := config.Data[k]; ok {
			t.Errorf("the ConfigMap holds %s, a secret", k)
		}
	}
	for k := range env {
		if !strings.HasPrefix(k, "VODQ_") {
			delete(env, k)
		}
	}
	validateSettings(t, "ConfigMap vodq-config with secret.example.yaml", env)
}
