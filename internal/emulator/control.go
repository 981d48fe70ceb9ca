package emulator

import (
	"encoding/json"
	"net/http"
)

// controlPrefix starts the paths of the emulator's own routes. The service
// has no such paths, so they cannot shadow an API call: the SDK always
// posts to "/".
const controlPrefix = "/_emulator/"

// newControlMux routes the control endpoints:
//
//	GET  /_emulator/stats   Stats as JSON
//	POST /_emulator/reset   Reset; answers 204 No Content
//
// Other methods get 405 and other paths under the prefix 404, from the
// standard mux.
func (e *Emulator) newControlMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+controlPrefix+"stats", e.serveStats)
	mux.HandleFunc("POST "+controlPrefix+"reset", e.serveReset)
	return mux
}

// serveStats writes Stats indented, for people reading it with curl.
func (e *Emulator) serveStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(e.Stats())
}

func (e *Emulator) serveReset(w http.ResponseWriter, _ *http.Request) {
	e.Reset()
	w.WriteHeader(http.StatusNoContent)
}
