package testutil

import (
	"context"
	"testing"
)

// Run runs fn in the background until the test ends, then cancels its
// context and waits for it to return; an error from fn fails the test.
func Run(t testing.TB, fn func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := fn(ctx); err != nil {
			t.Errorf("background run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}
