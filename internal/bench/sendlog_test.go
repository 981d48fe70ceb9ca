package bench

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vodq/vodq/tasks"
)

func TestBusiestWindow(t *testing.T) {
	t.Parallel()
	ms := int64(time.Millisecond)
	every := func(n int, step int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i) * step
		}
		return out
	}

	for _, tc := range []struct {
		name   string
		sorted []int64
		want   int
	}{
		{"no calls make an empty window", nil, 0},
		{"one call fills a window of one", []int64{5}, 1},
		{"calls exactly 1s apart never share a window", []int64{0, 1000 * ms, 2000 * ms}, 1},
		{"calls just under 1s apart do", []int64{0, 999 * ms, 2500 * ms}, 2},
		{"300 calls 10ms apart put 100 in a window", every(300, 10*ms), 100},
		{"a pace of 97/s puts 97 in a window", every(300, pace97), 97},
		{"one call late at 97/s adds one", late(every(300, pace97), 21*ms, 10), 98},
		{"two calls late by 21ms at 97/s add two", late(every(300, pace97), 21*ms, 10, 11), 99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := busiestWindow(tc.sorted, time.Second); got != tc.want {
				t.Errorf("busiestWindow = %d, want %d", got, tc.want)
			}
		})
	}
}

// pace97 is the limiter's interval at 97/s, rounded up to a microsecond.
const pace97 = 10310 * int64(time.Microsecond)

// late delays the calls at idx by d and keeps the times sorted.
func late(ts []int64, d int64, idx ...int) []int64 {
	ts = slices.Clone(ts)
	for _, i := range idx {
		ts[i] += d
	}
	slices.Sort(ts)
	return ts
}

func TestSendLogRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()

	// Two processes' logs merge into one sorted list.
	var logs [2]sendLog
	for i := range logs {
		logs[i].api = okAPI{}
		for range 3 {
			if _, err := logs[i].ExecuteFunction(ctx, &tasks.Request{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, name := range []string{"sends-1", "sends-2"} {
		if err := logs[i].write(dir + "/" + name); err != nil {
			t.Fatal(err)
		}
	}

	got, err := readSendLogs(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(append(logs[0].at, logs[1].at...)))
	if !slices.Equal(got, want) {
		t.Errorf("readSendLogs = %v, want %v", got, want)
	}
}

type okAPI struct{}

func (okAPI) ExecuteFunction(context.Context, *tasks.Request) (*tasks.Outcome, error) {
	return &tasks.Outcome{Result: "ok"}, nil
}
