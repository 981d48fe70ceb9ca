package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestABrowserFindsASubmittedJobInTheUI(t *testing.T) {
	t.Parallel()
	b := startBrowser(t)
	f := setup(t)
	startWorker(t, f)
	// The UI shortens IDs at their first "-" (it expects UUIDs), so this one
	// has none.
	const id = "browserjob7"
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"echo",`+
		`"FunctionArg":"{\"clip\":\"clip-7\",\"op\":\"transcode\"}","job_id":"`+id+`"}`).
		expect(t, http.StatusCreated)
	job := f.call(t, "GET", "/v1/jobs/"+id+"?wait=20s", "").job(t, http.StatusOK)
	if job.Outcome == nil {
		t.Fatalf("job did not succeed: %+v", job)
	}

	// The token goes in once; the server trades it for a cookie and sends
	// the browser on without it.
	b.open(f.url + "/ui/queues/default?status=completed&token=" + f.token)
	if u := b.currentURL(); strings.Contains(u, "token=") {
		t.Errorf("the token stayed in the address: %s", u)
	}
	waitForText(t, b, id, job.Outcome.RequestId)
	for _, p := range saveScreenshot(t, "ui-completed.png", checkPNG(t, b.screenshot())) {
		t.Logf("screenshot of the queue: %s", p)
	}

	b.open(f.url + "/ui/queues/default/tasks/" + id)
	waitForText(t, b, id, job.Outcome.RequestId)
	for _, p := range saveScreenshot(t, "ui-task.png", checkPNG(t, b.screenshot())) {
		t.Logf("screenshot of the task: %s", p)
	}
}

// attackPage is a page of another origin that, as it loads, sends a
// no-CORS fetch that would submit a job, then posts a form that would pause
// the queue. %[1]s is the vodq server's URL.
const attackPage = `<!doctype html><title>another site</title>
<form id="pause" method="POST" enctype="text/plain"
	action="%[1]s/ui/api/queues/default:pause"><input type="hidden" name="a" value="b"></form>
<script>
fetch("%[1]s/v1/jobs", {method: "POST", mode: "no-cors",
	body: '{"FunctionName":"echo","FunctionArg":"csrf","job_id":"csrf-1"}'})
	.finally(() => document.getElementById("pause").submit());
</script>`

func TestAPageOfAnotherOriginCannotChangeWhatTheUICan(t *testing.T) {
	t.Parallel()
	b := startBrowser(t)
	f := setup(t, noTokens)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a","process_in":"1h"}`).
		expect(t, http.StatusCreated)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackPage, f.url)
	}))
	t.Cleanup(evil.Close)

	// The form's answer replaces the page once the fetch has had its own;
	// a 204 would leave the page as it is.
	b.open(evil.URL)
	waitForText(t, b, CodeForbidden)
	fams := scrape(t, f)
	if n, _ := value(fams["vodq_http_requests_total"],
		map[string]string{"route": "POST /v1/jobs", "status": "403"}); n != 1 {
		t.Errorf("%v submissions refused with 403, want the page's 1", n)
	}
	f.call(t, "GET", "/v1/jobs/csrf-1", "").apiErr(t, http.StatusNotFound)
	if paused(t, f, "default") {
		t.Fatal("the page of another origin paused the queue")
	}

	// The UI's own requests are same-origin: the one its pause button
	// sends goes through.
	b.open(f.url + "/ui/")
	var status int
	b.eval(`return fetch("/ui/api/queues/default:pause", {method: "POST"}).`+
		`then(r => r.status)`, &status)
	if p := paused(t, f, "default"); status != http.StatusNoContent || !p {
		t.Errorf("the UI's pause answered %d, paused %v; want 204 and paused", status, p)
	}
}

// waitForText waits until the page shows every one of texts.
func waitForText(t *testing.T, b *browser, texts ...string) {
	t.Helper()
	var page string
	deadline := time.Now().Add(20 * time.Second)
	for {
		page = b.text()
		missing := ""
		for _, s := range texts {
			if !strings.Contains(page, s) {
				missing = s
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			saveScreenshot(t, "failed.png", b.screenshot())
			t.Fatalf("the UI at %s never showed %q; it shows:\n%.3000s",
				b.currentURL(), missing, b.text())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func checkPNG(t *testing.T, b []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("the screenshot is not a PNG (%d bytes)", len(b))
	}
	return b
}
