"""Retry the failed messages of a broadcast (a staff one or a meeting's): only the failures worth another try —
a provider error or the local-SIM phone out of reach — are queued again; an unsubscribed number, a blocked bot or
a deployment without SMS would fail the same way, and a contact who opted out since is left alone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.broadcasts.errors import BroadcastError
from gateway.core import audit
from gateway.core.db import on_commit
from gateway.core.runtime import Runtime
from gateway.messaging.deliveries import failure_group
from gateway.messaging.quiet_hours import hold_until
from gateway.messaging.routing import sms_barred
from gateway.models import QUIET_KINDS, Broadcast, Contact, Direction, Message, MessageStatus, utcnow
from gateway.staff.roles import CONVENER_ROLES
from gateway.staff.scope import Scope
from workers.queues import enqueue_new

RETRYABLE_GROUPS = frozenset({"provider_error", "unreachable_phone"})


@dataclass(frozen=True)
class RetryResult:
    """What a retry did: rows queued again, and the failed rows left as they are, by reason."""

    requeued: int
    left: tuple[tuple[str, int], ...]


def retryable_count(session: Session, broadcast_id: int) -> int:
    """How many of the broadcast's failed rows a retry would queue again (for the button)."""
    rows = session.execute(_failed_rows(broadcast_id)).all()
    return sum(1 for message, contact in rows if _why_not(message, contact) is None)


def retry_failed(session: Session, runtime: Runtime, scope: Scope, broadcast: Broadcast) -> RetryResult:
    """Queue the retryable failed rows of a broadcast of the scope again (attempts from 0, after the commit),
    audited; the caller found the broadcast with `visible_broadcast`. Safe to run twice: the rows are moved with a
    conditional UPDATE (`failed` → `queued`), so a second retry, or two at once, queues nothing more."""
    if scope.role not in CONVENER_ROLES:
        raise BroadcastError("forbidden")
    left: Counter[str] = Counter()
    chosen: list[int] = []
    for message, contact in session.execute(_failed_rows(broadcast.id)).all():
        reason = _why_not(message, contact)
        if reason is None:
            chosen.append(message.id)
        else:
            left[reason] += 1
    requeued: list[tuple[int, str]] = []
    if chosen:
        now = utcnow()
        opening = hold_until(runtime.settings, now) if broadcast_kind_is_quiet(session, chosen) else None
        delay = (opening - now).total_seconds() if opening else 0.0
        requeued = list(
            session.execute(
                update(Message)
                .where(Message.id.in_(chosen), Message.status == MessageStatus.FAILED)
                .values(status=MessageStatus.QUEUED, attempts=0, error_code=None, next_attempt_at=opening,
                        resends=Message.resends + 1, updated_at=now)  # a new provider id for the local-SIM phone
                .returning(Message.id, Message.priority),
                execution_options={"synchronize_session": False},
            ).all()
        )  # fmt: skip
        items = [(message_id, priority, delay) for message_id, priority in requeued]
        connection = runtime.redis
        on_commit(session, lambda: enqueue_new(connection, items))
    detail = f"{len(requeued)} re-queued" + "".join(f", {n} {group} left" for group, n in sorted(left.items()))
    audit.record(session, scope.email, "broadcast_retry", f"broadcast #{broadcast.id}", detail)
    return RetryResult(len(requeued), tuple(sorted(left.items())))


def broadcast_kind_is_quiet(session: Session, message_ids: list[int]) -> bool:
    """Whether the rows are of a kind that waits for the end of the quiet hours (all of a broadcast share one)."""
    kinds = set(session.scalars(select(Message.kind).where(Message.id.in_(message_ids)).distinct()))
    return bool(kinds & QUIET_KINDS)


def _failed_rows(broadcast_id: int):
    return (
        select(Message, Contact)
        .outerjoin(Contact, Message.contact_id == Contact.id)
        .where(
            Message.broadcast_id == broadcast_id,
            Message.direction == Direction.OUT,
            Message.status == MessageStatus.FAILED,
        )
        .order_by(Message.id)
    )


def _why_not(message: Message, contact: Contact | None) -> str | None:
    """Why a failed row is not retried (its failure group, or `opted_out`); None when it is."""
    group = failure_group(message.error_code)
    if group not in RETRYABLE_GROUPS:
        return group
    if contact is None or not contact.active or contact.opted_out or sms_barred(contact, message.channel):
        return "opted_out"
    return None
