package emulator

import (
	"strconv"
	"sync"
	"time"
)

// sessions implements the API's SessionId deduplication: a SessionId that
// succeeded within the ttl refuses later calls. It is safe for concurrent
// use.
//
// Only a success is remembered, as the API documents for deduplication of
// work that was done. While a call holding a SessionId is in flight the id is
// reserved, so two concurrent calls with one id cannot both succeed; the
// second is refused, and the id becomes free again if the first fails.
type sessions struct {
	mu      sync.Mutex
	ttl     time.Duration
	done    *expiring[string, struct{}]
	pending map[string]struct{}
}

// newSessions returns an empty store remembering successes for ttl.
func newSessions(ttl time.Duration) *sessions {
	return &sessions{
		ttl:     ttl,
		done:    newExpiring[string, struct{}](ttl, maxRemembered),
		pending: make(map[string]struct{}),
	}
}

// reserve claims id for a call starting at now. The empty id asks for no
// deduplication and is always granted.
func (s *sessions) reserve(id string, now time.Time) *apiError {
	if id == "" {
		return nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.done.get(id, now); ok {
		return newError(codeInvalidSessionID,
			"duplicate request: SessionId %q was used by a successful request within %s",
			id, formatTTL(s.ttl))
	}
	if _, ok := s.pending[id]; ok {
		return newError(codeInvalidSessionID,
			"duplicate request: a request with SessionId %q is in progress", id)
	}
	s.pending[id] = struct{}{}
	return nil
}

// finish ends the reservation of id; a success at now is remembered.
func (s *sessions) finish(id string, succeeded bool, now time.Time) {
	if id == "" {
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, id)
	if succeeded {
		s.done.put(id, struct{}{}, now)
	}
}

// formatTTL words a ttl for messages: whole days as "7 days", anything else
// as a Go duration.
func formatTTL(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == day:
		return "1 day"
	case d > 0 && d%day == 0:
		return strconv.Itoa(int(d/day)) + " days"
	default:
		return d.String()
	}
}
