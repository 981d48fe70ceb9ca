package emulator

import (
	"strings"
	"testing"
	"time"
)

func TestSessionDedupe(t *testing.T) {
	t.Parallel()

	withSession := func(name, id string) map[string]any {
		return map[string]any{"FunctionName": name, "FunctionArg": "x", "SessionId": id}
	}

	t.Run("a SessionId is refused only after a success", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		c := f.client(t)

		_, err := execute(t.Context(), c, withSession("fail:InternalError", "job-1"))
		wantCode(t, err, codeInternalError)

		mustExecute(t, c, withSession("ExampleFunc", "job-1"))

		_, err = execute(t.Context(), c, withSession("ExampleFunc", "job-1"))
		msg := wantCode(t, err, codeInvalidSessionID)
		if !strings.Contains(msg, "job-1") || !strings.Contains(msg, "7 days") {
			t.Errorf("message = %q, want the SessionId and the period", msg)
		}

		// Other ids and calls without an id are unaffected.
		mustExecute(t, c, withSession("ExampleFunc", "job-2"))
		mustExecute(t, c, withSession("ExampleFunc", ""))
		mustExecute(t, c, withSession("ExampleFunc", ""))
	})

	t.Run("a SessionId is accepted again after the TTL", func(t *testing.T) {
		t.Parallel()
		clock := newManualClock()
		f := setup(t, Config{Now: clock.Now, SessionTTL: time.Minute})
		c := f.client(t)

		mustExecute(t, c, withSession("ExampleFunc", "job-1"))
		clock.Advance(59 * time.Second)
		_, err := execute(t.Context(), c, withSession("ExampleFunc", "job-1"))
		wantCode(t, err, codeInvalidSessionID)

		clock.Advance(time.Second)
		mustExecute(t, c, withSession("ExampleFunc", "job-1"))
	})
}

func TestSessionsReserve(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	s := newSessions(time.Hour)

	if e := s.reserve("a", now); e != nil {
		t.Fatalf("first reserve: %v", e)
	}
	if e := s.reserve("a", now); e == nil || !strings.Contains(e.Message, "in progress") {
		t.Fatalf("reserve while in flight = %v, want an in-progress refusal", e)
	}

	s.finish("a", false, now)
	if e := s.reserve("a", now); e != nil {
		t.Fatalf("reserve after a failure: %v", e)
	}
	s.finish("a", true, now)
	if e := s.reserve("a", now.Add(time.Hour-time.Nanosecond)); e == nil {
		t.Fatal("reserve within the TTL of a success was granted")
	}
	if e := s.reserve("a", now.Add(time.Hour)); e != nil {
		t.Fatalf("reserve after the TTL: %v", e)
	}
}

func TestExpiring(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)

	t.Run("entries expire after the TTL from their first store", func(t *testing.T) {
		t.Parallel()
		m := newExpiring[string, int](time.Minute, 10)
		m.put("k", 1, now)
		m.put("k", 2, now.Add(30*time.Second))
		if v, ok := m.get("k", now.Add(59*time.Second)); !ok || v != 2 {
			t.Fatalf("get before expiry = %d, %t; want 2, true", v, ok)
		}
		if _, ok := m.get("k", now.Add(time.Minute)); ok {
			t.Fatal("entry still live after its TTL")
		}
		if m.len() != 0 {
			t.Fatalf("len = %d after expiry, want 0", m.len())
		}
	})

	t.Run("the oldest entries go first past the limit", func(t *testing.T) {
		t.Parallel()
		m := newExpiring[int, int](time.Hour, 100)
		for i := range 1000 {
			m.put(i, i, now.Add(time.Duration(i)*time.Millisecond))
		}
		if m.len() != 100 {
			t.Fatalf("len = %d, want the limit 100", m.len())
		}
		if _, ok := m.get(899, now.Add(time.Second)); ok {
			t.Error("entry 899 survived past the limit")
		}
		if _, ok := m.get(999, now.Add(time.Second)); !ok {
			t.Error("the newest entry was evicted")
		}
	})

	t.Run("a key stored again after expiry lives its own TTL", func(t *testing.T) {
		t.Parallel()
		m := newExpiring[string, int](time.Minute, 10)
		m.put("k", 1, now)
		m.put("k", 2, now.Add(2*time.Minute))
		if v, ok := m.get("k", now.Add(2*time.Minute+59*time.Second)); !ok || v != 2 {
			t.Fatalf("get = %d, %t; want 2, true", v, ok)
		}
	})
}
