"""Retention: old message bodies, alert texts and unknown senders' numbers redacted in place, statistics kept.

What goes (DESIGN: `RETENTION_DAYS`, `UNKNOWN_RETENTION_DAYS`): bodies, `meta` and `buttons` of messages in and out,
alert descriptions, places and coordinates, follow-up values, escalation resolution notes, and the files of the
messages whose bodies go (photos, voice notes: gateway.media). What stays:
references, dates, district, commune, village, category, severity, statuses, who was paged — so counts survive.
Messages from or to numbers outside the directory (and the reports they made) go sooner, their number masked.
Conversation state needs nothing here: it lives in Redis and expires after CONVERSATION_TTL_SECONDS."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from gateway.core.audit import record
from gateway.core.config import Settings
from gateway.core.db import Database
from gateway.core.privacy import mask_address
from gateway.media.store import StoreUnavailable, media_store
from gateway.models import (
    Alert,
    AlertUpdate,
    Direction,
    Escalation,
    MediaItem,
    MediaStatus,
    Message,
    MessageStatus,
    utcnow,
)

log = logging.getLogger(__name__)
PURGE_BATCH = 500
# The kinds counted, in the order they are printed.
KINDS = ("messages", "unknown_messages", "alerts", "reports", "alert_updates", "resolution_notes", "media")
# Outbound rows still on their way: their body is about to be sent, so they wait for a final status.
_IN_FLIGHT = (MessageStatus.QUEUED, MessageStatus.SENDING)


@dataclass(frozen=True)
class Cutoffs:
    """Everything created before `known` (directory senders) or `unknown` (other numbers) is purged."""

    known: datetime
    unknown: datetime


@dataclass
class PurgeReport:
    """What a purge did (or, in a dry run, would do): rows per kind, and whether it reached the end."""

    cutoffs: Cutoffs
    dry_run: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    complete: bool = True
    files_left: int = 0  # files the media store failed to delete after their rows were purged

    @property
    def total(self) -> int:
        """Rows purged (or to purge) of every kind."""
        return sum(self.counts.values())


def cutoffs(settings: Settings, now: datetime | None = None) -> Cutoffs:
    """The two cutoff times of RETENTION_DAYS and UNKNOWN_RETENTION_DAYS before `now`."""
    now = now or utcnow()
    return Cutoffs(
        known=now - timedelta(days=settings.retention_days),
        unknown=now - timedelta(days=settings.unknown_retention_days),
    )


def _messages_due(c: Cutoffs, known: bool):
    # Inbound rows never handled are left for the handler (it needs the body); in-flight outbound rows too.
    settled = or_(
        and_(Message.direction == Direction.OUT, Message.status.not_in(_IN_FLIGHT)),
        and_(Message.direction == Direction.IN, Message.processed_at.is_not(None)),
    )
    if known:
        sender = and_(Message.contact_id.is_not(None), Message.created_at < c.known)
    else:
        sender = and_(Message.contact_id.is_(None), Message.created_at < c.unknown)
    return and_(Message.purged_at.is_(None), settled, sender)


def _alerts_old(c: Cutoffs, known: bool):
    if known:
        return and_(Alert.reporter_id.is_not(None), Alert.created_at < c.known)
    return and_(Alert.reporter_id.is_(None), Alert.created_at < c.unknown)


def _alerts_due(c: Cutoffs, known: bool):
    return and_(Alert.purged_at.is_(None), _alerts_old(c, known))


def _purged_or_due_alerts(c: Cutoffs):
    """Ids of alerts already purged or due now: their updates and notes go with them."""
    return select(Alert.id).where(or_(Alert.purged_at.is_not(None), _alerts_old(c, True), _alerts_old(c, False)))


def _updates_due(c: Cutoffs):
    return and_(AlertUpdate.value.is_not(None), AlertUpdate.alert_id.in_(_purged_or_due_alerts(c)))


def _notes_due(c: Cutoffs):
    return and_(Escalation.resolution_note.is_not(None), Escalation.alert_id.in_(_purged_or_due_alerts(c)))


def _count(session: Session, column, condition) -> int:
    return session.scalar(select(func.count(column)).where(condition)) or 0


def _redact_alerts(session: Session, ids: list[int], now: datetime) -> int:
    values = {"description": None, "place": None, "latitude": None, "longitude": None, "purged_at": now}
    stmt = update(Alert).where(Alert.id.in_(ids), Alert.purged_at.is_(None)).values(**values)
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def _redact_messages(session: Session, ids: list[int], now: datetime) -> int:
    stmt = (
        update(Message)
        .where(Message.id.in_(ids), Message.purged_at.is_(None))
        .values(body=None, meta=None, buttons=None, purged_at=now)
    )
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def _redact_unknown_messages(session: Session, ids: list[int], now: datetime) -> int:
    done = 0
    for message_id, address in session.execute(select(Message.id, Message.address).where(Message.id.in_(ids))):
        stmt = (
            update(Message)
            .where(Message.id == message_id, Message.purged_at.is_(None))
            .values(
                body=None, meta=None, buttons=None, address=mask_address(address) if address else None, purged_at=now
            )  # fmt: skip
        )
        done += session.execute(stmt.execution_options(synchronize_session=False)).rowcount
    return done


def _redact_updates(session: Session, ids: list[int], now: datetime) -> int:
    stmt = update(AlertUpdate).where(AlertUpdate.id.in_(ids), AlertUpdate.value.is_not(None)).values(value=None)
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def _redact_notes(session: Session, ids: list[int], now: datetime) -> int:
    stmt = (
        update(Escalation)
        .where(Escalation.id.in_(ids), Escalation.resolution_note.is_not(None))
        .values(resolution_note=None)
    )
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount


def purge_media(session: Session, c: Cutoffs, dry_run: bool) -> tuple[int, list[str]]:
    """Media go with their message's body: the items of messages purged (or due) not purged yet are marked purged
    (provider reference dropped); their number and the storage keys whose files the caller removes after commit."""
    message_gone = or_(Message.purged_at.is_not(None), _messages_due(c, True), _messages_due(c, False))
    query = (
        select(MediaItem.id, MediaItem.storage_key)
        .join(Message, Message.id == MediaItem.message_id)
        .where(MediaItem.status != MediaStatus.PURGED, message_gone)
    )
    rows = session.execute(query).all()
    if dry_run or not rows:
        return len(rows), []
    ids = [row.id for row in rows]
    for start in range(0, len(ids), PURGE_BATCH):
        stmt = (
            update(MediaItem)
            .where(MediaItem.id.in_(ids[start : start + PURGE_BATCH]))
            .values(status=MediaStatus.PURGED, provider_ref=None)
        )
        session.execute(stmt.execution_options(synchronize_session=False))
    return len(rows), [row.storage_key for row in rows]


def _plan(c: Cutoffs):
    """(kind, id column, condition, redactor), in the order they run: alerts before their updates and notes."""
    return (
        ("alerts", Alert.id, _alerts_due(c, True), _redact_alerts),
        ("reports", Alert.id, _alerts_due(c, False), _redact_alerts),
        ("alert_updates", AlertUpdate.id, _updates_due(c), _redact_updates),
        ("resolution_notes", Escalation.id, _notes_due(c), _redact_notes),
        ("messages", Message.id, _messages_due(c, True), _redact_messages),
        ("unknown_messages", Message.id, _messages_due(c, False), _redact_unknown_messages),
    )


def purge(
    db: Database,
    settings: Settings,
    now: datetime | None = None,
    dry_run: bool = False,
    batch: int | None = None,
    max_batches: int | None = None,
) -> PurgeReport:
    """Redact everything past its retention, `batch` rows (PURGE_BATCH) at a time, one transaction per batch; with
    `max_batches`, stop each kind after that many batches (`complete` is then False if rows remain)."""
    now = now or utcnow()
    batch = batch or PURGE_BATCH
    report = PurgeReport(cutoffs=cutoffs(settings, now), dry_run=dry_run)
    for kind, column, condition, redact in _plan(report.cutoffs):
        if dry_run:
            with db.sessions() as session:
                report.counts[kind] = _count(session, column, condition)
            continue
        batches = 0
        while True:
            if max_batches is not None and batches >= max_batches:
                with db.sessions() as session:
                    report.complete = report.complete and _count(session, column, condition) == 0
                break
            with db.transaction() as session:
                ids = list(session.scalars(select(column).where(condition).order_by(column).limit(batch)))
                if not ids:
                    break
                report.counts[kind] += redact(session, ids, now)
            batches += 1
    with db.transaction() as session:
        report.counts["media"], keys = purge_media(session, report.cutoffs, dry_run)
    report.files_left = _delete_files(media_store(settings), keys)  # after the commit: never a row without its file
    return report


def _delete_files(store, keys: list[str]) -> int:
    """Delete the purged rows' files; the number the store failed to delete. Each is tried even when the store
    fails (an S3 bucket that is down): the keys left are logged (random names, nothing personal) for removal by
    hand, since their rows no longer point at them."""
    left = []
    for key in keys:
        try:
            store.delete(key)
        except StoreUnavailable:
            left.append(key)
    if left:
        log.error("purge: %s media files not deleted from the store (remove them by hand): %s", len(left), left[:50])
    return len(left)


def run_purge(
    db: Database,
    settings: Settings,
    actor: str,
    now: datetime | None = None,
    dry_run: bool = False,
    max_batches: int | None = None,
    audit_empty: bool = True,
) -> PurgeReport:
    """A purge, and for a real one its audit row (actor, action `purge`, the counts as JSON); without
    `audit_empty`, a purge that found nothing leaves no row (the daily job, so quiet days add no noise)."""
    report = purge(db, settings, now=now, dry_run=dry_run, max_batches=max_batches)
    if not dry_run and (audit_empty or report.total):
        extra = {"files_left": report.files_left} if report.files_left else {}
        detail = json.dumps({**report.counts, "complete": report.complete, **extra}, separators=(",", ":"))
        with db.transaction() as session:
            record(session, actor, "purge", None, detail)
    return report
