package bench

import (
	"io"
	"slices"
	"testing"
	"time"

	"github.com/vodq/vodq/internal/emulator"
)

func TestParseStrategies(t *testing.T) {
	t.Parallel()

	got, err := ParseStrategies(DefaultStrategies)
	want := []Strategy{StrategyLimiter, StrategyConcurrencyOnly, StrategySDKRetry}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseStrategies(default) = %v, %v; want %v", got, err, want)
	}
	got, err = ParseStrategies(" limiter , limiter,")
	if err != nil || !slices.Equal(got, []Strategy{StrategyLimiter, StrategyLimiter}) {
		t.Errorf("ParseStrategies with spaces and a repeat = %v, %v", got, err)
	}
	for _, bad := range []string{"", ",", "token-bucket"} {
		if _, err := ParseStrategies(bad); err == nil {
			t.Errorf("ParseStrategies(%q) succeeded, want an error", bad)
		}
	}
}

func TestAutoConcurrency(t *testing.T) {
	t.Parallel()
	lat := func(s string) emulator.Latency {
		l, err := emulator.ParseLatency(s)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}

	for _, tc := range []struct {
		name    string
		latency string
		procs   int
		want    int
	}{
		{"fast calls get the floor of 16 across the fleet", "20ms", 1, 16},
		{"the floor is shared by the processes", "20ms", 4, 4},
		{"800ms calls at 97/s get twice 97 x 0.85s", "800ms", 1, 165},
		{"and each of two processes half of it", "800ms", 2, 83},
		{"a range is sized by its upper bound", "10ms-800ms", 1, 165},
		{"a normal is sized by mean plus two deviations", "normal:700ms:50ms", 1, 165},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := AutoConcurrency(97, lat(tc.latency), tc.procs, false); got != tc.want {
				t.Errorf("AutoConcurrency(97, %s, %d) = %d, want %d", tc.latency, tc.procs,
					got, tc.want)
			}
		})
	}
	if got := AutoConcurrency(97, lat("20ms"), 2, true); got != 50 {
		t.Errorf("AutoConcurrency for a remote emulator = %d, want 50", got)
	}
}

func TestWorkerArgsRoundTrip(t *testing.T) {
	t.Parallel()
	want := WorkerOptions{
		Endpoint: "127.0.0.1:1234", Queue: "bench-x-1", Strategy: StrategySDKRetry,
		LimiterName: "bench-x-1", Rate: 97.5, Burst: 2, SDKRetries: 4, Concurrency: 33,
		PollInterval: 150 * time.Millisecond,
	}
	got, err := ParseWorkerArgs(want.Args(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("round trip mismatch (-want +got):\n-%+v\n+%+v", want, got)
	}

	bad := want
	bad.Concurrency = 0
	if _, err := ParseWorkerArgs(bad.Args(), io.Discard); err == nil {
		t.Error("ParseWorkerArgs accepted a concurrency of 0")
	}
}

func TestMatrix(t *testing.T) {
	t.Parallel()
	strategies := []Strategy{StrategyLimiter, StrategyConcurrencyOnly}
	runs := Matrix(strategies, 3000, 1000)

	if want := len(MatrixProcs) * len(MatrixLatencies) * len(strategies); len(runs) != want {
		t.Fatalf("Matrix made %d runs, want %d", len(runs), want)
	}
	for _, r := range runs {
		want := 3000
		if r.Strategy != StrategyLimiter {
			want = 1000
		}
		if r.Jobs != want {
			t.Errorf("%s run has %d jobs, want %d", r.Strategy, r.Jobs, want)
		}
		if (r.Note != "") != (want == 1000) {
			t.Errorf("%s run note = %q", r.Strategy, r.Note)
		}
	}
	if runs[0].Latency.String() != "20ms" || runs[len(runs)-1].Latency.String() != "800ms" {
		t.Errorf("latencies run from %s to %s, want 20ms to 800ms", runs[0].Latency,
			runs[len(runs)-1].Latency)
	}
}
