package tasks

import "strings"

// Class says how the worker treats an error code.
type Class int

// The error classes.
const (
	// Permanent errors end the job at once; the code is kept.
	Permanent Class = iota
	// Transient errors are retried with exponential back-off and jitter and
	// count toward the job's retries.
	Transient
	// Throttled errors (the API's quota was hit) are waited out and retried
	// without counting toward the job's retries.
	Throttled
	// RetryOnce errors are retried once (a re-signed request or refreshed
	// credentials may pass); a second one is permanent.
	RetryOnce
)

// String returns the class name: "permanent", "transient", "throttled" or
// "retry_once".
func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Throttled:
		return "throttled"
	case RetryOnce:
		return "retry_once"
	}
	return "permanent"
}

// DefaultTransientCodes are the codes retried with back-off by default. A
// code ending in ".*" matches that prefix and every code below it.
var DefaultTransientCodes = []string{
	"InternalError", "InternalError.*",
	"ServiceUnavailable", "ServiceUnavailable.*",
	"ResourceUnavailable", "ResourceUnavailable.*",
	"ResourceInUse", "ResourceInUse.*",
	"ClientError.NetworkError",
	"ClientError.HttpStatusCodeError",
	"ClientError.ParseJsonError",
	"ClientError.IOError",
	CodeTimeout,
}

// Classifier maps error codes to classes. The zero value is not useful;
// build one with NewClassifier. It is safe for concurrent use.
type Classifier struct {
	exact    map[string]bool
	prefixes []string
}

// NewClassifier returns a Classifier whose transient codes are the given
// ones; nil means DefaultTransientCodes. A code ending in ".*" matches its
// prefix and every code below it ("InternalError.*" matches
// "InternalError.DBError"). The throttled and retry-once classes are fixed:
// RequestLimitExceeded and every code below it are throttled, and
// AuthFailure.SignatureExpire and AuthFailure.TokenFailure are retried once.
// Every other code, unknown ones included, is permanent.
func NewClassifier(transient []string) *Classifier {
	if transient == nil {
		transient = DefaultTransientCodes
	}
	c := &Classifier{exact: map[string]bool{}}
	for _, code := range transient {
		code = strings.TrimSpace(code)
		if p, ok := strings.CutSuffix(code, ".*"); ok {
			c.prefixes = append(c.prefixes, p+".")
			continue
		}
		if code != "" {
			c.exact[code] = true
		}
	}
	return c
}

// Classify returns the class of code.
func (c *Classifier) Classify(code string) Class {
	switch {
	case code == "RequestLimitExceeded", strings.HasPrefix(code, "RequestLimitExceeded."):
		return Throttled
	case code == "AuthFailure.SignatureExpire", code == "AuthFailure.TokenFailure":
		return RetryOnce
	case c.exact[code]:
		return Transient
	}
	for _, p := range c.prefixes {
		if strings.HasPrefix(code, p) {
			return Transient
		}
	}
	return Permanent
}
