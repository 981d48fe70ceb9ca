package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/redisconn"
)

// UIPath is where the web UI is mounted.
const UIPath = "/ui"

// uiPolicy is the Content-Security-Policy of the web UI. Its page links
// web fonts on a third-party host; the policy keeps the browser from
// fetching them, so that opening the UI tells no one else about it. The
// page has inline scripts and styles of its own, hence 'unsafe-inline'.
const uiPolicy = "default-src 'self'; script-src 'self' 'unsafe-inline'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// ui is the asynqmon web UI with vodq's job records folded in.
type ui struct {
	mon     http.Handler
	records *enqueue.Client
}

// newUI returns the web UI over rdb. The handler asynqmon returns is never
// closed: its Close would close rdb, which belongs to the caller.
func newUI(c *enqueue.Client, rdb redis.UniversalClient, readOnly bool) *ui {
	mon := asynqmon.New(asynqmon.Options{
		RootPath:         UIPath,
		RedisConnOpt:     redisconn.ConnOpt{Client: rdb},
		PayloadFormatter: asynqmon.PayloadFormatterFunc(formatBytes),
		ResultFormatter:  asynqmon.ResultFormatterFunc(formatBytes),
		ReadOnly:         readOnly,
	})
	return &ui{mon: mon, records: c}
}

// ServeHTTP serves the UI. Task listings that show a result get the job's
// stored outcome in that place (see withOutcomes).
func (u *ui) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", uiPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method == http.MethodGet && showsResult(r.URL.Path) {
		u.withOutcomes(w, r)
		return
	}
	u.mon.ServeHTTP(w, r)
}

// formatBytes shows a task's payload or result: JSON indented (a vodq
// payload is the request's JSON), other text as it is.
func formatBytes(_ string, b []byte) string {
	var out bytes.Buffer
	if json.Valid(b) && json.Indent(&out, b, "", "  ") == nil {
		return out.String()
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return "(" + strconv.Itoa(len(b)) + " bytes, not text)"
}
