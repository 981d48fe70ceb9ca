package httpapi

import (
	"bytes"
	"net/http"
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
