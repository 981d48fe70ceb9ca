package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/logging"
	"github.com/vodq/vodq/tasks"
)

// The error codes of the API. They are stable: clients branch on them, and
// the message beside them is for people.
const (
	// CodeInvalidRequest (400): the body, a parameter or a field breaks a
	// rule, or a batch holds more than MaxBatch jobs; field names it.
	CodeInvalidRequest = "invalid_request"
	// CodeUnauthorized (401): the bearer token is missing or wrong.
	CodeUnauthorized = "unauthorized"
	// CodeForbidden (403): the request may come from a hostile web page: a
	// state-changing request from another origin, or, on a server without
	// tokens, one addressed to a Host that is not a loopback name.
	CodeForbidden = "forbidden"
	// CodeNotFound (404): no such job, or no such path.
	CodeNotFound = "not_found"
	// CodeConflict (409): the job's state forbids the operation; the
	// answer holds the job's record.
	CodeConflict = "conflict"
	// CodeBodyTooLarge (413): the body is over the size limit
	// (Config.MaxBody).
	CodeBodyTooLarge = "body_too_large"
	// CodeUnsupportedMediaType (415): a body sent without the header
	// Content-Type: application/json; field is "Content-Type".
	CodeUnsupportedMediaType = "unsupported_media_type"
	// CodeMethodNotAllowed (405): the path exists, the method does not.
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeUnavailable (503): Redis cannot be reached; try again later.
	CodeUnavailable = "unavailable"
	// CodeInternal (500): anything else; the server logs the cause.
	CodeInternal = "internal"
)

// errUnavailable marks a failure already known to come from Redis being
// unreachable.
var errUnavailable = errors.New("redis unreachable")

// apiError is one error answer: its HTTP status and its JSON body.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// errorBody is the JSON of an error answer. Job is set on conflicts, so a
// client sees the state that refused it without another request.
type errorBody struct {
	Error *apiError  `json:"error"`
	Job   *tasks.Job `json:"job,omitempty"`
}

func invalid(field, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
		Message: msg, Field: field}
}

// writeJSON writes v as the answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"encode the answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes e, with job when it is a conflict.
func writeError(w http.ResponseWriter, e *apiError, job *tasks.Job) {
	writeJSON(w, e.Status, errorBody{Error: e, Job: job})
}

// fail answers a request that failed with err.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := s.errorFor(r.Context(), err)
	if e.Status >= 500 && r.Context().Err() == nil {
		s.log.Error("request failed", keyMethod, r.Method, keyPath, r.URL.Path,
			keyStatus, e.Status, logging.KeyError, err)
	}
	var state *enqueue.StateError
	if errors.As(err, &state) {
		writeError(w, e, state.Job)
		return
	}
	writeError(w, e, nil)
}

// errorFor maps an error of the enqueue client or of the request to its
// answer. Messages never carry Redis errors as they are: those may hold
// addresses, which are the operator's business, and the log has them.
func (s *Server) errorFor(ctx context.Context, err error) *apiError {
	var field *tasks.FieldError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &field):
		return invalid(field.Field, field.Error())
	case errors.As(err, &tooBig):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge,
			Message: "the request body is over the limit of " +
				strconv.FormatInt(tooBig.Limit, 10) + " bytes"}
	case errors.Is(err, enqueue.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Code: CodeNotFound, Message: err.Error()}
	case errors.Is(err, enqueue.ErrNotCancelable):
		return &apiError{Status: http.StatusConflict, Code: CodeConflict, Message: err.Error()}
	case s.redisDown(ctx, err):
		return &apiError{Status: http.StatusServiceUnavailable, Code: CodeUnavailable,
			Message: "the job store (Redis) cannot be reached; try again later"}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: CodeInternal,
		Message: "internal error; the server log has the cause"}
}

// redisDown reports whether err comes from Redis being unreachable. A
// network error says so at once; for any other error a quick ping decides,
// since Asynq does not always keep the cause of its errors.
func (s *Server) redisDown(ctx context.Context, err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, errUnavailable),
		errors.As(err, &netErr),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, redis.ErrClosed),
		errors.Is(err, redis.ErrPoolTimeout):
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return s.cfg.Redis.Ping(ctx).Err() != nil
}
