package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/tasks"
)

// RecheckInterval is how often Wait re-reads a record it waits on, in case
// an end message was lost (a Redis failover, a dropped subscription).
const RecheckInterval = 2 * time.Second

// Wait blocks until job id reaches a final state and returns its record. It
// returns ErrNotFound when there is no record, and ctx.Err() when ctx ends
// first. Every Wait of a Store shares one Pub/Sub connection.
func (s *Store) Wait(ctx context.Context, id string) (*tasks.Job, error) {
	ch, unregister := s.waiters.register(id)
	defer unregister()

	tick := time.NewTicker(RecheckInterval)
	defer tick.Stop()
	for first := true; ; first = false {
		rec, err := s.Get(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound), err != nil && first:
			return nil, err
		case err != nil:
			// Ride out a Redis failover or restart: the next tick reads
			// again, until ctx ends.
		case rec.State.Final():
			return rec, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		case <-tick.C:
		}
	}
}

// waiters fans end messages out to the Wait calls of one Store.
type waiters struct {
	rdb redis.UniversalClient

	mu      sync.Mutex
	byID    map[string]map[chan struct{}]struct{}
	pubsub  *redis.PubSub
	stopped bool
}

func newWaiters(rdb redis.UniversalClient) *waiters {
	return &waiters{rdb: rdb, byID: map[string]map[chan struct{}]struct{}{}}
}

// register adds a waiter for id and starts the listener on first use.
func (w *waiters) register(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byID[id] == nil {
		w.byID[id] = map[chan struct{}]struct{}{}
	}
	w.byID[id][ch] = struct{}{}
	if w.pubsub == nil && !w.stopped {
		w.pubsub = w.rdb.Subscribe(context.Background(), EndedChannel)
		go w.listen(w.pubsub)
	}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.byID[id], ch)
		if len(w.byID[id]) == 0 {
			delete(w.byID, id)
		}
	}
}

// listen delivers messages until the subscription is closed. go-redis
// re-subscribes by itself after a dropped connection.
func (w *waiters) listen(ps *redis.PubSub) {
	for msg := range ps.Channel() {
		w.mu.Lock()
		for ch := range w.byID[msg.Payload] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		w.mu.Unlock()
	}
}

func (w *waiters) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.pubsub == nil {
		return nil
	}
	err := w.pubsub.Close()
	w.pubsub = nil
	return err
}
