// Package worker runs vodq jobs: an Asynq server whose handler calls the
// VOD API action ExecuteFunction for each job and stores the outcome.
//
// For each task the handler:
//
//  1. decodes the payload; a malformed one (from a foreign producer) ends
//     the job as failed with code Vodq.BadPayload, without retries;
//  2. marks the job running and counts an attempt, unless the job already
//     ended (a re-run after a crash, or a job canceled while queued), in
//     which case it acknowledges the task without calling the API;
//  3. waits for its turn at the fleet-wide rate limiter, then calls the API;
//  4. stores the outcome before acknowledging the task.
//
// Errors are handled by class (tasks.Classifier): transient ones are retried
// with exponential back-off and jitter and count toward the job's retries;
// RequestLimitExceeded* slows the whole fleet down and is retried in place
// without spending a retry; AuthFailure.SignatureExpire and
// AuthFailure.TokenFailure are retried once; everything else ends the job
// as failed with the code, message and RequestId kept.
//
// On shutdown the server stops taking tasks and lets running calls finish
// for ShutdownTimeout; a call still running then is interrupted, its job
// put back to retrying, and its task handed back to the queue without
// spending a retry. A running task canceled in the web UI ends its job as
// canceled.
//
// A janitor, run by one worker of the fleet at a time, ends jobs whose task
// left Asynq without an outcome: archived after its worker died with no
// retry left (Vodq.WorkerLost), or deleted outside vodq (Vodq.Lost).
package worker
