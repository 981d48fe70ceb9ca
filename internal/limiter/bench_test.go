package limiter

import (
	"context"
	"testing"
)

// BenchmarkWait measures one grant at a rate high enough that the Redis
// round trip, not the schedule, sets the pace.
func BenchmarkWait(b *testing.B) {
	l, _ := setup(b, Config{Name: "bench", Rate: MaxRate})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Wait(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
