package emulator

import "time"

// maxRemembered caps each expiring memory. At the API's 100 calls a second a
// week of distinct SessionIds would be about 60 million entries; the emulator
// serves tests and demos, so it forgets the oldest entries early rather than
// grow without bound.
const maxRemembered = 1 << 20

// expiring is a map whose entries vanish ttl after they were first stored,
// or earlier when more than limit entries are held (oldest first). It is not
// safe for concurrent use; its owner holds a lock.
//
// Entries are queued in insertion order, which is also expiry order because
// the ttl is fixed, so a sweep only looks at the front of the queue: O(1)
// amortised per entry.
type expiring[K comparable, V any] struct {
	ttl   time.Duration
	limit int
	items map[K]expiringItem[V]
	order []expiringKey[K]
	head  int
}

type expiringItem[V any] struct {
	value   V
	expires time.Time
}

type expiringKey[K comparable] struct {
	key     K
	expires time.Time
}

// newExpiring returns an empty memory.
func newExpiring[K comparable, V any](ttl time.Duration, limit int) *expiring[K, V] {
	return &expiring[K, V]{ttl: ttl, limit: limit, items: make(map[K]expiringItem[V])}
}

// get returns the live value stored under k.
func (m *expiring[K, V]) get(k K, now time.Time) (V, bool) {
	m.sweep(now)
	it, ok := m.items[k]
	if !ok || !now.Before(it.expires) {
		var zero V
		return zero, false
	}
	return it.value, true
}

// put stores v under k. A live entry keeps its expiry time, so a counter
// updated on every call still expires ttl after its first call.
func (m *expiring[K, V]) put(k K, v V, now time.Time) {
	m.sweep(now)
	if it, ok := m.items[k]; ok && now.Before(it.expires) {
		it.value = v
		m.items[k] = it
		return
	}

	exp := now.Add(m.ttl)
	m.items[k] = expiringItem[V]{value: v, expires: exp}
	m.order = append(m.order, expiringKey[K]{key: k, expires: exp})
	m.sweep(now)
}

// len returns the number of entries held, expired ones not yet swept
// included.
func (m *expiring[K, V]) len() int {
	return len(m.items)
}

// sweep drops expired entries and, past the limit, the oldest live ones.
func (m *expiring[K, V]) sweep(now time.Time) {
	for m.head < len(m.order) {
		front := m.order[m.head]
		if now.Before(front.expires) && len(m.items) <= m.limit {
			break
		}

		// A key stored again after it expired has a newer queue entry;
		// only the entry carrying the current expiry may delete it.
		if it, ok := m.items[front.key]; ok && it.expires.Equal(front.expires) {
			delete(m.items, front.key)
		}
		m.order[m.head] = expiringKey[K]{}
		m.head++
	}

	if m.head >= 64 && m.head*2 >= len(m.order) {
		n := copy(m.order, m.order[m.head:])
		clear(m.order[n:])
		m.order = m.order[:n]
		m.head = 0
	}
}
