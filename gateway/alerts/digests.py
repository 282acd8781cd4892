"""Staff summaries: the triage reminder (reports nobody classified) and the daily digest of each district."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows import catalogue
from gateway.core.runtime import Runtime
from gateway.directory.roles import facilitators_of
from gateway.messaging.outbox import queue_message
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import (
    Alert,
    AlertSource,
    AlertStatus,
    Contact,
    Digest,
    District,
    Escalation,
    EscalationStatus,
    Invitation,
    Meeting,
    MeetingStatus,
    MessageKind,
    Priority,
    Role,
    utcnow,
)
from gateway.roadmaps.digest import overdue_refs, with_overdue

log = logging.getLogger(__name__)


def remind_triage(runtime: Runtime, now: datetime | None = None) -> int:
    """List each district's reports left unclassified for TRIAGE_REMIND_SECONDS to its facilitators, once."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=runtime.settings.triage_remind_seconds)
    sent = 0
    with runtime.db.transaction() as session:
        districts = session.scalars(select(District).order_by(District.id)).all()
        for district in districts:
            ids = session.scalars(
                select(Alert.id)
                .where(Alert.district_id == district.id, Alert.source == AlertSource.FREETEXT)
                .where(Alert.triaged_at.is_(None), Alert.triage_reminded_at.is_(None), Alert.created_at < cutoff)
                .where(Alert.status == AlertStatus.NEW)
                .order_by(Alert.id)
            ).all()
            if not ids:
                continue
            # Only the reports this sweep really claimed are listed: another worker may have taken some.
            ids = sorted(
                session.scalars(
                    update(Alert)
                    .where(Alert.id.in_(ids), Alert.triage_reminded_at.is_(None))
                    .values(triage_reminded_at=now)
                    .returning(Alert.id)
                    .execution_options(synchronize_session=False)
                ).all()
            )
            if not ids:
                continue
            for facilitator in facilitators_of(session, district.id):
                body = _refs_text(facilitator.language, district.name, ids)
                queue_message(session, runtime, body=body, contact=facilitator, priority=Priority.BULK,
                              kind=MessageKind.TRIAGE_REMINDER)  # fmt: skip
                sent += 1
    return sent


def _refs_text(language: str, district: str, ids: list[int]) -> str:
    """`3 messages non classés à Koro: #143 #147 #150`, shortened to one SMS when the list is long."""
    shown = list(ids)
    while True:
        refs = " ".join(f"#{i}" for i in shown)
        if len(shown) < len(ids):
            refs += " " + catalogue.text(language, "triage.more", count=len(ids) - len(shown))
        key = "triage.reminder" if len(ids) > 1 else "triage.reminder_one"
        text = catalogue.text(language, key, count=len(ids), district=district, refs=refs)
        if count_segments(to_gsm7(text)).segments == 1 or len(shown) <= 1:
            return text
        shown.pop()


def send_digests(runtime: Runtime, now: datetime | None = None) -> int:
    """Once a day at DIGEST_AT (local), each district's digest to its facilitators and level-1 officers."""
    if runtime.settings.digest_at is None:  # DIGEST_AT=off
        return 0
    now = now or utcnow()
    zone = ZoneInfo(runtime.settings.timezone)
    local = now.astimezone(zone)
    if local.time().replace(tzinfo=None) < runtime.settings.digest_at:
        return 0
    day = local.date().isoformat()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)
    sent = 0
    with runtime.db.sessions() as session:
        district_ids = session.scalars(select(District.id)).all()
    for district_id in district_ids:
        try:
            with runtime.db.transaction() as session:
                claim = Digest(district_id=district_id, day=day, sent=False)
                session.add(claim)
                session.flush()  # the unique (district, day) row is the claim
                told = _digest(session, runtime, session.get(District, district_id), midnight, now)
                claim.sent = told > 0
                sent += told
        except IntegrityError:
            continue  # already done today
    return sent


def _digest(session: Session, runtime: Runtime, district: District, since: datetime, now: datetime) -> int:
    counts: dict[int, int] = {}
    for severity, number in session.execute(
        select(Alert.severity, func.count())
        .where(Alert.district_id == district.id, Alert.created_at >= since)
        .group_by(Alert.severity)
    ):
        counts[severity or 0] = counts.get(severity or 0, 0) + number
    open_escalations = session.scalar(
        select(func.count())
        .select_from(Escalation)
        .join(Alert, Alert.id == Escalation.alert_id)
        .where(Alert.district_id == district.id, Escalation.acknowledged_at.is_(None))
        .where(Escalation.status.in_([EscalationStatus.ACTIVE, EscalationStatus.EXHAUSTED]))
    )
    pending_meetings = session.scalar(
        select(func.count(func.distinct(Meeting.id)))
        .join(Invitation, Invitation.meeting_id == Meeting.id)
        .where(Meeting.district_id == district.id, Meeting.status == MeetingStatus.SCHEDULED)
        .where(Meeting.starts_at > now, Invitation.answer.is_(None))
    )
    overdue = overdue_refs(session, district.id, now.astimezone(ZoneInfo(runtime.settings.timezone)).date())
    total = sum(counts.values())
    alert_news = bool(total or open_escalations or pending_meetings)
    if not (alert_news or overdue):
        return 0  # nothing to say: nothing is sent
    facilitators = facilitators_of(session, district.id)
    # The roadmap is the facilitators' business: the duty officers' digest stays about alerts, and is not sent
    # when overdue commitments are all there is to say.
    recipients = facilitators + list(
        session.scalars(
            select(Contact).where(
                Contact.district_id == district.id,
                Contact.role == Role.OFFICER,
                Contact.escalation_level == 1,
                Contact.active.is_(True),
                Contact.opted_out.is_(False),
            )
        )
        if alert_news
        else []
    )
    for contact in recipients:
        body = catalogue.text(
            contact.language,
            "digest.text",
            district=district.name,
            total=total,
            s3=counts.get(3, 0),
            s2=counts.get(2, 0),
            s1=counts.get(1, 0),
            s0=counts.get(0, 0),
            open=open_escalations,
            meetings=pending_meetings,
        )
        bodies = with_overdue(body, contact.language, overdue) if contact in facilitators else [body]
        for text in bodies:
            queue_message(session, runtime, body=text, contact=contact, priority=Priority.BULK, kind=MessageKind.DIGEST)
    return len(recipients)
