"""The send job's statements on an outbox row, built once per process: the claim (`queued` → `sending`, one
`UPDATE … RETURNING`) and the record of a send the provider accepted (one forward-only `UPDATE`).

They run on a plain connection (SQLAlchemy Core, no ORM session, no ORM object per row): they are the database's
whole share of a send, twice per message, so their per-call cost is the send path's overhead (bench/SEND_NOTES.md).
Each runs in its own transaction on a connection checked out of the pool, so `pool_pre_ping` still tests it right
before the record: a dead pooled connection after the provider's answer must never leave a sent row unrecorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, String, bindparam, case, func, or_, update

from gateway.models import STATUS_RANK, Message, MessageStatus
from gateway.models.base import UTCDateTime


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """What the sender needs of a claimed outbox row (read by the claim itself)."""

    id: int
    channel: str
    address: str | None
    body: str | None
    buttons: str | None
    meta: str | None
    priority: str
    attempts: int
    resends: int
    next_attempt_at: datetime | None
    delete_at: datetime | None


_T = Message.__table__
_COLUMNS = [_T.c[name] for name in ClaimedRow.__dataclass_fields__]
# Bound parameters are named unlike any column: SQLAlchemy reserves column names for the SET clause.
_CLAIM = (
    update(_T)
    .where(_T.c.id == bindparam("claim_id"), _T.c.status == MessageStatus.QUEUED)
    .where(or_(_T.c.next_attempt_at.is_(None), _T.c.next_attempt_at <= bindparam("almost_due", type_=UTCDateTime())))
    .values(
        status=MessageStatus.SENDING,
        attempts=_T.c.attempts + 1,
        updated_at=bindparam("claimed_at", type_=UTCDateTime()),
    )
    .returning(*_COLUMNS)
)

# Statuses a successful send moves forward; a delivery report may already have moved the row further.
_BEFORE_SENT = [status for status, rank in STATUS_RANK.items() if rank < STATUS_RANK[MessageStatus.SENT]]
_BEFORE = _T.c.status.in_(_BEFORE_SENT)


def _record_sent_statement(with_provider_id: bool):
    """The forward-only UPDATE of a sent row (the common case, so no read first)."""
    now = bindparam("sent_now", type_=UTCDateTime())
    error = bindparam("sent_error", type_=String(40))
    values = {
        "status": case((_BEFORE, MessageStatus.SENT), else_=_T.c.status),
        # An earlier attempt's transient error is history; a delivery report's error is kept.
        "error_code": case((_BEFORE, None), else_=func.coalesce(error, _T.c.error_code)),
        "next_attempt_at": None,
        "sent_at": func.coalesce(_T.c.sent_at, now),
        "updated_at": now,
    }
    if with_provider_id:
        values["provider_id"] = bindparam("sent_provider_id")
    return update(_T).where(_T.c.id == bindparam("sent_id")).values(**values)


_RECORD_SENT = {with_id: _record_sent_statement(with_id) for with_id in (False, True)}


def claim_row(connection: Connection, message_id: int, now: datetime, almost_due: datetime) -> ClaimedRow | None:
    """Move the row from `queued` to `sending` if it is due by `almost_due`; the row, or None if not ours."""
    row = connection.execute(_CLAIM, {"claim_id": message_id, "almost_due": almost_due, "claimed_at": now}).first()
    return None if row is None else ClaimedRow(*row)


def record_sent_row(
    connection: Connection, message_id: int, now: datetime, provider_id: str | None, error_code: str | None
) -> None:
    """Record an accepted send: `sent` unless a delivery report moved the row further, and the provider's id."""
    params = {"sent_id": message_id, "sent_now": now, "sent_error": error_code}
    if provider_id:
        params["sent_provider_id"] = provider_id
    connection.execute(_RECORD_SENT[bool(provider_id)], params)
