package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/vodq/vodq/tasks"
)

// maxOutcomeLookups bounds the record reads of one UI answer; the UI asks
// for 20 tasks a page by default.
const maxOutcomeLookups = 100

// showsResult reports whether path is one of the UI's API answers that
// carry a task's result: the list of completed tasks and a task's details.
func showsResult(path string) bool {
	rest, ok := strings.CutPrefix(path, UIPath+"/api/queues/")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2:
		return parts[1] == "completed_tasks"
	case len(parts) == 3:
		return parts[1] == "tasks"
	}
	return false
}

// withOutcomes serves a UI answer that shows task results, with each vodq
// job's stored outcome in the result field.
//
// vodq keeps outcomes in its own job records, not in Asynq's task results,
// and asynqmon's ResultFormatter only sees the result bytes, not the task
// ID it would need to find the record. So the answer is rewritten here,
// where the ID is at hand. Tasks without a record are left as they are.
func (u *ui) withOutcomes(w http.ResponseWriter, r *http.Request) {
	rec := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	u.mon.ServeHTTP(rec, r)
	body := rec.body.Bytes()
	if rec.status == http.StatusOK {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		if b, err := u.fillOutcomes(ctx, body); err == nil {
			body = b
		}
		cancel()
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.status)
	_, _ = w.Write(body)
}

// fillOutcomes rewrites a task list ({"tasks":[…],…}) or one task.
func (u *ui) fillOutcomes(ctx context.Context, body []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	raw, isList := top["tasks"]
	if !isList {
		u.fillOne(ctx, top)
		return json.Marshal(top)
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	for i, t := range list {
		if i == maxOutcomeLookups || ctx.Err() != nil {
			break
		}
		u.fillOne(ctx, t)
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	top["tasks"] = b
	return json.Marshal(top)
}

// fillOne sets the result of one task from its job record.
func (u *ui) fillOne(ctx context.Context, task map[string]json.RawMessage) {
	var id string
	if json.Unmarshal(task["id"], &id) != nil || tasks.ValidateJobID(id) != nil {
		return
	}
	job, err := u.records.Get(ctx, id)
	if err != nil {
		return
	}
	if b, err := json.Marshal(outcomeText(job)); err == nil {
		task["result"] = b
	}
}

// outcomeText shows where a job stands and how it ended, as indented JSON
// with the API's own field names for what the API answered.
func outcomeText(job *tasks.Job) string {
	v := struct {
		State      tasks.State    `json:"state"`
		Attempts   int            `json:"attempts"`
		FinishedAt time.Time      `json:"finished_at,omitzero"`
		Outcome    *tasks.Outcome `json:"outcome,omitempty"`
		Failure    *tasks.Failure `json:"failure,omitempty"`
	}{job.State, job.Attempts, job.FinishedAt, job.Outcome, job.Failure}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// bufferedResponse holds an answer so it can be rewritten before it is
// sent.
type bufferedResponse struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if !b.wrote {
		b.status, b.wrote = code, true
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
