package limiter

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// Scripter is the part of a go-redis client the limiter calls. *redis.Client,
// *redis.ClusterClient, *redis.Ring and the failover clients all satisfy it.
type Scripter interface {
	Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd
	EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd
}

// The scripts share one prelude. It reads the clock and the state and works
// out the adaptive factor, so that all three agree on what the rate is now.
//
// State is one hash: tat (theoretical arrival time: the first free slot, in
// microseconds of Redis time), factor (the rate multiplier set by the last
// counted throttle) and changed_at (when that factor took effect). The
// factor in force at a moment is computed from these, never written back,
// so reading it any number of times cannot drift.
//
// Common arguments: ARGV[1] Rate (requests/s), ARGV[2] MinRate/Rate,
// ARGV[3] RecoverAfter (µs), ARGV[4] recovery in factor units per µs,
// ARGV[5] idle TTL (ms). Numbers written to Redis are formatted here, since
// Lua's own tostring keeps only 14 digits and a microsecond clock needs 16.
const prelude = `
-- Redis 7 always replicates effects; older servers need asking before TIME.
if redis.replicate_commands then redis.replicate_commands() end

local key = KEYS[1]
local rate = tonumber(ARGV[1])
local min_factor = tonumber(ARGV[2])
local recover_after = tonumber(ARGV[3])
local recover_per_us = tonumber(ARGV[4])
local idle_ttl = tonumber(ARGV[5])

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

local state = redis.call('HMGET', key, 'tat', 'factor', 'changed_at')
local tat = tonumber(state[1]) or 0
local base = tonumber(state[2]) or 1
local changed_at = tonumber(state[3]) or 0

local factor = base
local quiet = now - changed_at - recover_after
if quiet > 0 then
  factor = factor + quiet * recover_per_us
end
factor = math.max(min_factor, math.min(1, factor))

local function int(x)
  return string.format('%.0f', x)
end

local function float(x)
  return string.format('%.17g', x)
end

-- An idle key vanishes, but only once its queue has drained and its rate
-- has recovered, so expiry never forgets a throttle.
local function keep(until_at, f, since)
  if f < 1 then
    until_at = math.max(until_at, since + recover_after + (1 - f) / recover_per_us)
  end
  local ms = math.ceil(math.max(until_at - now, 0) / 1000) + idle_ttl
  redis.call('PEXPIRE', key, int(ms))
end
`

// reserveScript takes the next free slot when it is at most ARGV[7] µs
// away, with ARGV[6] the burst. It answers {1, wait µs, slot} on a grant or
// {0, hint µs, slot} when the queue is too long, slot being when the grant
// takes effect in µs of Redis time. Every interval is rounded up to a whole
// microsecond so the slots stay integers and never come closer than 1/rate.
var reserveScript = newScript(prelude + `
local burst = tonumber(ARGV[6])
local max_wait = tonumber(ARGV[7])

local interval = 1000000 / (rate * factor)
local credit = (burst - 1) * 1000000 / rate
local slot = math.max(tat, math.ceil(now - credit))
local wait = slot - now
if wait > max_wait then
  return {0, wait - max_wait, slot}
end

local next_tat = math.ceil(slot + interval)
redis.call('HSET', key, 'tat', int(next_tat))
keep(next_tat, base, changed_at)
return {1, math.max(wait, 0), math.max(slot, now)}
`)

// throttleScript lowers the factor by ARGV[6], unless the last change is
// younger than ARGV[7] µs or one interval, whichever is longer. The change
// takes effect at the end of the queue, because slots already handed out
// keep the old spacing; reports until then come from those slots and count
// as the same throttle. It answers {counted, effective rate}.
var throttleScript = newScript(prelude + `
local decrease = tonumber(ARGV[6])
local grace = math.max(tonumber(ARGV[7]), 1000000 / (rate * factor))
if now < changed_at + grace then
  return {0, float(rate * factor)}
end

local lowered = math.max(min_factor, factor * decrease)
local effective = math.max(now, tat)
redis.call('HSET', key, 'tat', int(effective), 'factor', float(lowered),
  'changed_at', int(effective))
keep(effective, lowered, effective)
return {1, float(rate * lowered)}
`)

// rateScript answers the effective rate in requests per second, as a string.
var rateScript = newScript(prelude + `
return float(rate * factor)
`)

// script pairs a go-redis Script, for its digest, with its source, so the
// EVAL fallback needs nothing beyond Scripter.
type script struct {
	src string
	rs  *redis.Script
}

func newScript(src string) script {
	return script{src: src, rs: redis.NewScript(src)}
}

// run tries EVALSHA and falls back to EVAL when the server has not cached the
// script yet (a restart, a failover, a new cluster node). The EVAL caches it,
// so the steady state costs one round trip with a small request.
func (s script) run(ctx context.Context, rdb Scripter, key string, args ...any) *redis.Cmd {
	keys := []string{key}
	cmd := rdb.EvalSha(ctx, s.rs.Hash(), keys, args...)
	if err := cmd.Err(); err != nil && isNoScript(err) {
		return rdb.Eval(ctx, s.src, keys, args...)
	}
	return cmd
}

func isNoScript(err error) bool {
	return errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT")
}
