"""Retry of a broadcast's failures: only provider errors and an unreachable phone are queued again (attempts from
0, enqueued after the commit, audited); unsubscribed numbers, blocked bots, no SMS channel and contacts who opted
out since stay failed; a second retry queues nothing more; it works for a meeting's sendings too."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from gateway.broadcasts import service
from gateway.broadcasts.errors import BroadcastError
from gateway.broadcasts.retry import retry_failed, retryable_count
from gateway.messaging.deliveries import delivery_counts
from gateway.messaging.routing import NO_SMS_CHANNEL_ERROR, SMS_UNREACHABLE_ERROR
from gateway.models import AuditEntry, Broadcast, BroadcastKind, Contact, Message, MessageStatus
from tests.gateway.broadcasts.support import footprint
from tests.staff_users import scope_of
from workers.queues import QUEUE_BULK, queue

# error code of each failed row → retried?
FAILURES = [
    ("30008", True),  # Twilio: unknown error (a provider error)
    ("http:500", True),
    ("network:timeout", True),  # the local-SIM phone did not answer
    ("21610", False),  # unsubscribed (STOP to Twilio)
    (SMS_UNREACHABLE_ERROR, False),
    ("telegram:forbidden", False),  # the bot is blocked
    (NO_SMS_CHANNEL_ERROR, False),
]


def failed_broadcast(runtime, who: str = "fac_koro") -> tuple[int, list[int]]:
    """A broadcast whose first rows failed with the FAILURES codes, in order; (its id, those rows' ids)."""
    scope = scope_of(runtime, who)
    with runtime.db.transaction() as session:
        broadcast, _ = service.send(session, runtime, scope, {"text": "Réunion demain à 10h"})
        broadcast_id = broadcast.id
    with runtime.db.transaction() as session:
        ids = list(session.scalars(select(Message.id).where(Message.broadcast_id == broadcast_id).order_by(Message.id)))
        for message_id, (code, _) in zip(ids, FAILURES, strict=False):
            session.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(status=MessageStatus.FAILED, error_code=code, attempts=5, next_attempt_at=None)
            )
    return broadcast_id, ids[: len(FAILURES)]


def retry(runtime, broadcast_id: int, who: str = "fac_koro"):
    scope = scope_of(runtime, who)
    with runtime.db.transaction() as session:
        return retry_failed(session, runtime, scope, session.get(Broadcast, broadcast_id))


def rows(runtime, ids: list[int]) -> list[Message]:
    with runtime.db.sessions() as session:
        found = {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(ids)))}
        session.expunge_all()
    return [found[i] for i in ids]


def test_only_retryable_failures_are_queued_again(runtime, directory, redis_client):
    broadcast_id, ids = failed_broadcast(runtime)
    with runtime.db.sessions() as session:
        assert retryable_count(session, broadcast_id) == 3
        assert delivery_counts(session, [broadcast_id]).failed == len(FAILURES)
    redis_client.flushdb()  # the first sending's jobs: only the retry's are looked at below
    result = retry(runtime, broadcast_id)
    assert result.requeued == 3
    assert dict(result.left) == {"unsubscribed": 2, "blocked": 1, "no_sms_channel": 1}
    for row, (code, retried) in zip(rows(runtime, ids), FAILURES, strict=True):
        if retried:
            assert (row.status, row.attempts, row.error_code, row.resends) == (MessageStatus.QUEUED, 0, None, 1)
        else:
            assert (row.status, row.error_code) == (MessageStatus.FAILED, code)
    assert queue(redis_client, QUEUE_BULK).count == 3, "one send job per row queued again, after the commit"
    with runtime.db.sessions() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "broadcast_retry"))
        assert entry.target == f"broadcast #{broadcast_id}" and entry.detail.startswith("3 re-queued")


def test_a_second_retry_queues_nothing_more(runtime, directory, redis_client):
    broadcast_id, ids = failed_broadcast(runtime)
    assert retry(runtime, broadcast_id).requeued == 3
    redis_client.flushdb()
    before = [(r.status, r.attempts, r.resends) for r in rows(runtime, ids)]
    assert retry(runtime, broadcast_id).requeued == 0
    assert [(r.status, r.attempts, r.resends) for r in rows(runtime, ids)] == before
    assert queue(redis_client, QUEUE_BULK).count == 0


def test_a_contact_who_opted_out_since_is_not_retried(runtime, directory):
    broadcast_id, ids = failed_broadcast(runtime)
    with runtime.db.transaction() as session:
        first = session.get(Message, ids[0])
        session.get(Contact, first.contact_id).opted_out = True
    result = retry(runtime, broadcast_id)
    assert result.requeued == 2 and dict(result.left)["opted_out"] == 1
    assert rows(runtime, ids[:1])[0].status == MessageStatus.FAILED


@pytest.mark.parametrize("who", ["officer_koro", "observer"])
def test_roles_that_may_not_broadcast_may_not_retry(runtime, directory, who):
    broadcast_id, _ = failed_broadcast(runtime)
    before = footprint(runtime)
    with pytest.raises(BroadcastError) as refused:
        retry(runtime, broadcast_id, who)
    assert refused.value.http_status == 403
    assert footprint(runtime) == before


def test_a_meeting_notice_is_retried_too(runtime, directory):
    broadcast_id, ids = failed_broadcast(runtime)
    with runtime.db.transaction() as session:
        session.get(Broadcast, broadcast_id).kind = BroadcastKind.MEETING_NOTICE
    assert retry(runtime, broadcast_id).requeued == 3
