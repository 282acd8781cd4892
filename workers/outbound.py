"""The send job: load one outbox row, claim it, hand it to its channel, record what happened.

Safe to run twice: the row is claimed with a conditional update (`queued` → `sending`), so a second run of
the same job, or a job re-enqueued by the sweeper, finds nothing to do and the provider is called once.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import update

from bots.base import Button, OutboundMessage, SendOutcome, SendResult
from gateway.core.db import on_commit
from gateway.core.privacy import mask_address
from gateway.core.runtime import Runtime, process_runtime
from gateway.directory import discreet
from gateway.messaging.channel_signals import BatchSignals, note_send
from gateway.messaging.delivery import mark_unreachable
from gateway.messaging.documents import document_of
from gateway.messaging.outbox import fall_back_to_sms
from gateway.messaging.sms_text import count_segments
from gateway.models import Contact, Message, MessageStatus, Priority, utcnow
from gateway.observability.metrics import count_send
from workers import pacing
from workers.queues import QUEUE_URGENT, QUEUES, SEND_JOB_TIMEOUT, enqueue_batch, enqueue_send, queue
from workers.schedule import backoff_seconds
from workers.send_rows import ClaimedRow, claim_row, record_sent_row

log = logging.getLogger(__name__)

# RQ's scheduler keeps whole seconds: a delayed job may start up to this early, and then waits for its time.
EARLY_START_SECONDS = 2.0
# How often a bulk batch looks whether urgent work is waiting (besides right after its first row).
URGENT_CHECK_SECONDS = 0.05


def claim(runtime: Runtime, message_id: int, accepted: Accepted | None = None) -> ClaimedRow | None:
    """Atomically move a due `queued` row to `sending` and return it (one statement); None if someone else has
    it or it is not due. A row due within `EARLY_START_SECONDS` is claimed, then waited for.

    With `accepted` (a batch's previous row, which the provider accepted), that row is recorded `sent` in the same
    transaction, before the claim: one transaction per row instead of two, and still never more than one row
    claimed and not recorded. If the transaction fails, nothing of it stands and the caller records that row alone."""
    now = utcnow()
    with runtime.db.engine.begin() as connection:
        if accepted is not None:
            record_sent_row(connection, accepted.row.id, accepted.at, accepted.result.provider_id,
                            accepted.result.error_code)  # fmt: skip
        message = claim_row(connection, message_id, now, now + timedelta(seconds=EARLY_START_SECONDS))
    if accepted is not None:
        _log_sent(accepted.row)
    if message is not None and message.next_attempt_at is not None:
        # Never send before a provider's Retry-After or the end of the quiet hours, even by a second.
        early = (message.next_attempt_at - utcnow()).total_seconds()
        if early > 0:
            time.sleep(early)
    return message


@dataclass(frozen=True)
class Accepted:
    """A row the provider accepted, whose record waits for the claim of the batch's next row."""

    row: ClaimedRow
    result: SendResult
    at: datetime


def send_message(message_id: int) -> str:
    """RQ job: send one outbox row through its channel. Returns what happened, for the job's log."""
    runtime = process_runtime()
    return send_one(runtime, message_id, lambda channel, result: note_send(runtime.redis, channel, result))


def send_one(runtime: Runtime, message_id: int, note: Callable[[str, SendResult], None]) -> str:
    """Claim one row, hand it to its channel, `note` the provider's answer (the console's channel health reads
    it), record the outcome on the row; what happened."""
    message = claim(runtime, message_id)
    if message is None:
        return "skipped"
    result = attempt(runtime, message, note)
    if result is None:
        return "paced"
    record_result(runtime, message, result)
    return result.outcome.value


def attempt(runtime: Runtime, message: ClaimedRow, note: Callable[[str, SendResult], None]) -> SendResult | None:
    """Hand a claimed row to its channel (after its pace, if it has one) and `note` the answer; the result to
    record, or None when the row went back to wait for its channel's pace."""
    channel = runtime.channels.get(message.channel)
    if channel is None:
        return SendResult(SendOutcome.FAILED, error_code="channel_not_configured")
    if (grant := pace(runtime, channel, message)).wait > 0:
        defer(runtime, message, grant.wait)
        return None
    outbound = OutboundMessage(
        message_id=message.id,
        address=message.address or "",
        text=message.body or "",
        buttons=_buttons(message.buttons),
        status_callback_url=channel.status_callback_url(message.id),
        resend=message.resends,
        document=document_of(message),
    )
    started = time.monotonic()
    try:
        result = channel.send(outbound)
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not strand the row in `sending`
        log.error("channel %s raised %s sending message %s", message.channel, type(exc).__name__, message.id)
        result = SendResult(SendOutcome.RETRY, error_code=f"exception:{type(exc).__name__}")
    count_send(channel.code, result.outcome.value, result.error_code, time.monotonic() - started)
    grant.settle(runtime)
    note(message.channel, result)
    return result


@lru_cache(maxsize=64)
def _buttons(raw: str | None) -> tuple[Button, ...]:
    """A row's stored buttons (a broadcast's rows share a few texts of them: each is parsed once)."""
    return tuple(Button.from_list(b) for b in json.loads(raw or "[]"))


def send_batch(message_ids: list[int], queue_name: str) -> str:
    """RQ job: send a broadcast's rows one after the other, each claimed on its own as `send_message` does, the
    record of an accepted row sharing the next row's claim transaction (so a crash strands at most one row). After
    half a job timeout the rest goes to a new job."""
    if queue_name not in QUEUES:
        raise ValueError("unknown queue")
    runtime = process_runtime()
    urgent = queue(runtime.redis, QUEUE_URGENT)
    signals = BatchSignals(runtime.redis)
    started = checked = time.monotonic()
    outcomes: Counter[str] = Counter()
    accepted: Accepted | None = None
    try:
        for index, message_id in enumerate(message_ids):
            # Urgent work never waits behind a broadcast: a bulk batch yields once something urgent is queued. The
            # queue is looked at after the first row, then every URGENT_CHECK_SECONDS (a Redis round trip per row was
            # a tenth of the send path's CPU): an urgent message waits at most that long plus one send.
            now = time.monotonic()
            out_of_time = now - started > SEND_JOB_TIMEOUT / 2
            look = queue_name != QUEUE_URGENT and (index == 1 or now - checked >= URGENT_CHECK_SECONDS)
            if look:
                checked = now
            if index and (out_of_time or (look and urgent.count)):
                rest = list(message_ids[index:])
                enqueue_batch(runtime.redis, rest, queue_name)
                outcomes["handed on"] += len(rest)
                break
            message = claim(runtime, int(message_id), accepted)
            accepted = None  # recorded with that claim
            if message is None:
                outcomes["skipped"] += 1
                continue
            result = attempt(runtime, message, signals.note)
            outcomes["paced" if result is None else result.outcome.value] += 1
            if result is not None and result.outcome is SendOutcome.SENT and message.delete_at is None:
                accepted = Accepted(message, result, utcnow())  # recorded with the next claim, or below
            elif result is not None:
                record_result(runtime, message, result)
    finally:
        if accepted is not None:  # the last row, a hand-on, or a failed claim: recorded on its own
            _record_sent(runtime, accepted.row, accepted.result, accepted.at)
        signals.flush()
    return ", ".join(f"{outcome} {n}" for outcome, n in sorted(outcomes.items()))


@dataclass(frozen=True)
class PaceGrant:
    """The channel's answer for one message: seconds to wait (0 = go), and the grant to settle after the call."""

    wait: float
    channel: str = ""
    member: str = ""
    segments: int = 0
    limit: int = 0

    def settle(self, runtime: Runtime) -> None:
        """Date the grant at the phone's answer (see workers.pacing); nothing for unpaced channels."""
        if self.member:
            pacing.settle(runtime.redis, self.channel, self.member, self.segments, self.limit)


def pace(runtime: Runtime, channel, message: ClaimedRow) -> PaceGrant:
    """Ask the channel's per-minute segment budget for this message (always granted on unpaced channels)."""
    rate = getattr(channel, "segments_per_minute", None)
    if not rate:
        return PaceGrant(0.0)
    limit = rate + (channel.urgent_headroom if message.priority == Priority.URGENT else 0)
    segments, member = count_segments(message.body or "").segments, uuid.uuid4().hex
    hold = getattr(channel, "send_timeout", 0.0)
    wait = pacing.acquire(runtime.redis, channel.code, segments, limit, member=member, hold=hold)
    return PaceGrant(wait, channel.code, member, segments, limit) if wait <= 0 else PaceGrant(wait)


def defer(runtime: Runtime, message: ClaimedRow, wait: float) -> None:
    """Give the claimed row back, untouched but for its due time: waiting for the pace is not an attempt."""
    now = utcnow()
    with runtime.db.transaction() as session:
        row = session.get(Message, message.id, with_for_update=True)
        row.status = MessageStatus.QUEUED
        row.attempts -= 1
        row.next_attempt_at = now + timedelta(seconds=wait)
        message_id, priority, attempt, connection = row.id, row.priority, row.attempts, runtime.redis
        turn = str(int(now.timestamp() * 1000))
        on_commit(session, lambda: enqueue_send(connection, message_id, priority, attempt, delay=wait, wait=turn))


def record_result(runtime: Runtime, message: ClaimedRow, result: SendResult) -> None:
    """Write the outcome of an attempt on the row (forward only) and schedule the next attempt if any."""
    now = utcnow()
    if result.outcome is SendOutcome.SENT:
        _record_sent(runtime, message, result, now)
        return
    with runtime.db.transaction() as session:
        row = session.get(Message, message.id, with_for_update=True)
        if row is None:
            return
        if result.provider_id:
            row.provider_id = result.provider_id
        if result.error_code:
            row.error_code = result.error_code
        if result.outcome is SendOutcome.RETRY and (
            row.attempts < runtime.settings.send_max_attempts or result.provider_down
        ):
            delay = backoff_seconds(row.attempts, result.retry_after, runtime.settings.retry_backoff_seconds)
            row.status = MessageStatus.QUEUED
            row.next_attempt_at = now + timedelta(seconds=delay)
            message_id, priority, attempt, connection = row.id, row.priority, row.attempts, runtime.redis
            on_commit(session, lambda: enqueue_send(connection, message_id, priority, attempt, delay=delay))
            log.warning(
                "message %s: transient error %s on %s, attempt %s, retry in %.0fs",
                row.id,
                result.error_code,
                row.channel,
                row.attempts,
                delay,
            )
        else:
            row.status = MessageStatus.FAILED
            log.warning("message %s failed on %s: %s", row.id, row.channel, result.error_code)
            if result.outcome is SendOutcome.UNREACHABLE and row.contact_id is not None:
                mark_unreachable(
                    session.get(Contact, row.contact_id), runtime.channels.get(row.channel), result.error_code
                )
            fall_back_to_sms(session, runtime, row)


def _record_sent(runtime: Runtime, message: ClaimedRow, result: SendResult, now) -> None:
    """The provider accepted the message: one forward-only UPDATE (the common case, so no read first)."""
    if message.delete_at is None:
        with runtime.db.engine.begin() as connection:
            record_sent_row(connection, message.id, now, result.provider_id, result.error_code)
    else:  # into a discreet contact's chat: deleted after the delay from now, its job scheduled after the commit
        with runtime.db.transaction() as session:
            delete_at = discreet.sent(session, runtime, message.id, now)
            record_sent_row(session.connection(), message.id, now, result.provider_id, result.error_code)
            session.execute(
                update(Message).where(Message.id == message.id).values(delete_at=delete_at),
                execution_options={"synchronize_session": False},
            )
    _log_sent(message)


def _log_sent(message: ClaimedRow) -> None:
    log.info("message %s sent on %s to %s", message.id, message.channel, mask_address(message.address))
