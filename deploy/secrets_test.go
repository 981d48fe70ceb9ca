package deploy_test

import (
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vodq/vodq/internal/cli"
)

// placeholder reports whether v is obviously not a real secret: empty, a
// "replace-me", an ellipsis, a <name>, a name in capitals such as
// PASSWORD, a variable reference, or the emulator's built-in pair, which
// opens nothing but the emulator.
func placeholder(v string) bool {
	v = strings.Trim(v, `"'`)
	switch {
	case v == "", v == "...", v == "…", strings.HasPrefix(v, "replace-me"),
		strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">"),
		capitalName.MatchString(v),
		strings.HasPrefix(v, "$"),
		v == cli.EmulatorSecretID, v == cli.EmulatorSecretKey:
		return true
	}
	return false
}

var capitalName = regexp.MustCompile(`^[A-Z][A-Z-]*(PASSWORD|SECRET|TOKEN|KEY)[A-Z-]*$`)

// secretName matches variable names whose value is a secret.
var secretName = regexp.MustCompile(`SECRET|TOKEN|PASSWORD|PASSWD|_KEY$`)

// Patterns of real secrets: a Tencent Cloud SecretId, a PEM private key, a
// long hex string (such as `openssl rand -hex 32` makes), and long mixed
// strings of letters and digits.
var (
	secretIDPattern = regexp.MustCompile(`AKID[0-9A-Za-z]{32}`)
	privateKey      = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)
	longHex         = regexp.MustCompile(`\b[0-9a-fA-F]{32,}\b`)
	longToken       = regexp.MustCompile(`[A-Za-z0-9+/_=-]{32,}`)
	redisURL        = regexp.MustCompile(`rediss?://[^\s"'<>]+`)
)

// No committed deployment file holds something that looks like a real
// secret. deploy/.env, which holds the real ones, is gitignored and never
// read here.
func TestNoRealSecretsAreCommitted(t *testing.T) {
	t.Parallel()
	for _, path := range deployFiles(t) {
		text := readFile(t, path)
		for i, line := range strings.Split(text, "\n") {
			where := path + ":" + strconv.Itoa(i+1)
			for _, re := range []*regexp.Regexp{secretIDPattern, privateKey, longHex} {
				if m := re.FindString(line); m != "" {
					t.Errorf("%s: %q looks like a real secret", where, m)
				}
			}
			for _, m := range longToken.FindAllString(line, -1) {
				if mixed(m) {
					t.Errorf("%s: %q looks like a key or token", where, m)
				}
			}
			for _, m := range redisURL.FindAllString(line, -1) {
				if u, err := url.Parse(m); err == nil {
					if pw, ok := u.User.Password(); ok && !placeholder(pw) {
						t.Errorf("%s: the Redis URL %s carries a password", where, m)
					}
				}
			}
		}
	}
}

// Every secret variable in the env file examples and the example Secret
// holds a placeholder.
func TestSecretValuesArePlaceholders(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"env.example", "env.emulator.example"} {
		for _, l := range readEnvFile(t, file) {
			if secretName.MatchString(l.key) && !placeholder(l.value) {
				t.Errorf("%s:%d: %s=%q is not a placeholder", file, l.line, l.key, l.value)
			}
		}
	}
	for _, o := range readObjects(t, filepath.Join(k8sDir, "secret.example.yaml")) {
		for k, v := range o.StringData {
			if secretName.MatchString(k) && !placeholder(v) {
				t.Errorf("secret.example.yaml: %s=%q is not a placeholder", k, v)
			}
		}
		for k, v := range o.Data {
			t.Errorf("secret.example.yaml: data.%s=%q; write placeholders under stringData", k, v)
		}
	}
}

// mixed reports whether s mixes lower case, upper case and digits, as
// generated keys do and words do not.
func mixed(s string) bool {
	var lower, upper, digit bool
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return lower && upper && digit
}
