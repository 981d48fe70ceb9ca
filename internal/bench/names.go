package bench

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// names are the Redis names one run uses: its own queue, limiter and job
// IDs, so runs on a shared Redis neither meet each other nor anyone else.
type names struct {
	tag string // "bench-<random>-<run index>"
}

// newNames returns the names of run i of a benchmark tagged by bench.
func newNames(bench string, i int) names {
	return names{tag: fmt.Sprintf("bench-%s-%d", bench, i)}
}

// newBenchTag returns a random tag for one invocation.
func newBenchTag() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (n names) queue() string { return n.tag }

func (n names) limiter() string { return n.tag }

// limiterKey is the limiter's Redis key, as limiter.Config documents it.
func (n names) limiterKey() string { return "vodq:limiter:{" + n.limiter() + "}" }

func (n names) jobID(i int) string { return fmt.Sprintf("%s-%05d", n.tag, i) }
