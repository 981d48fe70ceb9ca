package cli

import (
	"context"
	"errors"
)

// Not yet: the benchmark is being written.
func runBench(ctx context.Context, e *env, args []string) error {
	return errors.New("bench is not built yet")
}
