package enqueue_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/tasks"
)

// The examples need a Redis server and a running worker, so they are
// compiled but not run.

// Submit one job with a chosen ID and wait for its end.
func ExampleClient_Submit() {
	c, err := enqueue.Dial("redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	req := tasks.Request{FunctionName: "ExampleFunc", FunctionArg: `{"FileId":"528589078"}`}
	job, err := c.Submit(ctx, req, enqueue.JobID("clip-42"), enqueue.MaxRetries(5))
	var dup *enqueue.DuplicateError
	switch {
	case errors.As(err, &dup):
		// Submitted before: follow the existing job instead.
		job = dup.Job
	case err != nil:
		log.Fatal(err)
	}

	job, err = c.Wait(ctx, job.ID)
	if err != nil {
		log.Fatal(err)
	}
	switch job.State {
	case tasks.StateSucceeded:
		fmt.Println("result:", job.Outcome.Result)
	default:
		fmt.Println(job.State+":", job.Failure)
	}
}

// Submit a batch read from a JSON Lines file; one bad line does not stop the
// others.
func ExampleClient_SubmitMany() {
	c, err := enqueue.Dial("redis://127.0.0.1:6379/0", enqueue.WithQueue("batch"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	lines := []string{
		`{"FunctionName":"ExampleFunc","FunctionArg":"a","job_id":"batch-1"}`,
		`{"FunctionName":"ExampleFunc","FunctionArg":"b","job_id":"batch-2","process_in":"10m"}`,
	}
	var specs []tasks.Spec
	for i, line := range lines {
		s, err := tasks.DecodeSpec([]byte(line))
		if err != nil {
			fmt.Printf("line %d: %v\n", i+1, err)
			continue
		}
		specs = append(specs, s)
	}

	for _, r := range c.SubmitMany(context.Background(), specs) {
		switch {
		case errors.Is(r.Err, enqueue.ErrDuplicate):
			fmt.Println(r.Job.ID, "was already submitted")
		case r.Err != nil:
			fmt.Printf("job %d: %v\n", r.Index, r.Err)
		default:
			fmt.Println(r.Job.ID, r.Job.State)
		}
	}
}

// Cancel a job that has not started yet.
func ExampleClient_Cancel() {
	c, err := enqueue.Dial("redis://127.0.0.1:6379/0")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	job, err := c.Cancel(context.Background(), "clip-42")
	switch {
	case errors.Is(err, enqueue.ErrNotFound):
		fmt.Println("no such job")
	case errors.Is(err, enqueue.ErrNotCancelable):
		fmt.Println("too late: the job is", job.State)
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("canceled")
	}
}
