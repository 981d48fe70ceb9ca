package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/tasks"
)

// idError is printed for an ID that has no record.
type idError struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

func runGet(ctx context.Context, e *env, args []string) error {
	ids, err := parseIDs(e, "get", args)
	if err != nil {
		return err
	}
	return withProducer(ctx, e, func(c *enqueue.Client) error {
		return forEachID(e, ids, func(id string) (*tasks.Job, error) { return c.Get(ctx, id) })
	})
}

// parseIDs parses the arguments of a command that takes job IDs.
func parseIDs(e *env, name string, args []string) ([]string, error) {
	fs := newFlags(e, name, "ID...")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() == 0 {
		return nil, usageError{errors.New("give at least one job ID")}
	}
	return fs.Args(), nil
}

// withProducer opens Redis and a producer client for fn.
func withProducer(ctx context.Context, e *env, fn func(c *enqueue.Client) error) error {
	rdb, err := openRedis(ctx, e.cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	c := newProducer(e.cfg, rdb)
	defer c.Close()
	return fn(c)
}

// forEachID prints the record op returns for each ID, or an error line for
// an unknown ID or a refused operation; it returns errJobFailed if any ID
// had such a line.
func forEachID(e *env, ids []string, op func(id string) (*tasks.Job, error)) error {
	bad := false
	for _, id := range ids {
		if err := tasks.ValidateJobID(id); err != nil {
			bad = true
			if err := writeJSON(e.Out, idError{ID: id, Error: err.Error()}); err != nil {
				return err
			}
			continue
		}
		job, err := op(id)
		switch {
		case errors.Is(err, enqueue.ErrNotFound):
			bad = true
			err = writeJSON(e.Out, idError{ID: id, Error: "not found"})
		case errors.Is(err, enqueue.ErrNotCancelable):
			bad = true
			err = writeJSON(e.Out, idError{ID: id, Error: err.Error()})
		case err != nil:
			return err
		default:
			err = writeJSON(e.Out, job)
		}
		if err != nil {
			return err
		}
	}
	if bad {
		return errJobFailed
	}
	return nil
}

func runWait(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "wait", "[-timeout D] ID...")
	timeout := fs.Duration("timeout", 0, "give up after this long (exit 3); 0 waits for ever")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *timeout < 0 {
		return usageError{errors.New("-timeout must not be negative")}
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("give at least one job ID")}
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	return withProducer(ctx, e, func(c *enqueue.Client) error {
		return waitAndPrint(ctx, e, c, fs.Args())
	})
}

// waitAndPrint waits for every job, printing each record as its job ends.
// It returns errJobFailed when a job did not succeed or has no record.
func waitAndPrint(ctx context.Context, e *env, c *enqueue.Client, ids []string) error {
	type answer struct {
		id  string
		job *tasks.Job
		err error
	}
	answers := make(chan answer)
	sem := make(chan struct{}, 64)
	for _, id := range ids {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			job, err := c.Wait(ctx, id)
			answers <- answer{id, job, err}
		}()
	}
	bad := false
	var firstErr error
	for range ids {
		a := <-answers
		var err error
		switch {
		case errors.Is(a.err, enqueue.ErrNotFound):
			bad = true
			err = writeJSON(e.Out, idError{ID: a.id, Error: "not found"})
		case a.err != nil:
			bad = true
			if firstErr == nil {
				firstErr = a.err
			}
		default:
			bad = bad || a.job.State != tasks.StateSucceeded
			err = writeJSON(e.Out, a.job)
		}
		if err != nil {
			return err
		}
	}
	if errors.Is(firstErr, context.DeadlineExceeded) {
		return fmt.Errorf("gave up waiting: %w", firstErr)
	}
	if firstErr != nil {
		return firstErr
	}
	if bad {
		return errJobFailed
	}
	return nil
}

func runCancel(ctx context.Context, e *env, args []string) error {
	ids, err := parseIDs(e, "cancel", args)
	if err != nil {
		return err
	}
	return withProducer(ctx, e, func(c *enqueue.Client) error {
		return forEachID(e, ids, func(id string) (*tasks.Job, error) { return c.Cancel(ctx, id) })
	})
}
