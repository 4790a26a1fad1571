"""Lua run atomically inside Redis, so history and live delivery can never disagree.

Keys per channel: a stream of bodies (entry id ``<offset>-0``) capped by MAXLEN, and a meta
hash with the epoch ``e`` and the top offset ``s``. The meta outlives the stream (a longer
TTL) so a client that is up to date on a quiet channel resumes without a reset; when the
meta goes, the next publish mints a new epoch and older positions are answered with reset.
"""

from __future__ import annotations

PUBLISH = """
-- KEYS: stream, meta
-- ARGV: pubsub channel, body, maxlen, stream ttl ms, meta ttl ms, new epoch, offset
local stream, meta = KEYS[1], KEYS[2]
local offset = ARGV[7]
local id
if offset == '' then
  local epoch = redis.call('hget', meta, 'e')
  if not epoch then
    epoch = ARGV[6]
    redis.call('del', stream)
    redis.call('hset', meta, 'e', epoch)
  end
  local top = redis.call('hincrby', meta, 's', 1)
  redis.call('xadd', stream, 'MAXLEN', ARGV[3], top .. '-0', 'b', ARGV[2])
  id = top .. '-' .. epoch
else
  local n = tonumber(offset)
  local top = tonumber(redis.call('hget', meta, 's') or '0')
  if n > top then
    redis.call('hset', meta, 's', offset)
    redis.call('xadd', stream, 'MAXLEN', ARGV[3], offset .. '-0', 'b', ARGV[2])
  else
    -- A repeat (at-least-once) changes nothing. A late event the stream never held would
    -- leave a hole that resume could not see: drop the cache, the database serves it.
    local first = redis.call('xrange', stream, '-', '+', 'COUNT', 1)[1]
    if first and n > tonumber(string.match(first[1], '^(%d+)')) and
        #redis.call('xrange', stream, offset .. '-0', offset .. '-0') == 0 then
      redis.call('del', stream)
    end
  end
  id = offset
end
redis.call('pexpire', stream, ARGV[4])
redis.call('pexpire', meta, ARGV[5])
redis.call('publish', ARGV[1], id .. '\\n' .. ARGV[2])
return id
"""

HISTORY = """
-- KEYS: stream, meta
-- ARGV: since offset ('' for none), limit, new epoch ('' to create none), meta ttl ms
local stream, meta = KEYS[1], KEYS[2]
local values = redis.call('hmget', meta, 'e', 's')
local epoch, top = values[1], values[2]
if not epoch and not top and ARGV[3] ~= '' then
  epoch, top = ARGV[3], '0'
  redis.call('hset', meta, 'e', epoch, 's', '0')
  redis.call('pexpire', meta, ARGV[4])
end
local first = redis.call('xrange', stream, '-', '+', 'COUNT', 1)[1]
local entries = {}
if ARGV[1] ~= '' and tonumber(ARGV[2]) > 0 then
  entries = redis.call('xrange', stream, '(' .. ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
end
return {epoch or '', top or '', first and first[1] or '', entries}
"""


def _geo_update(key: int, arg: int) -> str:
    """The geo index's writes for one fix (`realtime.geo_index.RedisGeoIndex`): position,
    full fix and last-seen time. KEYS from `key`: geo set, fixes hash, seen zset; ARGV from
    `arg`: lng, lat, member, encoded fix, seen time. GEOADD refuses latitudes the GEO
    encoding cannot hold (beyond ~85 degrees): that error is kept from aborting the rest,
    as a refused MULTI command never stopped the others."""
    k, a = key, arg
    return (
        f"redis.pcall('geoadd', KEYS[{k}], ARGV[{a}], ARGV[{a + 1}], ARGV[{a + 2}])\n"
        f"redis.call('hset', KEYS[{k + 1}], ARGV[{a + 2}], ARGV[{a + 3}])\n"
        f"redis.call('zadd', KEYS[{k + 2}], ARGV[{a + 4}], ARGV[{a + 2}])\n"
    )


GEO_UPDATE = _geo_update(1, 1) + "return 1\n"

GEO_UPDATE_THEN_PUBLISH = _geo_update(3, 8) + PUBLISH
"""A fix into the geo index and its track event published, in one round trip: PUBLISH's
KEYS and ARGV first (as `RedisBroker.publish` passes them), the geo update's after them."""
