package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

func TestPostBodiesNeedTheJSONContentType(t *testing.T) {
	t.Parallel()
	f := setup(t)
	job := `{"FunctionName":"f","FunctionArg":"a"}`
	bodies := map[string]string{"/v1/jobs": job, "/v1/jobs:batch": `{"jobs":[` + job + `]}`}
	tests := []struct {
		contentType string
		ok          bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON;charset=UTF-8", true},
		{"", false},
		{"text/plain", false},
		{"application/x-www-form-urlencoded", false}, // curl -d without -H
		{"multipart/form-data; boundary=x", false},
		{"application/jsonp", false},
		{"application/json, text/plain", false},
	}
	for path, body := range bodies {
		for _, tt := range tests {
			t.Run(path+" with "+tt.contentType, func(t *testing.T) {
				hdr := map[string]string{"Authorization": "Bearer " + f.token}
				if tt.contentType != "" {
					hdr["Content-Type"] = tt.contentType
				}
				a := f.callWith(t, "POST", path, body, hdr)
				if tt.ok {
					if a.status != http.StatusCreated && a.status != http.StatusOK {
						t.Errorf("status = %d, want 201 or 200: %s", a.status, a.body)
					}
					return
				}
				e := a.apiErr(t, http.StatusUnsupportedMediaType)
				if e.Error.Code != CodeUnsupportedMediaType || e.Error.Field != "Content-Type" {
					t.Errorf("error = %+v, want code %s field Content-Type",
						e.Error, CodeUnsupportedMediaType)
				}
				if !strings.Contains(e.Error.Message, "Content-Type: application/json") {
					t.Errorf("message = %q, want it to name the header to send", e.Error.Message)
				}
			})
		}
	}

	// The token comes first: a caller without one learns nothing more.
	f.callWith(t, "POST", "/v1/jobs", job, map[string]string{"Content-Type": "text/plain"}).
		apiErr(t, http.StatusUnauthorized)
}
