package tasks_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vodq/vodq/tasks"
)

func TestState(t *testing.T) {
	t.Parallel()

	tests := []struct {
		state        tasks.State
		valid, final bool
	}{
		{tasks.StateQueued, true, false},
		{tasks.StateRunning, true, false},
		{tasks.StateRetrying, true, false},
		{tasks.StateSucceeded, true, true},
		{tasks.StateFailed, true, true},
		{tasks.StateCanceled, true, true},
		{"", false, false},
		{"done", false, false},
		{"Succeeded", false, false},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%q is valid %t and final %t", tt.state, tt.valid, tt.final)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tt.state.Valid(); got != tt.valid {
				t.Errorf("State(%q).Valid() = %t, want %t", tt.state, got, tt.valid)
			}
			if got := tt.state.Final(); got != tt.final {
				t.Errorf("State(%q).Final() = %t, want %t", tt.state, got, tt.final)
			}
		})
	}
}

func TestJobJSON(t *testing.T) {
	t.Parallel()

	submitted := time.Date(2026, 5, 19, 15, 1, 33, 123456789, time.UTC)

	t.Run("a queued job leaves out its unset times and results", func(t *testing.T) {
		t.Parallel()
		job := tasks.Job{
			ID: "clip-42", Queue: "default", State: tasks.StateQueued,
			Request:    tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"},
			MaxRetries: 10, SubmittedAt: submitted,
		}
		b, err := json.Marshal(job)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"id":"clip-42","queue":"default","state":"queued",` +
			`"request":{"FunctionName":"ExampleFunc","FunctionArg":"XXX"},` +
			`"attempts":0,"max_retries":10,"submitted_at":"2026-05-19T15:01:33.123456789Z"}`
		if got := string(b); got != want {
			t.Errorf("JSON mismatch (-want +got):\n-%s\n+%s", want, got)
		}
		roundTrip(t, job)
	})

	t.Run("a succeeded job keeps the API's answer under the API's names", func(t *testing.T) {
		t.Parallel()
		job := tasks.Job{
			ID: "clip-42", Queue: "default", State: tasks.StateSucceeded,
			Request: tasks.Request{
				FunctionName: "ExampleFunc", FunctionArg: "XXX", SubAppId: ptr[uint64](7),
				SessionContext: "ctx", SessionId: "sid", ExtInfo: "ext",
			},
			Attempts: 2, MaxRetries: 3, SubmittedAt: submitted,
			StartedAt:  submitted.Add(time.Second),
			FinishedAt: submitted.Add(2 * time.Second),
			Outcome:    &tasks.Outcome{Result: `{"ok":true}`, RequestId: "8ad61e3a"},
		}
		b, err := json.Marshal(job)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{`"started_at":`, `"finished_at":`, `"Result":"{\"ok\":true}"`, `"RequestId":"8ad61e3a"`} {
			if !strings.Contains(string(b), part) {
				t.Errorf("JSON %s lacks %s", b, part)
			}
		}
		if strings.Contains(string(b), `"failure"`) {
			t.Errorf("JSON %s has a failure", b)
		}
		roundTrip(t, job)
	})

	t.Run("a failed job keeps the error code, message and request ID", func(t *testing.T) {
		t.Parallel()
		job := tasks.Job{
			ID: "clip-43", Queue: "default", State: tasks.StateFailed,
			Request:  tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"},
			Attempts: 1, SubmittedAt: submitted, StartedAt: submitted, FinishedAt: submitted,
			Failure: &tasks.Failure{
				Code: "FailedOperation.InvalidVodUser", Message: "The VOD service is not activated.",
				RequestId: "req-1",
			},
		}
		roundTrip(t, job)
	})
}

// roundTrip checks that job survives encoding to JSON and back unchanged.
func roundTrip(t *testing.T, job tasks.Job) {
	t.Helper()
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var got tasks.Job
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	if !reflect.DeepEqual(job, got) {
		t.Errorf("round trip mismatch (-want +got):\n-%+v\n+%+v", job, got)
	}
}

func TestFailureError(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		f    tasks.Failure
		want string
	}{
		{
			"a failure from the API names its request",
			tasks.Failure{Code: "InternalError", Message: "Internal error.", RequestId: "r-1"},
			"InternalError: Internal error. (request r-1)",
		},
		{
			"a failure before the API has no request",
			tasks.Failure{Code: "ClientError.NetworkError", Message: "dial tcp: refused"},
			"ClientError.NetworkError: dial tcp: refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.f.Error(); got != tt.want {
				t.Errorf("Error() mismatch (-want +got):\n-%s\n+%s", tt.want, got)
			}
		})
	}
}
