package emulator

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// latencyKind tells how a Latency draws its delays.
type latencyKind uint8

const (
	latencyNone latencyKind = iota
	latencyFixed
	latencyUniform
	latencyNormal
)

// normalPrefix starts the text form of a normally distributed Latency.
const normalPrefix = "normal:"

// Latency is the delay the emulator adds before answering a call, to make
// offline runs look like calls that cross a network and do work. The zero
// value adds no delay.
//
// A Latency is written as text (see ParseLatency) so it fits flags and
// environment variables; it implements encoding.TextMarshaler and
// encoding.TextUnmarshaler for that reason. Values are immutable and safe
// for concurrent use.
type Latency struct {
	kind latencyKind
	// a and b mean: fixed delay a; uniform on [a, b]; normal with mean a
	// and standard deviation b.
	a, b time.Duration
}

// ParseLatency reads a Latency from text:
//
//	""  or "0"            no delay
//	"20ms"                 always 20ms
//	"10ms-30ms"            uniform between 10ms and 30ms, both included
//	"normal:800ms:100ms"   normal with mean 800ms and standard deviation
//	                       100ms; draws below zero become zero
//
// Durations use time.ParseDuration syntax and must not be negative. Leading
// and trailing spaces are ignored. The error names the input.
func ParseLatency(s string) (Latency, error) {
	s = strings.TrimSpace(s)
	l, err := parseLatency(s)
	if err != nil {
		return Latency{}, fmt.Errorf("parse latency %q: %w", s, err)
	}
	return l, nil
}

// parseLatency does the work of ParseLatency; its errors leave naming the
// input to the caller.
func parseLatency(s string) (Latency, error) {
	if s == "" || s == "0" {
		return Latency{}, nil
	}

	if rest, ok := strings.CutPrefix(s, normalPrefix); ok {
		meanText, devText, ok := strings.Cut(rest, ":")
		if !ok {
			return Latency{}, errors.New("want normal:<mean>:<stddev>")
		}
		mean, err := parseDelay("mean", meanText)
		if err != nil {
			return Latency{}, err
		}
		dev, err := parseDelay("stddev", devText)
		if err != nil {
			return Latency{}, err
		}
		return Latency{kind: latencyNormal, a: mean, b: dev}, nil
	}

	// A leading '-' is a negative duration, not a range; parseDelay refuses it.
	if loText, hiText, ok := strings.Cut(s, "-"); ok && loText != "" {
		lo, err := parseDelay("lower bound", loText)
		if err != nil {
			return Latency{}, err
		}
		hi, err := parseDelay("upper bound", hiText)
		if err != nil {
			return Latency{}, err
		}
		if lo > hi {
			return Latency{}, fmt.Errorf("lower bound %s exceeds upper bound %s", lo, hi)
		}
		return Latency{kind: latencyUniform, a: lo, b: hi}, nil
	}

	d, err := parseDelay("delay", s)
	if err != nil || d == 0 {
		return Latency{}, err
	}
	return Latency{kind: latencyFixed, a: d}, nil
}

// parseDelay reads one non-negative duration; what names it in errors.
func parseDelay(what, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s %s is negative", what, d)
	}
	return d, nil
}

// String returns the Latency in the form ParseLatency reads: "0" for no
// delay, otherwise "20ms", "10ms-30ms" or "normal:800ms:100ms".
func (l Latency) String() string {
	switch l.kind {
	case latencyFixed:
		return l.a.String()
	case latencyUniform:
		return l.a.String() + "-" + l.b.String()
	case latencyNormal:
		return normalPrefix + l.a.String() + ":" + l.b.String()
	default:
		return "0"
	}
}

// IsZero reports whether the Latency adds no delay.
func (l Latency) IsZero() bool {
	return l.kind == latencyNone
}

// MarshalText returns the String form.
func (l Latency) MarshalText() ([]byte, error) {
	return []byte(l.String()), nil
}

// UnmarshalText parses text with ParseLatency.
func (l *Latency) UnmarshalText(text []byte) error {
	v, err := ParseLatency(string(text))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// sample draws one delay.
func (l Latency) sample(r *lockedRand) time.Duration {
	switch l.kind {
	case latencyFixed:
		return l.a
	case latencyUniform:
		span := int64(l.b - l.a)
		if span < math.MaxInt64 {
			span++ // include the upper bound
		}
		return l.a + time.Duration(r.int64N(span))
	case latencyNormal:
		d := float64(l.a) + float64(l.b)*r.normFloat64()
		return time.Duration(max(d, 0))
	default:
		return 0
	}
}

// lockedRand is a seeded source shared by all requests. math/rand/v2's Rand
// is not safe for concurrent use, hence the mutex; the seed keeps a run of
// sequential calls reproducible.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// newLockedRand seeds a PCG generator from one int64.
func newLockedRand(seed int64) *lockedRand {
	const stream = 0x9e3779b97f4a7c15
	return &lockedRand{r: rand.New(rand.NewPCG(uint64(seed), stream))}
}

func (l *lockedRand) float64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}

func (l *lockedRand) normFloat64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.NormFloat64()
}

// int64N returns a value in [0, n); n must be positive.
func (l *lockedRand) int64N(n int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Int64N(n)
}
