"""Per-channel pacing by SMS segments over a sliding minute, shared by every worker through Redis.

Android lets one app send at most 30 SMS parts a minute; past that the phone stops on a confirmation dialog.
Bulk messages (meeting notices) may use the configured rate; urgent ones (escalations, replies) may also use a
small headroom above it, still under Android's cap, so a broadcast never makes an alert wait its turn.

A grant is counted from the moment the phone could have it, not from the moment it was granted: while the call to
the phone is in flight its entry is dated at the latest moment the phone could receive it (grant + the call's
timeout), and once the phone has answered it is re-dated to that answer (`settle`). Every entry is therefore dated
no earlier than the phone's own arrival time, so the phone never sees more than the limit in any minute, however
the calls' latencies vary (dated at the grant, a slow call followed by fast ones let the phone see 22 in a
minute of 20: bench/RESULTS.md)."""

from __future__ import annotations

import time
import uuid

import redis

from workers.queues import PACE_KEY

WINDOW_SECONDS = 60.0

# KEYS[1] window key; ARGV: now, segments, limit, window, member, hold. Returns the seconds to wait (0 = go ahead).
_ACQUIRE = """
local key, now, n, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local hold = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #entries, 2 do
  used = used + tonumber(string.match(entries[i], ':(%d+)$'))
end
if used + n <= limit then
  redis.call('ZADD', key, now + hold, ARGV[5] .. ':' .. n)
  redis.call('EXPIRE', key, math.ceil(window + hold) + 5)
  return '0'
end
-- Wait until enough of the oldest sends have left the window.
local freed = 0
for i = 1, #entries, 2 do
  freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
  if used - freed + n <= limit then
    return tostring(math.max(tonumber(entries[i + 1]) + window - now + 0.01, 0.01))
  end
end
return tostring(window)
"""


def acquire(
    connection: redis.Redis,
    channel: str,
    segments: int,
    limit: int,
    now: float | None = None,
    member: str | None = None,
    hold: float = 0.0,
) -> float:
    """Reserve `segments` in the channel's current minute; 0 when granted, else the seconds to wait first.

    A grant is dated `hold` seconds ahead (the longest its call may take) until `settle` re-dates it."""
    segments = _budgeted(segments, limit)
    now = time.time() if now is None else now
    member = member or uuid.uuid4().hex
    key = PACE_KEY + channel
    return float(connection.eval(_ACQUIRE, 1, key, now, segments, limit, WINDOW_SECONDS, member, max(hold, 0.0)))


def settle(
    connection: redis.Redis, channel: str, member: str, segments: int, limit: int, now: float | None = None
) -> None:
    """The phone has answered the call of grant `member`: date the grant at this answer (if still counted)."""
    now = time.time() if now is None else now
    connection.zadd(PACE_KEY + channel, {f"{member}:{_budgeted(segments, limit)}": now}, xx=True)


def _budgeted(segments: int, limit: int) -> int:
    """The parts a message counts for: a message longer than the whole budget still goes, alone."""
    return max(min(segments, limit), 1)


def used(connection: redis.Redis, channel: str, now: float | None = None) -> int:
    """Segments sent on the channel in the last minute (for status displays and benchmarks)."""
    now = time.time() if now is None else now
    members = connection.zrangebyscore(PACE_KEY + channel, now - WINDOW_SECONDS, "+inf")  # in flight included
    return sum(int(m.decode().rsplit(":", 1)[1]) for m in members)
