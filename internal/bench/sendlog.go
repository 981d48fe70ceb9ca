package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vodq/vodq/tasks"
	"github.com/vodq/vodq/worker"
)

// sendLog notes when each API call starts, as seen by the worker, so a run
// can tell a fleet that sent calls too close together from an API that
// received them so (a stalled emulator, a queue in the network). All
// processes of a run share the host's clock. Calls the SDK repeats on its
// own are not seen. Safe for concurrent use.
type sendLog struct {
	api worker.API

	mu sync.Mutex
	at []int64 // Unix nanoseconds
}

// ExecuteFunction notes the time and makes the call.
func (l *sendLog) ExecuteFunction(ctx context.Context, req *tasks.Request) (
	*tasks.Outcome, error) {
	now := time.Now().UnixNano()
	l.mu.Lock()
	l.at = append(l.at, now)
	l.mu.Unlock()
	return l.api.ExecuteFunction(ctx, req)
}

// write saves the times to path, one per line.
func (l *sendLog) write(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write send log: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, t := range l.at {
		w.WriteString(strconv.FormatInt(t, 10))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write send log: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write send log: %w", err)
	}
	return nil
}

// readSendLogs reads and merges the send logs in dir, sorted.
func readSendLogs(dir string) ([]int64, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "sends-*"))
	if err != nil {
		return nil, fmt.Errorf("read send logs: %w", err)
	}
	var all []int64
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("read send log: %w", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			t, err := strconv.ParseInt(sc.Text(), 10, 64)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("read send log %s: %w", p, err)
			}
			all = append(all, t)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read send log %s: %w", p, err)
		}
	}
	slices.Sort(all)
	return all, nil
}

// busiestWindow returns the most of sorted times that fall within any span
// shorter than window: the sliding count the API keeps.
func busiestWindow(sorted []int64, window time.Duration) int {
	best, lo := 0, 0
	for hi, t := range sorted {
		for t-sorted[lo] >= int64(window) {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}
