package emulator

import (
	"sync"
	"time"
)

// windowSpan is the length of the quota's sliding window. The API's limit is
// stated per second, and the service counts it over any one-second span, not
// per calendar second, so a burst straddling a second boundary is throttled.
const windowSpan = time.Second

// window enforces the quota over a sliding one-second window and measures
// the busiest window seen. It is safe for concurrent use.
//
// Admitted arrivals live in a ring as long as the quota: when the ring is
// full, its oldest entry decides whether a new arrival fits, so admission is
// O(1). Every arrival, admitted or not, also goes into a queue that yields
// the number of arrivals in the current window for the MaxWindow statistic;
// entries leave it after a second, so each costs O(1) amortised.
type window struct {
	mu sync.Mutex

	// limit is the quota; negative means unlimited and leaves ring empty.
	limit int
	ring  []time.Time
	next  int // slot of the oldest admission once the ring is full
	count int // admissions in the ring, at most limit

	arrivals timeQueue
	maxSeen  int
}

// newWindow returns a window admitting limit arrivals per second, or any
// number when limit is negative.
func newWindow(limit int) *window {
	w := &window{limit: limit}
	if limit > 0 {
		w.ring = make([]time.Time, limit)
	}
	return w
}

// arrive records an arrival at now and reports whether the quota admits it.
func (w *window) arrive(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()

	// Count the arrival for MaxWindow whatever the verdict: the statistic
	// measures demand, not what was let through.
	w.arrivals.push(now)
	for w.arrivals.len() > 0 && now.Sub(w.arrivals.front()) >= windowSpan {
		w.arrivals.pop()
	}
	w.maxSeen = max(w.maxSeen, w.arrivals.len())

	switch {
	case w.limit < 0:
		return true
	case w.count < w.limit:
		w.ring[w.next] = now
		w.next = (w.next + 1) % w.limit
		w.count++
		return true
	case now.Sub(w.ring[w.next]) < windowSpan:
		return false
	default:
		w.ring[w.next] = now
		w.next = (w.next + 1) % w.limit
		return true
	}
}

// busiest returns the highest number of arrivals seen in one window since
// the window was made or last reset.
func (w *window) busiest() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.maxSeen
}

// resetMax forgets the highest count but keeps the arrivals, so the quota
// stays enforced across a statistics reset.
func (w *window) resetMax() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.maxSeen = 0
}

// timeQueue is a FIFO of times backed by one slice. Popping advances a head
// index; the slice is compacted once the dead prefix outweighs the live
// part, which keeps both operations O(1) amortised.
type timeQueue struct {
	items []time.Time
	head  int
}

func (q *timeQueue) push(t time.Time) { q.items = append(q.items, t) }

func (q *timeQueue) len() int { return len(q.items) - q.head }

func (q *timeQueue) front() time.Time { return q.items[q.head] }

func (q *timeQueue) pop() {
	q.items[q.head] = time.Time{}
	q.head++
	if q.head >= 64 && q.head*2 >= len(q.items) {
		n := copy(q.items, q.items[q.head:])
		q.items = q.items[:n]
		q.head = 0
	}
}
