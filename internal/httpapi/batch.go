package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/vodq/vodq/internal/logging"
	"github.com/vodq/vodq/tasks"
)

// batchRequest is the body of POST /v1/jobs:batch.
type batchRequest struct {
	Jobs []json.RawMessage `json:"jobs"`
}

// batchResult is the answer for one job of a batch: the status it would
// have had on its own, with the record or the error.
type batchResult struct {
	Index  int        `json:"index"`
	Status int        `json:"status"`
	Job    *tasks.Job `json:"job,omitempty"`
	Error  *apiError  `json:"error,omitempty"`
}

// submitBatch handles POST /v1/jobs:batch. Each job is checked and
// submitted on its own; the answer is 200 with one result per job, in
// input order, unless the batch as a whole is malformed or holds more than
// MaxBatch jobs (400), its body is over the size limit (413), or Redis is
// down for every job that was valid (503).
func (s *Server) submitBatch(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, e := decodeBatch(body)
	if e != nil {
		writeError(w, e, nil)
		return
	}

	// Bad jobs get their 400 here; only the valid ones reach Redis.
	results := make([]batchResult, len(items))
	var specs []tasks.Spec
	var at []int // at[i] is the input index of specs[i]
	for i, raw := range items {
		spec, err := tasks.DecodeSpec(raw)
		if err != nil {
			s.metrics.submitted("", outcomeInvalid)
			results[i] = batchResult{Index: i, Status: http.StatusBadRequest,
				Error: s.errorFor(r.Context(), err)}
			continue
		}
		specs = append(specs, spec)
		at = append(at, i)
	}

	down := 0
	for _, res := range s.cfg.Client.SubmitMany(r.Context(), specs) {
		i := at[res.Index]
		status, outcome := submitStatus(res.Err)
		if status != 0 {
			s.metrics.submitted(res.Job.Queue, outcome)
			results[i] = batchResult{Index: i, Status: status, Job: res.Job}
			continue
		}
		s.metrics.submitted("", outcome)
		e := s.errorFor(r.Context(), res.Err)
		if e.Status >= 500 && r.Context().Err() == nil {
			s.log.Error("batch job failed", keyPath, r.URL.Path, keyIndex, i,
				logging.KeyError, res.Err)
		}
		if e.Status == http.StatusServiceUnavailable {
			down++
		}
		results[i] = batchResult{Index: i, Status: e.Status, Error: e}
	}
	if down > 0 && down == len(specs) {
		s.fail(w, r, fmt.Errorf("submit batch: %w", errUnavailable))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

// batchShape says what the body of a batch must be; messages about the body
// as a whole end with it.
const batchShape = `the body must be a JSON object {"jobs":[…]}`

// decodeBatch reads {"jobs":[…]} strictly, leaving each job undecoded. Its
// messages speak of the JSON the caller sent, never of Go types.
func decodeBatch(body []byte) ([]json.RawMessage, *apiError) {
	// Decoding null into a struct is no error, but it is not an object.
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return nil, invalid("", batchShape+", not null")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req batchRequest
	if err := dec.Decode(&req); err != nil {
		return nil, batchDecodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("", "the body must hold one JSON object and nothing after it")
	}
	switch n := len(req.Jobs); {
	case n == 0:
		return nil, invalid("jobs", "jobs must hold at least one job")
	case n > MaxBatch:
		// A count, not a size: the body fits (the size limit is checked
		// first), so 413 would send the caller after VODQ_MAX_BODY.
		return nil, invalid("jobs", fmt.Sprintf(
			"jobs holds %d jobs; the limit is %d: split the batch", n, MaxBatch))
	}
	return req.Jobs, nil
}

// batchDecodeError turns an error of encoding/json into the answer for the
// caller.
func batchDecodeError(err error) *apiError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "jobs":
		return invalid("jobs", "jobs must be an array of job objects, not "+typeErr.Value)
	case errors.As(err, &typeErr):
		// The body as a whole is of another JSON type: [], "x", 1.
		return invalid("", batchShape+", not "+typeErr.Value)
	case errors.As(err, &syntaxErr):
		return invalid("", fmt.Sprintf("%s; it is not valid JSON at byte %d: %v",
			batchShape, syntaxErr.Offset, syntaxErr))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", batchShape+"; it is empty or cut short")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return invalid(name, name+` is not a known field; `+batchShape)
	}
	return invalid("", batchShape)
}
