"""What the sender last heard from each provider, kept in Redis for the console's channel health: the time of the
last answer, of the last failure to reach the provider and its error code, and the failures in a row since.

The sender writes one small hash per channel after every attempt (`note_send`); nothing here calls a provider. A
provider that answered, even to refuse one recipient (a number unsubscribed, a bot blocked), is reachable; one
that could not be reached or did not accept the message for now (network error, timeout, 5xx, 429, credentials
refused: the outcomes the sender retries), or that refuses our account itself, is not."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

from bots.base import SendOutcome, SendResult
from workers.queues import KEY_PREFIX

log = logging.getLogger(__name__)

SIGNAL_KEY = KEY_PREFIX + "health:"
# A channel silent this long forgets what it last heard: "unknown" is then the honest answer.
SIGNAL_TTL_SECONDS = 30 * 24 * 3600
# Within one batch job, a run of answered sends rewrites the signal at most this often (and once more at the end).
ANSWER_REFRESH_SECONDS = 1.0
ANSWERED = frozenset({SendOutcome.SENT, SendOutcome.FAILED, SendOutcome.UNREACHABLE})
# Refusals of our account, not of one recipient: nothing gets through until an operator acts (Twilio: the 'From'
# number cannot send SMS, sending to the region not enabled; Telegram: the bot's token refused).
ACCOUNT_REFUSALS = frozenset({"21606", "21408", "telegram:InvalidToken"})


@dataclass(frozen=True)
class SendSignal:
    """What one channel's sends last told: epoch seconds (None: never in the TTL), error code, failures in a row."""

    answered_at: float | None = None
    failed_at: float | None = None
    failure_code: str | None = None
    failures_in_a_row: int = 0


def _answered(result: SendResult) -> bool:
    """Whether the provider itself answered this attempt (a refusal of one recipient still is an answer)."""
    code = result.error_code or ""
    if result.provider_down or code.startswith(("network:", "exception:")) or code in ACCOUNT_REFUSALS:
        return False
    return result.outcome in ANSWERED


def note_send(connection: redis.Redis, channel: str, result: SendResult, now: float | None = None) -> None:
    """Record the outcome of one attempt on `channel` (never fails the send: a Redis error is only logged)."""
    now = time.time() if now is None else now
    key = SIGNAL_KEY + channel
    try:
        with connection.pipeline(transaction=False) as pipe:  # one round trip; each command is atomic on its own
            if _answered(result):
                pipe.hset(key, mapping={"answered_at": repr(now), "failures": 0})
            else:
                # The error code names a provider's reason ("network:ConnectTimeout", "20500"): never an address.
                pipe.hset(key, mapping={"failed_at": repr(now), "failure_code": (result.error_code or "")[:40]})
                pipe.hincrby(key, "failures", 1)
            pipe.expire(key, SIGNAL_TTL_SECONDS)
            pipe.execute()
    except redis.RedisError as exc:
        log.warning("channel health of %s not recorded: %s", channel, type(exc).__name__)


class BatchSignals:
    """The notes of one batch job's attempts, with fewer Redis writes than one per attempt: a failure is written at
    once (each one counts in the failures in a row), as is the first answer after it; further answers at most every
    `ANSWER_REFRESH_SECONDS`, the newest kept meanwhile and written by `flush` at the end of the batch. The console
    then sees a provider's answer at most a second late while the batch runs, never a failure late."""

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection
        self._written: dict[str, float] = {}  # channel → when this batch last wrote an answer
        self._pending: dict[str, tuple[SendResult, float]] = {}  # channel → newest answer not written yet

    def note(self, channel: str, result: SendResult, now: float | None = None) -> None:
        """Record one attempt's outcome (now, or with the next write)."""
        now = time.time() if now is None else now
        if _answered(result):
            last = self._written.get(channel)
            if last is not None and now - last < ANSWER_REFRESH_SECONDS:
                self._pending[channel] = (result, now)
                return
            self._written[channel] = now
        else:
            self._written.pop(channel, None)
        self._pending.pop(channel, None)
        note_send(self.connection, channel, result, now)

    def flush(self) -> None:
        """Write the answers still kept (the end of the batch)."""
        pending, self._pending = self._pending, {}
        for channel, (result, moment) in pending.items():
            note_send(self.connection, channel, result, moment)


def read_signal(connection: redis.Redis, channel: str) -> SendSignal:
    """The channel's last send signal (an empty one when nothing was recorded)."""
    raw = {k.decode(): v.decode() for k, v in connection.hgetall(SIGNAL_KEY + channel).items()}

    def moment(name: str) -> float | None:
        return float(raw[name]) if raw.get(name) else None

    return SendSignal(
        answered_at=moment("answered_at"),
        failed_at=moment("failed_at"),
        failure_code=raw.get("failure_code") or None,
        failures_in_a_row=int(raw.get("failures") or 0),
    )
