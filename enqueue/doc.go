// Package enqueue is the Go library producers use to submit ExecuteFunction
// jobs to vodq and to follow them.
//
// A Client submits jobs to Asynq queues on Redis and reads their stored
// records:
//
//	c, err := enqueue.Dial("redis://127.0.0.1:6379/0")
//	...
//	job, err := c.Submit(ctx, tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"},
//		enqueue.JobID("clip-42"))
//	...
//	job, err = c.Wait(ctx, job.ID) // job.State is succeeded, failed or canceled
//
// # Job IDs and duplicates
//
// Every job has an ID: the caller's (JobID) or one Submit makes (a UUIDv7,
// sortable by time). Submitting an ID that already exists, in any state and
// for as long as its record is kept, runs nothing: Submit returns the
// existing record with an error that matches ErrDuplicate, so retrying a
// submission after a timeout or a crash is always safe.
//
// # Errors
//
// Callers branch with errors.Is and errors.As: tasks.ErrInvalid and
// *tasks.FieldError for a bad request (the field is named), ErrDuplicate and
// *DuplicateError, ErrNotFound, and ErrNotCancelable with *StateError.
package enqueue
