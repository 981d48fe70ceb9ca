package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
)

// openAPIDoc is the part of the OpenAPI document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Required   []string                   `json:"required"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

type openAPIOperation struct {
	RequestBody *struct {
		Content map[string]struct {
			Examples map[string]struct {
				Value json.RawMessage `json:"value"`
			} `json:"examples"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]json.RawMessage `json:"responses"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Fatalf("openapi = %q, want 3.0.x", doc.OpenAPI)
	}
	return doc
}

// operations lists the document's operations as "METHOD /path" patterns,
// the form the server registers its routes in.
func (d openAPIDoc) operations() map[string]openAPIOperation {
	ops := map[string]openAPIOperation{}
	for path, item := range d.Paths {
		for method, raw := range item {
			if !slices.Contains(httpMethods, method) {
				continue // path-level parameters and the like
			}
			var op openAPIOperation
			_ = json.Unmarshal(raw, &op)
			ops[strings.ToUpper(method)+" "+path] = op
		}
	}
	return ops
}

func TestOpenAPIDocumentsExactlyTheRoutesServed(t *testing.T) {
	t.Parallel()
	f := setup(t)
	documented := loadOpenAPI(t).operations()

	for op := range documented {
		method, path, _ := strings.Cut(op, " ")
		url := strings.ReplaceAll(path, "{id}", "doc-check")
		_, pattern := f.srv.mux.Handler(httptest.NewRequest(method, url, nil))
		if pattern != op {
			t.Errorf("documented %s is routed to %q", op, pattern)
		}
	}
	var missing []string
	for _, route := range f.srv.routes {
		if _, ok := documented[route]; !ok && strings.Contains(route, " /v1/") {
			missing = append(missing, route)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.json: %v", missing)
	}

	a := f.call(t, "GET", "/v1/openapi.json", "")
	a.expect(t, http.StatusOK)
	if !bytes.Equal(a.body, OpenAPI) {
		t.Error("GET /v1/openapi.json does not serve the embedded document")
	}
}

func TestOpenAPIRequestExamplesAreAccepted(t *testing.T) {
	t.Parallel()
	f := setup(t)
	n := 0
	for op, spec := range loadOpenAPI(t).operations() {
		if spec.RequestBody == nil {
			continue
		}
		method, path, _ := strings.Cut(op, " ")
		for name, ex := range spec.RequestBody.Content["application/json"].Examples {
			n++
			a := f.call(t, method, path, string(ex.Value))
			if a.status != http.StatusCreated && a.status != http.StatusOK {
				t.Errorf("%s example %q: status %d: %s", op, name, a.status, a.body)
				continue
			}
			if _, ok := spec.Responses[itoa(a.status)]; !ok {
				t.Errorf("%s example %q: status %d is not documented", op, name, a.status)
			}
			if strings.HasSuffix(path, ":batch") && bytes.Contains(a.body, []byte(`"error"`)) {
				t.Errorf("%s example %q: a job was refused: %s", op, name, a.body)
			}
		}
	}
	if n < 2 {
		t.Errorf("found %d request examples, want some for each POST", n)
	}
}

func TestOpenAPISchemasMatchTheAnswers(t *testing.T) {
	t.Parallel()
	f := setup(t)
	schemas := loadOpenAPI(t).Components.Schemas

	check := func(name string, body []byte) {
		t.Helper()
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := schemas[name]
		for k := range obj {
			if _, ok := s.Properties[k]; !ok {
				t.Errorf("schema %s lacks the property %q of a real answer", name, k)
			}
		}
		for _, k := range s.Required {
			if _, ok := obj[k]; !ok {
				t.Errorf("a real %s answer lacks the required %q: %s", name, k, body)
			}
		}
	}
	job := f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a",`+
		`"SubAppId":7,"SessionId":"s","SessionContext":"c","ExtInfo":"e"}`)
	job.expect(t, http.StatusCreated)
	check("Job", job.body)
	var rec struct{ Request json.RawMessage }
	_ = json.Unmarshal(job.body, &rec)
	check("Request", rec.Request)

	bad := f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f"}`)
	check("Error", bad.body)
	var e struct{ Error json.RawMessage }
	_ = json.Unmarshal(bad.body, &e)
	check("ErrorDetail", e.Error)

	// Every error code the server can send is in the document's enum.
	var detail struct {
		Properties struct {
			Code struct {
				Enum []string `json:"enum"`
			} `json:"code"`
		} `json:"properties"`
	}
	raw, _ := json.Marshal(schemas["ErrorDetail"])
	_ = json.Unmarshal(raw, &detail)
	for _, c := range []string{CodeInvalidRequest, CodeUnauthorized, CodeForbidden, CodeNotFound,
		CodeConflict, CodeBodyTooLarge, CodeUnsupportedMediaType, CodeMethodNotAllowed,
		CodeUnavailable, CodeInternal} {
		if !slices.Contains(detail.Properties.Code.Enum, c) {
			t.Errorf("error code %s is not in the document", c)
		}
	}
}

func TestOpenAPIDocumentsTheRefusalsOfEveryOperation(t *testing.T) {
	t.Parallel()
	for op, spec := range loadOpenAPI(t).operations() {
		// The browser checks apply to every request, the content type to
		// every body.
		want := []string{"403"}
		if spec.RequestBody != nil {
			want = append(want, "415")
		}
		for _, status := range want {
			if _, ok := spec.Responses[status]; !ok {
				t.Errorf("%s does not document %s", op, status)
			}
		}
	}
}

func TestOpenAPIReferencesResolve(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !resolves(doc, ref) {
					t.Errorf("$ref %q does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

// resolves reports whether a local reference such as
// "#/components/schemas/Job" names a part of doc.
func resolves(doc map[string]any, ref string) bool {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}
