// Package bench measures how much of the API quota a fleet of vodq workers
// uses, and whether it ever goes over, with real worker processes.
//
// A run starts an API emulator (in this process, or a given one), P worker
// processes that share one Redis, and a producer that submits J jobs. When
// every job has ended it stops the workers, reads the emulator's counters
// and the job records, and returns a [Report]. Each run gets a fresh
// emulator (a given one is reset and left a quiet second first), fresh
// processes, and a queue, limiter and job IDs of its own, so runs never see
// each other's work.
//
// # Strategies
//
// A strategy is how the fleet stays under the quota:
//
//   - limiter: vodq's fleet-wide limiter in Redis at Config.Rate, as
//     `vodq worker` runs by default.
//   - concurrency-only: no limiter; only the per-process concurrency caps
//     the rate, and throttled answers are retried by the worker's normal
//     policy.
//   - sdk-retry: no limiter; the SDK's own RequestLimitExceeded retries are
//     turned on, as a user of the SDK alone would do.
//
// # What the numbers mean
//
// The API rate is the rate at which the emulator accepted calls while the
// run was busy: accepted calls minus one, divided by the time between the
// first and the last accepted call. N arrivals bound N-1 gaps, so a fleet
// that sends exactly one call every 10ms measures exactly 100/s. Utilization
// is that rate divided by the quota. It is the number to plan with, because
// the quota is counted at the API over the same kind of span.
//
// The end-to-end rate is J divided by the time from the first submission to
// the last job's end. It also counts the workers' start-up, the queue's
// first poll and the last call's latency, which say nothing about the quota
// and shrink as J grows, so it is reported beside utilization, not used for
// it.
//
// The busiest window is the emulator's highest count of calls arriving
// within any sliding one-second window, refused ones included: what the API
// would count against the quota. The same count over the times the workers
// started their calls tells where calls bunched: in the fleet (a stalled
// process sends its late calls together) or on the way to the API.
package bench
