// Package limiter keeps a fleet of workers, on any number of machines, under
// one shared request rate, with the shared state in Redis.
//
// Every worker calls [Limiter.Wait] before each API call and
// [Limiter.Throttled] when the API answers that the account is over its
// limit anyway. Any number of goroutines and processes may do so at once.
//
// # Reservations
//
// The limiter hands out slots on one schedule, kept in a Redis hash as the
// theoretical arrival time (tat): the first slot nobody holds yet. This is
// the generic cell rate algorithm in its virtual-scheduling form, with
// reservations. One Lua script does, atomically and in one round trip:
//
//	now   = Redis TIME, one clock for the whole fleet
//	slot  = max(tat, now - (Burst-1)/Rate)
//	if slot - now > MaxWait:
//	    reserve nothing; answer the hint slot - now - MaxWait
//	tat   = slot + 1/(Rate*factor), factor <= 1 being the adaptive part
//	answer max(slot - now, 0), the time to sleep
//
// The caller sleeps that long on a timer and goes. Every caller holds a
// slot of its own, so waiters are served in the order they asked and wake
// one by one: nobody polls Redis while waiting, and a freed slot does not
// wake a crowd. Only when the schedule is full for more than MaxWait does a
// caller take nothing and come back after a randomized, growing back-off, so
// a sudden crowd cannot book the quota for minutes ahead.
//
// A plain "allowed now?" limiter cannot do this. A waiter told to retry in
// 10ms that wakes 1ms late has lost a tenth of a slot at 100 requests per
// second, so the rate is only reached by allowing a larger burst, and a
// larger burst lets a one-second window run over the quota. Here a waiter
// that wakes late delays its own request, never the schedule.
//
// # Why no one-second window holds more than Rate+Burst-1 grants
//
// Let a grant take effect at g = max(slot, now). Slots are strictly
// increasing and at least 1/Rate apart, since each is at least the tat the
// previous one left, and the rate in force is never above Rate. Because
// slot >= now - (Burst-1)/Rate, every g lies in [slot, slot+(Burst-1)/Rate].
// So the grants in a window [t, t+1s) have slots in [t-(Burst-1)/Rate,
// t+1s), a half-open span of (Rate+Burst-1)/Rate seconds, which holds at most
// Rate+Burst-1 points spaced 1/Rate apart (rounding Rate up when it is not
// a whole number). Changing the rate between grants
// keeps the argument: only the spacing grows. Rounding the schedule up to
// whole microseconds only widens it.
//
// The bound holds for the times Redis grants. The requests themselves leave
// later, each by its own reply latency and timer delay. A caller that wakes
// more than one interval (at least 2 ms) after its slot, because its
// process stalled, gives the slot up and reserves again rather than go out
// bunched with the next slots' callers, so the requests that do go leave at
// most that long after their slot: any second of sends holds at most
// Rate+Burst. Network jitter on the way to the API remains, so when the
// API's own count must never see a window over the quota, configure Rate a
// few percent below it.
//
// A waiter whose context ends before its slot leaves the slot unused. That
// costs the fleet one request of throughput and can never add one.
//
// # Adaptive back-off
//
// Other clients may share the account's quota, so the API can refuse a
// request the limiter granted. [Limiter.Throttled] then halves the rate for
// the whole fleet, down to MinRate, by storing a factor in the same hash.
// The factor takes effect after the slots already handed out, and reports
// until 200ms (or one interval) past that moment count as one: they come
// from requests granted at the old rate. Once RecoverAfter has passed
// without a counted report, the rate climbs back by RecoverPerSecond
// requests per second each second until it is whole. The scripts compute
// the factor in force from the stored factor and the time of the change
// each time they run, so no process has to tick it along.
//
// # Clocks, Redis Cluster and expiry
//
// All times are Redis server time, so the clocks of the worker machines do
// not matter; only the intervals the caller sleeps are measured locally.
// The state lives in one key, "vodq:limiter:{Name}", and each script touches
// only that key, so it works on Redis Cluster and through any go-redis
// client. After a failover to a replica whose clock runs behind, waits grow
// until the clock catches up. One whose clock runs ahead, or that missed the
// last writes, can grant what the old master had already booked, once. An
// idle key expires a minute after its last slot and its recovery are over.
package limiter
