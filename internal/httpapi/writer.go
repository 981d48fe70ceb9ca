package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
)

func itoa(n int) string { return strconv.Itoa(n) }

// statusWriter remembers the status of an answer, for the request metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// muxErrorWriter turns the ServeMux's plain-text 404 and 405 answers into
// the API's JSON errors. The mux sets the Allow header of a 405 before it
// writes the status, so that header passes through.
type muxErrorWriter struct {
	*statusWriter
	replaced bool
}

func (w *muxErrorWriter) WriteHeader(code int) {
	var e *apiError
	switch code {
	case http.StatusNotFound:
		e = &apiError{Status: code, Code: CodeNotFound, Message: "no such path"}
	case http.StatusMethodNotAllowed:
		e = &apiError{Status: code, Code: CodeMethodNotAllowed,
			Message: "the path does not take this method; Allow lists those it takes"}
	default:
		w.statusWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	h := w.Header()
	h.Set("Content-Type", "application/json")
	b, _ := json.Marshal(errorBody{Error: e})
	w.statusWriter.WriteHeader(code)
	_, _ = w.statusWriter.Write(append(b, '\n'))
}

func (w *muxErrorWriter) Write(b []byte) (int, error) {
	if w.replaced {
		// The mux's own text is dropped; the JSON is already written.
		return len(b), nil
	}
	return w.statusWriter.Write(b)
}
