package emulator

import (
	"strings"
	"testing"
	"time"
)

func TestParseLatency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in         string
		want       Latency
		wantString string
	}{
		{"", Latency{}, "0"},
		{"0", Latency{}, "0"},
		{"0s", Latency{}, "0"},
		{" 20ms ", Latency{kind: latencyFixed, a: 20 * time.Millisecond}, "20ms"},
		{"1.5s", Latency{kind: latencyFixed, a: 1500 * time.Millisecond}, "1.5s"},
		{"10ms-30ms", Latency{kind: latencyUniform, a: 10 * time.Millisecond,
			b: 30 * time.Millisecond}, "10ms-30ms"},
		{"5ms-5ms", Latency{kind: latencyUniform, a: 5 * time.Millisecond,
			b: 5 * time.Millisecond}, "5ms-5ms"},
		{"normal:800ms:100ms", Latency{kind: latencyNormal, a: 800 * time.Millisecond,
			b: 100 * time.Millisecond}, "normal:800ms:100ms"},
		{"normal:1s:0s", Latency{kind: latencyNormal, a: time.Second}, "normal:1s:0s"},
	} {
		t.Run("reads "+tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLatency(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseLatency(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if s := got.String(); s != tc.wantString {
				t.Errorf("String() = %q, want %q", s, tc.wantString)
			}
			again, err := ParseLatency(got.String())
			if err != nil || again != got {
				t.Errorf("ParseLatency(String()) = %+v, %v; want %+v", again, err, got)
			}
		})
	}

	for _, in := range []string{
		"20", "fast", "-20ms", "30ms-10ms", "10ms-", "10ms--30ms", "10ms-x",
		"normal:", "normal:800ms", "normal:800ms:-1ms", "normal:-1s:1ms", "normal:a:b",
		"normal:1s:1s:1s",
	} {
		t.Run("refuses "+in, func(t *testing.T) {
			t.Parallel()
			_, err := ParseLatency(in)
			if err == nil {
				t.Fatalf("ParseLatency(%q) succeeded", in)
			}
			if !strings.Contains(err.Error(), `"`+in+`"`) {
				t.Errorf("error %q does not name the input", err)
			}
		})
	}
}

func TestLatencyText(t *testing.T) {
	t.Parallel()
	var l Latency
	if err := l.UnmarshalText([]byte("10ms-20ms")); err != nil {
		t.Fatal(err)
	}
	b, err := l.MarshalText()
	if err != nil || string(b) != "10ms-20ms" {
		t.Fatalf("MarshalText = %q, %v; want 10ms-20ms", b, err)
	}
	if err := l.UnmarshalText([]byte("nope")); err == nil {
		t.Fatal("UnmarshalText accepted nope")
	}
	if l.IsZero() {
		t.Error("a failed UnmarshalText cleared the value")
	}
}

func TestLatencySample(t *testing.T) {
	t.Parallel()
	r := newLockedRand(1)

	uniform, _ := ParseLatency("10ms-30ms")
	normal, _ := ParseLatency("normal:10ms:50ms")
	var sawLow, sawHigh, sawZero bool
	for range 2000 {
		d := uniform.sample(r)
		if d < 10*time.Millisecond || d > 30*time.Millisecond {
			t.Fatalf("uniform sample %s outside [10ms, 30ms]", d)
		}
		sawLow = sawLow || d < 15*time.Millisecond
		sawHigh = sawHigh || d > 25*time.Millisecond

		n := normal.sample(r)
		if n < 0 {
			t.Fatalf("normal sample %s is negative", n)
		}
		sawZero = sawZero || n == 0
	}
	if !sawLow || !sawHigh {
		t.Error("uniform samples did not spread over the range")
	}
	if !sawZero {
		t.Error("normal samples below zero were not clipped to zero")
	}

	if d := (Latency{}).sample(r); d != 0 {
		t.Errorf("zero Latency sampled %s", d)
	}
}
