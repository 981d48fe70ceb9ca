package enqueue

import (
	"errors"

	"github.com/vodq/vodq/tasks"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrNotFound: no record for the job ID (never submitted, or past its
	// retention).
	ErrNotFound = errors.New("job not found")
	// ErrDuplicate: the job ID was already submitted.
	ErrDuplicate = errors.New("job ID already submitted")
	// ErrNotCancelable: the job is running or has ended.
	ErrNotCancelable = errors.New("job cannot be canceled")
)

// DuplicateError is returned when a submitted job ID exists. Job is the
// existing record; nothing new was queued.
type DuplicateError struct {
	Job *tasks.Job
}

// Error reports the ID and the existing job's state.
func (e *DuplicateError) Error() string {
	if e.Job.State == "" {
		return "job " + e.Job.ID + " already submitted"
	}
	return "job " + e.Job.ID + " already submitted (" + string(e.Job.State) + ")"
}

// Is reports whether target is ErrDuplicate.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// StateError is returned when a job's state forbids the operation. Job is
// the record as it is.
type StateError struct {
	Job *tasks.Job
}

// Error reports the ID and the state.
func (e *StateError) Error() string {
	return "job " + e.Job.ID + " is " + string(e.Job.State) + " and cannot be canceled"
}

// Is reports whether target is ErrNotCancelable.
func (e *StateError) Is(target error) bool { return target == ErrNotCancelable }
