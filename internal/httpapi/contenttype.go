package httpapi

import (
	"fmt"
	"mime"
	"net/http"
)

// requireJSON refuses a request whose body is not declared as JSON, before
// next reads it.
//
// A page of another origin can make a browser send a body without asking
// the server first only as text/plain or as form data; to send
// application/json it must ask first (a CORS preflight), which this server
// never grants. So insisting on the type keeps such pages out even where
// the origin checks do not reach. It also catches a client that sends form
// data by mistake, as curl -d does when no type is given.
func requireJSON(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if e := checkJSONType(r.Header.Get("Content-Type")); e != nil {
			writeError(w, e, nil)
			return
		}
		next(w, r)
	}
}

// checkJSONType accepts application/json with any parameters: JSON is
// UTF-8 whatever a charset parameter says, so there is nothing to check in
// them.
func checkJSONType(v string) *apiError {
	if mt, _, err := mime.ParseMediaType(v); err == nil && mt == "application/json" {
		return nil
	}
	got := "none"
	if v != "" {
		got = fmt.Sprintf("%q", v)
	}
	return &apiError{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType,
		Field: "Content-Type",
		Message: "send the body with the header Content-Type: application/json " +
			"(with curl: -H 'Content-Type: application/json'); " +
			"this request's Content-Type is " + got}
}
