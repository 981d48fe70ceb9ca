package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

func FuzzDecodeBatch(f *testing.F) {
	for _, s := range []string{`{"jobs":[{}]}`, `{"jobs":[]}`, `{"jobs":null}`, `[]`,
		`{"jobs":[1,"x",{"FunctionName":"f"}]}`, `{"jobs":[{}]} {}`, `{"jobs":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		jobs, e := decodeBatch(body)
		switch {
		case e == nil && (len(jobs) == 0 || len(jobs) > MaxBatch):
			t.Fatalf("accepted %d jobs", len(jobs))
		case e != nil && e.Status != http.StatusBadRequest:
			t.Fatalf("status %d", e.Status)
		case e != nil && (e.Code == "" || e.Message == ""):
			t.Fatalf("an error without code or message: %+v", e)
		case e != nil && strings.Contains(e.Message, "httpapi."):
			t.Fatalf("the message shows a Go type: %s", e.Message)
		}
	})
}

func FuzzParseWait(f *testing.F) {
	for _, s := range []string{"", "30s", "1m", "60", "61", "-1s", "1h", "x", "9999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, e := parseWait(v)
		if e == nil && (d < 0 || d > MaxWait) {
			t.Fatalf("parseWait(%q) = %s, outside 0 to %s", v, d, MaxWait)
		}
		if e != nil && e.Field != "wait" {
			t.Fatalf("parseWait(%q): field %q", v, e.Field)
		}
	})
}
