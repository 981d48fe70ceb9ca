package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/tasks"
)

// MaxWait is the longest long poll GET /v1/jobs/{id}?wait= accepts. Longer
// polls would outlive the idle timeouts of many proxies.
const MaxWait = 60 * time.Second

// Outcomes of a submission, the values of the outcome label of
// vodq_jobs_submitted_total.
const (
	outcomeCreated   = "created"
	outcomeDuplicate = "duplicate"
	outcomeInvalid   = "invalid"
	outcomeError     = "error"
)

// submit handles POST /v1/jobs: 201 with the new record, or 200 with the
// existing one when the job ID was submitted before.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	body, err := s.readBody(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	spec, err := tasks.DecodeSpec(body)
	if err != nil {
		s.metrics.submitted("", outcomeInvalid)
		s.fail(w, r, err)
		return
	}

	job, err := s.cfg.Client.SubmitSpec(r.Context(), spec)
	var dup *enqueue.DuplicateError
	if errors.As(err, &dup) {
		job = dup.Job
	}
	status, outcome := submitStatus(err)
	if status == 0 {
		s.metrics.submitted("", outcome)
		s.fail(w, r, err)
		return
	}
	s.metrics.submitted(job.Queue, outcome)
	w.Header().Set("Location", "/v1/jobs/"+url.PathEscape(job.ID))
	writeJSON(w, status, job)
}

// submitStatus maps the error of a submission to the status of a success
// (201 new, 200 duplicate) and the metric outcome; status 0 means failure.
func submitStatus(err error) (status int, outcome string) {
	switch {
	case err == nil:
		return http.StatusCreated, outcomeCreated
	case errors.Is(err, enqueue.ErrDuplicate):
		return http.StatusOK, outcomeDuplicate
	case errors.Is(err, tasks.ErrInvalid):
		return 0, outcomeInvalid
	}
	return 0, outcomeError
}

// readBody reads the whole body, up to the size limit. The error is an
// *http.MaxBytesError when the body is over it.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, &tasks.FieldError{Reason: "body could not be read: " + err.Error()}
	}
	return body, nil
}

// getJob handles GET /v1/jobs/{id}, with an optional long poll.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if e := checkID(id); e != nil {
		writeError(w, e, nil)
		return
	}
	wait, e := parseWait(r.URL.Query().Get("wait"))
	if e != nil {
		writeError(w, e, nil)
		return
	}

	var job *tasks.Job
	var err error
	if wait > 0 {
		job, err = s.waitJob(r.Context(), id, wait)
	} else {
		job, err = s.cfg.Client.Get(r.Context(), id)
	}
	if err != nil {
		if r.Context().Err() != nil {
			return // the client left; nobody reads an answer
		}
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

// waitJob waits up to wait for job id to end. When the wait passes, or the
// server shuts down, it returns the record as it is then.
func (s *Server) waitJob(ctx context.Context, id string, wait time.Duration) (*tasks.Job, error) {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	stop := context.AfterFunc(s.stopping, cancel)
	defer stop()

	job, err := s.cfg.Client.Wait(wctx, id)
	if err != nil && wctx.Err() != nil && ctx.Err() == nil {
		return s.cfg.Client.Get(ctx, id)
	}
	return job, err
}

// cancelJob handles DELETE /v1/jobs/{id}: 200 with the canceled record, or
// 409 with the record when the job is running or has ended.
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if e := checkID(id); e != nil {
		writeError(w, e, nil)
		return
	}
	job, err := s.cfg.Client.Cancel(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, job)
}

// checkID refuses a path ID that no job can have, naming the parameter as
// the path calls it.
func checkID(id string) *apiError {
	var fe *tasks.FieldError
	if err := tasks.ValidateJobID(id); errors.As(err, &fe) {
		return invalid("id", "id "+fe.Reason)
	}
	return nil
}

// parseWait reads the wait parameter: a Go duration ("30s", "1m") or a
// number of seconds, from 0 to MaxWait. Empty means no wait.
func parseWait(v string) (time.Duration, *apiError) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseUint(v, 10, 32)
		if nerr != nil {
			return 0, invalid("wait", fmt.Sprintf(
				"wait must be a duration such as \"30s\" or a number of seconds, not %q", v))
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 || d > MaxWait {
		return 0, invalid("wait", fmt.Sprintf("wait is %s; it must be 0s to %s", d, MaxWait))
	}
	return d, nil
}
