package tasks

import (
	"encoding/json"
	"fmt"
	"time"
)

// Limits of a Spec's options.
const (
	// MaxRetriesLimit is the most retries a job may ask for.
	MaxRetriesLimit = 100
	// MinTimeout and MaxTimeout bound a job's per-attempt timeout.
	MinTimeout = time.Second
	MaxTimeout = 24 * time.Hour
)

// Spec is one job as producers write it: the API's parameters with vodq's
// own options beside them, in one flat JSON object. It is the format of a
// JSON Lines file, of the HTTP API's request body and of [enqueue] batches:
//
//	{"FunctionName":"ExampleFunc","FunctionArg":"XXX","job_id":"clip-42","max_retries":5}
//
// The zero value of an option means "use the default".
type Spec struct {
	Request

	// JobID is the job ID; empty means vodq makes one. See ValidateJobID.
	JobID string `json:"job_id,omitempty"`
	// Queue is the Asynq queue; empty means the producer's default.
	Queue string `json:"queue,omitempty"`
	// MaxRetries is how many failed attempts may be retried, 0 to
	// MaxRetriesLimit; nil means the producer's default.
	MaxRetries *int `json:"max_retries,omitempty"`
	// Timeout bounds one attempt, waits included; zero means the default.
	Timeout Duration `json:"timeout,omitempty"`
	// ProcessAt delays the job until then; zero means now.
	ProcessAt time.Time `json:"process_at,omitzero"`
	// ProcessIn delays the job by this long; not with ProcessAt.
	ProcessIn Duration `json:"process_in,omitempty"`
}

// Validate checks the request and the options; the error is a *FieldError.
func (s *Spec) Validate() error {
	if err := s.Request.Validate(); err != nil {
		return err
	}
	if s.JobID != "" {
		if err := ValidateJobID(s.JobID); err != nil {
			return err
		}
	}
	if s.Queue != "" {
		if err := ValidateQueue(s.Queue); err != nil {
			return err
		}
	}
	if s.MaxRetries != nil && (*s.MaxRetries < 0 || *s.MaxRetries > MaxRetriesLimit) {
		return &FieldError{Field: "max_retries",
			Reason: fmt.Sprintf("is %d; it must be 0 to %d", *s.MaxRetries, MaxRetriesLimit)}
	}
	if t := time.Duration(s.Timeout); t != 0 && (t < MinTimeout || t > MaxTimeout) {
		return &FieldError{Field: "timeout",
			Reason: fmt.Sprintf("is %s; it must be %s to %s", t, MinTimeout, MaxTimeout)}
	}
	if s.ProcessIn < 0 {
		return &FieldError{Field: "process_in", Reason: "must not be negative"}
	}
	if s.ProcessIn != 0 && !s.ProcessAt.IsZero() {
		return &FieldError{Field: "process_in", Reason: "cannot be given with process_at"}
	}
	return nil
}

// DecodeSpec parses one JSON object into a Spec and validates it. Unknown
// keys, wrong types and trailing data are errors; every error is a
// *FieldError naming the field.
func DecodeSpec(data []byte) (Spec, error) {
	var s Spec
	if err := decodeStrict(data, &s); err != nil {
		return Spec{}, err
	}
	if err := s.Validate(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("30s", "1m30s").
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string such as "30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // as encoding/json does for other types: not given
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("must be a duration string such as \"30s\", not %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("must be a duration such as \"30s\", not %q", s)
	}
	*d = Duration(v)
	return nil
}
