package tasks

import "errors"

// ErrInvalid matches every validation error of this package with errors.Is.
var ErrInvalid = errors.New("invalid request")

// FieldError reports input that breaks a rule. Field names the offending
// field as the caller wrote it (an API parameter such as "SessionId", or an
// option such as "job_id"); it is empty when the input as a whole is wrong.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "FIELD REASON", for example
// "SessionId is 51 characters; the limit is 50".
func (e *FieldError) Error() string {
	if e.Field == "" {
		return "request " + e.Reason
	}
	return e.Field + " " + e.Reason
}

// Is reports whether target is ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }
