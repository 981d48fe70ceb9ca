package limiter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// grant describes how a wait ended, for the tests: they check the schedule
// Redis handed out apart from the timer jitter of the wake-up.
type grant struct {
	// slot is when the grant took effect, in microseconds of Redis time.
	slot int64
	// sleep is how long the caller slept for its slot after the reply.
	sleep time.Duration
	// replied is when the granting reply arrived.
	replied time.Time
	// calls counts the script calls the wait made, one in steady state.
	calls int
	// late counts the slots given up because the caller woke too late.
	late int
}

// Wait blocks until the caller may send one request and returns how long it
// waited. Call it right before each API call, from any goroutine in any
// process sharing the Config.
//
// Each call reserves its own slot in the fleet's schedule with one Redis
// round trip and sleeps until then, so waiters are served in the order they
// asked and wake one at a time. When the schedule is full for longer than
// MaxWait, Wait reserves nothing, sleeps a randomized back-off and asks
// again.
//
// When ctx ends, Wait returns ctx.Err() promptly; a slot already reserved is
// then left unused, which lowers the rate and never raises it. When ctx has
// a deadline before the first free slot, Wait returns at once, reserves
// nothing, and its error wraps context.DeadlineExceeded. Other errors come
// from Redis. Safe for concurrent use.
func (l *Limiter) Wait(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	_, err := l.wait(ctx)
	return time.Since(start), err
}

// wait is Wait, returning what the tests check.
func (l *Limiter) wait(ctx context.Context) (grant, error) {
	var g grant
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return g, err
		}

		// Never reserve a slot the caller cannot live to use.
		horizon, byDeadline := l.horizon(ctx)
		r, err := l.reserve(ctx, horizon)
		g.calls++
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return g, ctxErr
			}
			return g, err
		}

		// Not yet: a caller whose ctx ends could hand its slot back while
		// it is still the last one booked. It is lost instead, which costs
		// throughput only, and a deadline already keeps most such slots
		// from being booked at all.
		if r.granted {
			g.slot, g.sleep, g.replied = r.slot, r.wait, time.Now()
			if err := sleep(ctx, r.wait); err != nil {
				return g, err
			}
			if l.afterSleep != nil {
				l.afterSleep()
			}
			// A caller that wakes more than maxLate after its slot (its
			// process was descheduled, or its timer starved) would go out
			// bunched with the callers of the next slots and could push a
			// second over the quota. It gives its slot up, costing one
			// request of throughput, and asks again.
			if time.Since(g.replied)-r.wait > l.maxLate {
				g.late++
				continue
			}
			return g, nil
		}
		if byDeadline {
			return g, fmt.Errorf("limiter %s: first free slot is after the context deadline: %w",
				l.cfg.Name, context.DeadlineExceeded)
		}

		if err := sleep(ctx, l.backoff(r.wait, attempt)); err != nil {
			return g, err
		}
	}
}

// horizon returns how far ahead a caller may reserve: MaxWait, or less when
// ctx ends sooner, in which case byDeadline is true.
func (l *Limiter) horizon(ctx context.Context) (d time.Duration, byDeadline bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return l.cfg.MaxWait, false
	}
	left := time.Until(deadline)
	if left >= l.cfg.MaxWait {
		return l.cfg.MaxWait, false
	}
	return max(left, 0), true
}

// reply is one answer of the reserve script.
type reply struct {
	granted bool
	// wait is the time to the slot when granted, else the time until the
	// queue is short enough for a reservation, if no one else takes one.
	wait time.Duration
	slot int64
}

func (l *Limiter) reserve(ctx context.Context, horizon time.Duration) (reply, error) {
	args := append(l.args(), l.cfg.Burst, horizon.Microseconds())
	vals, err := reserveScript.run(ctx, l.rdb, l.key, args...).Int64Slice()
	if err != nil {
		return reply{}, fmt.Errorf("limiter %s: reserve slot: %w", l.cfg.Name, err)
	}
	if len(vals) != 3 {
		return reply{}, fmt.Errorf("limiter %s: reserve slot: unexpected reply %v",
			l.cfg.Name, vals)
	}
	r := reply{
		granted: vals[0] == 1,
		wait:    time.Duration(vals[1]) * time.Microsecond,
		slot:    vals[2],
	}
	return r, nil
}

// backoff returns how long a caller that found the queue full sleeps before
// asking again. It starts at one interval (or the hint, if longer) and
// doubles per refusal, so a crowd of such callers asks far less often than
// slots free up. The cap of MaxWait/2, plus up to 50% jitter, keeps each
// one asking again before a full queue could drain, so the rate stays used.
func (l *Limiter) backoff(hint time.Duration, attempt int) time.Duration {
	limit := l.cfg.MaxWait / 2
	d := l.interval
	for i := 0; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(max(d, hint), limit)
	return d + rand.N(d/2+1)
}

// sleep waits for d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
