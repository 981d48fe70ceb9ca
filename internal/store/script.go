package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/tasks"
)

// transitionScript changes one record if its state allows it.
//
// KEYS[1]: the record. ARGV[1]: TTL in ms. ARGV[2]: the states the record
// may be in, comma-separated; "" means only a missing record qualifies.
// ARGV[3]: "1" to create a missing record. ARGV[4...]: field/value pairs. A
// field written "+name" is incremented by the value, "?name" is set only if
// absent, "-name" is deleted (the value is ignored).
//
// It returns {1, fields} when applied to an existing record, {2, fields}
// when it created the record, {0, fields} when the record's state did not
// allow it, and {-1} when the record is missing and not created.
var transitionScript = redis.NewScript(`
local key = KEYS[1]
local state = redis.call('HGET', key, 'state')
local applied = 1
if not state then
  if ARGV[3] ~= '1' then return {-1} end
  applied = 2
elseif not string.find(',' .. ARGV[2] .. ',', ',' .. state .. ',', 1, true) then
  return {0, redis.call('HGETALL', key)}
end
for i = 4, #ARGV, 2 do
  local f, v = ARGV[i], ARGV[i + 1]
  local op = string.sub(f, 1, 1)
  if op == '+' then
    redis.call('HINCRBY', key, string.sub(f, 2), v)
  elseif op == '?' then
    redis.call('HSETNX', key, string.sub(f, 2), v)
  elseif op == '-' then
    redis.call('HDEL', key, string.sub(f, 2))
  else
    redis.call('HSET', key, f, v)
  end
end
redis.call('PEXPIRE', key, ARGV[1])
return {applied, redis.call('HGETALL', key)}
`)

func (s *Store) transition(ctx context.Context, id, from string, create bool,
	fields []any) (*tasks.Job, bool, error) {
	rec, code, err := s.transitionCode(ctx, id, from, create, fields)
	return rec, code >= 1, err
}

// transitionCode is transition, returning the script's code: 2 when it
// created the record, 1 when it changed it, 0 when the state forbade it.
func (s *Store) transitionCode(ctx context.Context, id, from string, create bool,
	fields []any) (*tasks.Job, int64, error) {
	argv := make([]any, 0, 3+len(fields))
	argv = append(argv, strconv.FormatInt(s.retention.Milliseconds(), 10), from, boolArg(create))
	argv = append(argv, fields...)

	res, err := transitionScript.Run(ctx, s.rdb, []string{Key(id)}, argv...).Slice()
	if err != nil {
		return nil, 0, fmt.Errorf("update job %s: %w", id, err)
	}
	code, _ := res[0].(int64)
	if code == -1 {
		return nil, 0, ErrNotFound
	}
	flat, _ := res[1].([]any)
	m := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		m[k] = v
	}
	rec, err := decode(id, m)
	if err != nil {
		return nil, 0, err
	}
	return rec, code, nil
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
