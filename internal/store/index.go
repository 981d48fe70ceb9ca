package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ActiveKey is a sorted set of the IDs of jobs that have not ended, scored
// by when they were last seen. It lets the worker's janitor find jobs whose
// task vanished from Asynq (archived after a worker died with no retry
// left, or deleted in the web UI) and end them, so that no accepted job is
// left without an end. It is an index of hints: the record decides.
const ActiveKey = "vodq:active"

// track adds id to the active index. A failure only weakens the janitor's
// view, so it is not the caller's error.
func (s *Store) track(ctx context.Context, id string) {
	_ = s.rdb.ZAdd(ctx, ActiveKey, redis.Z{Score: float64(s.now().Unix()), Member: id}).Err()
}

// Unseen returns up to limit IDs of active jobs not looked at since before.
func (s *Store) Unseen(ctx context.Context, before time.Time, limit int64) ([]string, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key:     ActiveKey,
		Start:   "-inf",
		Stop:    "(" + strconv.FormatInt(before.Unix(), 10),
		ByScore: true,
		Count:   limit,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("list active jobs: %w", err)
	}
	return ids, nil
}

// Seen marks id as looked at now, or drops it from the index when its
// record has ended or expired.
func (s *Store) Seen(ctx context.Context, id string, active bool) error {
	if !active {
		return s.rdb.ZRem(ctx, ActiveKey, id).Err()
	}
	return s.rdb.ZAdd(ctx, ActiveKey, redis.Z{Score: float64(s.now().Unix()), Member: id}).Err()
}
