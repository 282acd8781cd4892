"""Per-sender reply limit: a token bucket per contact (or unknown address) and channel, kept in Redis.

It rations the answers the gateway sends back to one sender for their own messages, so that 200 messages (a
flood, or a phone stuck resending) cost at most a burst of replies. Escalations, notices and messages to other
people are never counted. Replies beyond the limit are written as `held` outbox rows (see gateway.messaging.outbox).
"""

from __future__ import annotations

import logging
import time

import redis

from flows.conversations import address_key
from workers.queues import KEY_PREFIX

log = logging.getLogger(__name__)

BUCKET_KEY = KEY_PREFIX + "replies:"
RATE_LIMITED = "rate_limited"

# One atomic step, so two workers can never both take the last token: refill by the time elapsed since the last
# take (one token per `refill` seconds, at most `burst`), then take one if there is one. Returns 1 or 0.
_TAKE = """
local burst = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) / refill)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst * refill) + 60)
return allowed
"""


def clock() -> float:
    """The buckets' time (seconds since the epoch); a test moves it on instead of waiting for a refill."""
    return time.time()


class ReplyBucket:
    """Token buckets on one Redis: `take(key)` is True when a reply may go now."""

    _warned = False  # Redis down is logged once per process, not once per reply

    def __init__(self, connection: redis.Redis, burst: int, refill_seconds: float) -> None:
        self.connection, self.burst, self.refill_seconds = connection, burst, refill_seconds
        self._script = connection.register_script(_TAKE)

    def take(self, key: str) -> bool:
        """Take one token from the bucket `key`; when Redis cannot answer, fail open (the reply goes)."""
        try:
            allowed = self._script(keys=[BUCKET_KEY + key], args=[self.burst, self.refill_seconds, clock()])
        except redis.RedisError as exc:
            if not ReplyBucket._warned:
                ReplyBucket._warned = True
                log.warning("reply limit not applied: Redis unavailable (%s); replies go unlimited", type(exc).__name__)
            return True
        ReplyBucket._warned = False
        return bool(allowed)


def sender_key(contact_id: int | None, channel: str, address: str | None) -> str:
    """The bucket of one sender on one channel: the contact, or (outside the directory) a hash of the address."""
    who = f"c{contact_id}" if contact_id is not None else "a" + address_key(f"{channel}:{address}")
    return f"{who}:{channel}"


def reply_hold(runtime, contact_id: int | None, channel: str, address: str | None) -> str | None:
    """None when a reply to this sender may go now; otherwise why it is held (`rate_limited`)."""
    settings = runtime.settings
    bucket = ReplyBucket(runtime.redis, settings.sender_reply_burst, settings.sender_reply_refill_seconds)
    return None if bucket.take(sender_key(contact_id, channel, address)) else RATE_LIMITED
