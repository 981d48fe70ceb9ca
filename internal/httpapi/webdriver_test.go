package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vodq/vodq/internal/redistest"
)

// This file drives headless Chromium through chromedriver's W3C WebDriver
// HTTP API: just the few commands the browser test needs, over net/http.

// browserFlags start Chromium quiet and local. The host resolver rule
// makes every host name unresolvable, so the browser reaches nothing but
// the loopback addresses the test gives it as IP literals.
var browserFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu",
	"--disable-background-networking", "--disable-component-update",
	"--disable-sync", "--no-first-run", "--disable-quic",
	"--no-default-browser-check", "--disable-extensions", "--disable-default-apps",
	"--disable-domain-reliability", "--no-pings",
	"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
	"--window-size=1600,1000",
}

// browser is one WebDriver session.
type browser struct {
	t       *testing.T
	base    string // chromedriver's URL
	session string
}

// findBrowser returns the paths of chromium and chromedriver, or skips the
// test when either is missing.
func findBrowser(t *testing.T) (chromium, driver string) {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	driver, _ = exec.LookPath("chromedriver")
	if chromium == "" || driver == "" {
		t.Skip("the browser test needs Chromium and chromedriver: " +
			"apt-get install -y chromium chromium-driver")
	}
	return chromium, driver
}

// startBrowser starts chromedriver on a free loopback port and opens a
// session with a fresh profile. Both end with the test.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	chromium, driver := findBrowser(t)
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(driver, "--port="+strconv.Itoa(port), "--allowed-ips=127.0.0.1",
		"--log-path="+filepath.Join(dir, "chromedriver.log"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromedriver: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	b := &browser{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	eventually(t, 10*time.Second, "chromedriver never became ready", func() bool {
		var status struct {
			Ready bool `json:"ready"`
		}
		return b.try("GET", "/status", nil, &status) == nil && status.Ready
	})

	profile := filepath.Join(dir, "profile")
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromium,
			"args":   slices.Concat(browserFlags, []string{"--user-data-dir=" + profile}),
		},
	}}}
	var session struct {
		SessionID string `json:"sessionId"`
	}
	b.do("POST", "/session", caps, &session)
	if session.SessionID == "" {
		t.Fatal("chromedriver opened no session")
	}
	b.session = "/session/" + session.SessionID
	t.Cleanup(func() { _ = b.try("DELETE", b.session, nil, nil) })
	return b
}

// open loads url in the browser.
func (b *browser) open(url string) {
	b.t.Helper()
	b.do("POST", b.session+"/url", map[string]string{"url": url}, nil)
}

// text returns the text the page shows.
func (b *browser) text() string {
	b.t.Helper()
	var s string
	b.eval("return document.body.innerText", &s)
	return s
}

// eval runs script in the page and decodes what it returns into out. When
// that is a promise, WebDriver waits for it to settle.
func (b *browser) eval(script string, out any) {
	b.t.Helper()
	b.do("POST", b.session+"/execute/sync",
		map[string]any{"script": script, "args": []any{}}, out)
}

// currentURL returns the address the page is at.
func (b *browser) currentURL() string {
	b.t.Helper()
	var s string
	b.do("GET", b.session+"/url", nil, &s)
	return s
}

// screenshot returns a PNG of the window.
func (b *browser) screenshot() []byte {
	b.t.Helper()
	var s string
	b.do("GET", b.session+"/screenshot", nil, &s)
	png, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b.t.Fatalf("decode screenshot: %v", err)
	}
	return png
}

func (b *browser) do(method, path string, in, out any) {
	b.t.Helper()
	if err := b.try(method, path, in, out); err != nil {
		b.t.Fatal(err)
	}
}

// try sends one WebDriver command; out receives the answer's value.
func (b *browser) try(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		j, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("webdriver %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("webdriver %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webdriver %s %s: %s: %.500s", method, path, resp.Status, raw)
	}
	if out == nil {
		return nil
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("webdriver %s %s: %w", method, path, err)
	}
	return json.Unmarshal(env.Value, out)
}

// saveScreenshot writes png under name to the test's directory and, when
// VODQ_SCREENSHOT_DIR is set, there too. It returns the paths written.
func saveScreenshot(t *testing.T, name string, png []byte) []string {
	t.Helper()
	dirs := []string{t.TempDir()}
	if d := os.Getenv("VODQ_SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("VODQ_SCREENSHOT_DIR: %v", err)
		}
		dirs = append(dirs, d)
	}
	var paths []string
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatalf("save screenshot: %v", err)
		}
		paths = append(paths, p)
	}
	return paths
}
