package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/vodq/vodq/tasks"
)

// decode turns a record's hash fields into a Job.
func decode(id string, m map[string]string) (*tasks.Job, error) {
	j := &tasks.Job{
		ID:          id,
		Queue:       m["queue"],
		State:       tasks.State(m["state"]),
		SubmittedAt: parseTime(m["submitted_at"]),
		StartedAt:   parseTime(m["started_at"]),
		FinishedAt:  parseTime(m["finished_at"]),
	}
	if !j.State.Valid() {
		return nil, fmt.Errorf("job %s has an unknown state %q", id, m["state"])
	}
	if r := m["request"]; r != "" {
		// The stored request may be a foreign payload that failed
		// validation; keep what parses and never fail the read for it.
		_ = json.Unmarshal([]byte(r), &j.Request)
	}
	j.Attempts, _ = strconv.Atoi(m["attempts"])
	j.MaxRetries, _ = strconv.Atoi(m["max_retries"])
	if j.State == tasks.StateSucceeded {
		j.Outcome = &tasks.Outcome{Result: m["result"], RequestId: m["request_id"]}
	}
	if code := m["error_code"]; code != "" {
		j.Failure = &tasks.Failure{
			Code:      code,
			Message:   m["error_message"],
			RequestId: m["error_request_id"],
		}
	}
	return j, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
