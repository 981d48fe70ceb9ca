package bench

import (
	"fmt"
	"time"

	"github.com/vodq/vodq/internal/emulator"
)

// The fleet sizes and call latencies of Matrix.
var (
	MatrixProcs     = []int{1, 2, 4}
	MatrixLatencies = []time.Duration{20 * time.Millisecond, 800 * time.Millisecond}
)

// Matrix returns the runs that prove the quota is used and kept: every
// strategy at every size of MatrixProcs and every latency of
// MatrixLatencies, with jobs each. Strategies other than the limiter run
// baselineJobs instead when that is positive and smaller: they are there
// to show how they fail, which a shorter run shows as well, and they are
// the slow ones.
func Matrix(strategies []Strategy, jobs, baselineJobs int) []RunSpec {
	var runs []RunSpec
	for _, lat := range MatrixLatencies {
		l, err := emulator.ParseLatency(lat.String())
		if err != nil {
			panic(err) // the durations above always parse
		}
		for _, p := range MatrixProcs {
			for _, st := range strategies {
				r := RunSpec{Strategy: st, Procs: p, Jobs: jobs, Latency: l}
				if st != StrategyLimiter && baselineJobs > 0 && baselineJobs < jobs {
					r.Jobs = baselineJobs
					r.Note = fmt.Sprintf("baseline shortened to %d jobs", baselineJobs)
				}
				runs = append(runs, r)
			}
		}
	}
	return runs
}
