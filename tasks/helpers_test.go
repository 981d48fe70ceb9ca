package tasks_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vodq/vodq/tasks"
)

// minimal is the smallest valid request line, without its closing brace, so
// a case can add keys: minimal + `,"SessionId":"x"}`.
const minimal = `{"FunctionName":"ExampleFunc","FunctionArg":"XXX"`

// with returns the minimal request line with extra keys added.
func with(extra string) string {
	if extra == "" {
		return minimal + "}"
	}
	return minimal + "," + extra + "}"
}

// wantFieldError fails unless err is a *tasks.FieldError naming field whose
// message holds every one of parts. It also checks that err matches
// tasks.ErrInvalid.
func wantFieldError(t *testing.T, err error, field string, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want a *FieldError for %q", field)
	}
	var fe *tasks.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *tasks.FieldError", err, err)
	}
	if !errors.Is(err, tasks.ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
	}
	if fe.Field != field {
		t.Errorf("field mismatch (-want +got):\n-%q\n+%q\n(error: %v)", field, fe.Field, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func ptr[T any](v T) *T { return &v }
