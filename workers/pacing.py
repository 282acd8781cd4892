"""Per-channel pacing by SMS segments over a sliding minute, shared by every worker through Redis.

Android lets one app send at most 30 SMS parts a minute; past that the phone stops on a confirmation dialog.
Bulk messages (meeting notices) may use the configured rate; urgent ones (escalations, replies) may also use a
small headroom above it, still under Android's cap, so a broadcast never makes an alert wait its turn."""

from __future__ import annotations

import time
import uuid

import redis

from workers.queues import PACE_KEY

WINDOW_SECONDS = 60.0

# KEYS[1] window key; ARGV: now, segments, limit, window, member. Returns the seconds to wait (0 = go ahead).
_ACQUIRE = """
local key, now, n, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #entries, 2 do
  used = used + tonumber(string.match(entries[i], ':(%d+)$'))
end
if used + n <= limit then
  redis.call('ZADD', key, now, ARGV[5] .. ':' .. n)
  redis.call('EXPIRE', key, math.ceil(window) + 5)
  return '0'
end
-- Wait until enough of the oldest sends have left the window.
local freed = 0
for i = 1, #entries, 2 do
  freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
  if used - freed + n <= limit then
    return tostring(tonumber(entries[i + 1]) + window - now + 0.01)
  end
end
return tostring(window)
"""


def acquire(connection: redis.Redis, channel: str, segments: int, limit: int, now: float | None = None) -> float:
    """Reserve `segments` in the channel's current minute; 0 when granted, else the seconds to wait first."""
    segments = max(min(segments, limit), 1)  # a message longer than the whole budget still goes, alone
    now = time.time() if now is None else now
    wait = connection.eval(_ACQUIRE, 1, PACE_KEY + channel, now, segments, limit, WINDOW_SECONDS, uuid.uuid4().hex)
    return float(wait)


def used(connection: redis.Redis, channel: str, now: float | None = None) -> int:
    """Segments sent on the channel in the last minute (for status displays and benchmarks)."""
    now = time.time() if now is None else now
    members = connection.zrangebyscore(PACE_KEY + channel, now - WINDOW_SECONDS, "+inf")
    return sum(int(m.decode().rsplit(":", 1)[1]) for m in members)
