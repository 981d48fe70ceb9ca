package tasks

import (
	"fmt"
	"regexp"
	"time"
)

// State is where a job is in its life. A job starts queued and ends in
// exactly one of the final states: succeeded, failed or canceled.
type State string

// The states of a job.
const (
	// StateQueued: accepted and waiting for a worker (or for its process-at
	// time).
	StateQueued State = "queued"
	// StateRunning: a worker is calling the API for it.
	StateRunning State = "running"
	// StateRetrying: an attempt failed with a transient error and the job
	// waits for its next attempt. Failure holds the last error.
	StateRetrying State = "retrying"
	// StateSucceeded: the API answered with a Result. Final.
	StateSucceeded State = "succeeded"
	// StateFailed: the API refused the call for good, or retries ran out.
	// Failure holds the reason. Final.
	StateFailed State = "failed"
	// StateCanceled: canceled before it ran, or by an operator while it
	// ran. Final.
	StateCanceled State = "canceled"
)

// Final reports whether s is an end state.
func (s State) Final() bool {
	return s == StateSucceeded || s == StateFailed || s == StateCanceled
}

// Valid reports whether s is one of the defined states.
func (s State) Valid() bool {
	switch s {
	case StateQueued, StateRunning, StateRetrying, StateSucceeded, StateFailed, StateCanceled:
		return true
	}
	return false
}

// Job is the stored record of one job, readable by its ID alone.
type Job struct {
	// ID is the job ID, unique within the retention period.
	ID string `json:"id"`
	// Queue is the Asynq queue the job was submitted to.
	Queue string `json:"queue"`
	// State is where the job is now.
	State State `json:"state"`
	// Request is what the job asks the API to do.
	Request Request `json:"request"`
	// Attempts counts the attempts so far: each run of the job by a worker,
	// and each further call within a run after a throttled answer or a
	// retry-once error.
	Attempts int `json:"attempts"`
	// MaxRetries is how many failed attempts may be retried.
	MaxRetries int `json:"max_retries"`
	// SubmittedAt is when the job was accepted.
	SubmittedAt time.Time `json:"submitted_at"`
	// StartedAt is when the first attempt began; zero before that.
	StartedAt time.Time `json:"started_at,omitzero"`
	// FinishedAt is when the job reached its final state; zero before that.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Outcome is the API's answer once the job has succeeded.
	Outcome *Outcome `json:"outcome,omitempty"`
	// Failure is why the job failed or was canceled, or, while it is
	// retrying, the error of its last attempt.
	Failure *Failure `json:"failure,omitempty"`
}

// Outcome is the API's answer to a successful ExecuteFunction call.
type Outcome struct {
	// Result is the API's Result string, unchanged.
	Result string `json:"Result"`
	// RequestId is the API's RequestId.
	RequestId string `json:"RequestId"`
}

// Failure describes why an attempt or a job failed.
type Failure struct {
	// Code is the Tencent Cloud error code (for example "InternalError"),
	// an SDK client code ("ClientError.NetworkError"), or one of vodq's own
	// codes (CodeBadPayload, CodeCanceled, CodeTimeout).
	Code string `json:"Code"`
	// Message is the error message as the API or the client gave it.
	Message string `json:"Message"`
	// RequestId is the API's RequestId, when the call reached the API.
	RequestId string `json:"RequestId,omitempty"`
}

// Error returns "CODE: MESSAGE (request ID)".
func (f *Failure) Error() string {
	s := f.Code + ": " + f.Message
	if f.RequestId != "" {
		s += " (request " + f.RequestId + ")"
	}
	return s
}

// vodq's own failure codes, for ends that did not come from the API.
const (
	// CodeBadPayload: the queued task's payload was not a valid request
	// (a foreign producer wrote it). Never retried.
	CodeBadPayload = "Vodq.BadPayload"
	// CodeCanceled: the job was canceled, before it ran or while it ran.
	CodeCanceled = "Vodq.Canceled"
	// CodeTimeout: the attempt ran past its timeout.
	CodeTimeout = "Vodq.Timeout"
	// CodeLost: the task left the queue without an outcome (for example
	// deleted or archived by an operator in the web UI).
	CodeLost = "Vodq.Lost"
	// CodeWorkerLost: the worker running the job died (its lease expired)
	// and the job had no retry left.
	CodeWorkerLost = "Vodq.WorkerLost"
	// CodeLimiter: the fleet's rate limiter could not be reached (its Redis
	// failed); retried like a transient error.
	CodeLimiter = "Vodq.LimiterError"
	// CodeInterrupted: an attempt was cut short by a worker shutdown or a
	// cancel in the web UI; the job runs again without spending a retry.
	CodeInterrupted = "Vodq.Interrupted"
)

// MaxJobIDLength is the longest job ID accepted, in bytes.
const MaxJobIDLength = 128

var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]*$`)

// ValidateJobID checks a caller-chosen job ID: 1 to MaxJobIDLength bytes of
// letters, digits and . _ : @ -, starting with a letter or digit.
func ValidateJobID(id string) error {
	switch {
	case id == "":
		return &FieldError{Field: "job_id", Reason: "must not be empty"}
	case len(id) > MaxJobIDLength:
		return &FieldError{Field: "job_id",
			Reason: fmt.Sprintf("is %d bytes; the limit is %d", len(id), MaxJobIDLength)}
	case !jobIDPattern.MatchString(id):
		return &FieldError{Field: "job_id",
			Reason: "may hold only letters, digits and . _ : @ - and must start with a letter or digit"}
	}
	return nil
}

var queuePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidateQueue checks a queue name: 1 to 64 letters, digits, _ and -,
// starting with a letter or digit.
func ValidateQueue(name string) error {
	if !queuePattern.MatchString(name) {
		return &FieldError{Field: "queue",
			Reason: "must be 1 to 64 letters, digits, _ or -, starting with a letter or digit"}
	}
	return nil
}
