"""Follow-ups: the reporter of a serious alert is asked how things stand until the situation settles.

"#142 Koro: la situation? 1 calme 2 tendue 3 pire" — 1 closes it, 2 asks again later (at most FOLLOWUP_MAX
times), 3 makes the alert urgent and pages the officers again. Anything else the reporter writes while a
question is open is attached to the alert as an update. Each question is claimed before it is sent (`seq`)."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import catalogue
from gateway.core.db import on_commit
from gateway.core.runtime import Runtime
from gateway.messaging.outbox import queue_message
from gateway.models import (
    Alert,
    AlertStatus,
    AlertUpdate,
    Escalation,
    EscalationStatus,
    Followup,
    Message,
    MessageKind,
    MessageStatus,
    Priority,
    utcnow,
)
from workers.schedule import schedule_ask

log = logging.getLogger(__name__)

ASSESSMENTS = {"1": "calmer", "2": "tense", "3": "worse"}
# "1", "#142 1", "142 1", "1 #142", "1 142"
_ANSWER = re.compile(r"^\s*(?:#?\s*(?P<ref1>\d{1,9})\s+)?(?P<answer>[123])(?:\s+#?\s*(?P<ref2>\d{1,9}))?\s*[.!]?\s*$")


def plan(session: Session, runtime: Runtime, alert: Alert) -> Followup | None:
    """Schedule the first question for a serious alert with a reporter in the directory."""
    if alert.reporter_id is None or (alert.severity or 0) < runtime.settings.followup_min_severity:
        return None
    if runtime.settings.followup_max < 1:
        return None  # follow-ups switched off
    followup = session.scalar(select(Followup).where(Followup.alert_id == alert.id))
    if followup is None:
        followup = Followup(alert_id=alert.id, contact_id=alert.reporter_id, asks=0, seq=0, closed=False)
        session.add(followup)
    elif not followup.closed and followup.next_ask_at is not None:
        return followup  # already planned
    followup.closed = False
    _schedule_next(session, runtime, followup, utcnow())
    return followup


def _schedule_next(session: Session, runtime: Runtime, followup: Followup, now: datetime) -> None:
    followup.seq = (followup.seq or 0) + 1
    followup.next_ask_at = now + timedelta(seconds=runtime.settings.followup_after_seconds)
    session.flush()
    followup_id, seq, when, connection = followup.id, followup.seq, followup.next_ask_at, runtime.redis
    on_commit(session, lambda: schedule_ask(connection, followup_id, seq, when))


def ask(runtime: Runtime, followup_id: int, seq: int, now: datetime | None = None) -> str:
    """Send question `seq` if it is due and nobody sent it yet."""
    now = now or utcnow()
    with runtime.db.transaction() as session:
        claimed = session.execute(
            update(Followup)
            .where(Followup.id == followup_id, Followup.seq == seq, Followup.closed.is_(False))
            .where(Followup.next_ask_at <= now + timedelta(seconds=1))
            .values(seq=seq + 1, next_ask_at=None)
        ).rowcount
        if claimed != 1:
            return "skipped"
        followup = session.get(Followup, followup_id)
        contact, alert = followup.contact, followup.alert
        if contact.opted_out or not contact.active:
            followup.closed = True
            return "opted out"
        followup.asks += 1
        body = catalogue.for_contact(contact, "followup.question", ref=alert.id, where=_where(alert))
        question = queue_message(
            session, runtime, body=body, contact=contact, priority=Priority.BULK, kind=MessageKind.FOLLOWUP
        )
        followup.waiting_since, followup.question_id = now, question.id
        session.add(AlertUpdate(alert_id=alert.id, kind="asked", value=str(followup.asks), created_at=now))
    return "asked"


def _where(alert: Alert) -> str:
    return alert.commune or (alert.district.name if alert.district else "") or alert.place or "?"


def waiting_for(session: Session, contact_id: int) -> list[Followup]:
    """Follow-ups whose question this contact has not answered yet, most recently asked first."""
    return list(
        session.scalars(
            select(Followup)
            .join(Message, Message.id == Followup.question_id)
            .where(Followup.contact_id == contact_id, Followup.closed.is_(False), Followup.waiting_since.is_not(None))
            # A question still held (by the quiet hours) has not been read: it is not open yet.
            .where((Message.status != MessageStatus.QUEUED) | Message.next_attempt_at.is_(None))
            .order_by(Followup.waiting_since.desc(), Followup.id.desc())
        )
    )


def try_answer(inbound) -> bool:
    """A 1/2/3 answer (with or without the alert's reference) to an open follow-up question."""
    found = _ANSWER.match(inbound.text)
    if not found:
        return False
    waiting = waiting_for(inbound.session, inbound.contact.id)
    if not waiting:
        return False
    ref = found.group("ref1") or found.group("ref2")
    followup = next((f for f in waiting if str(f.alert_id) == ref), None) if ref else waiting[0]
    if followup is None:
        return False
    answer(inbound, followup, found.group("answer"))
    return True


def answer(inbound, followup: Followup, choice: str) -> None:
    """Record the reporter's assessment and do what it calls for."""
    session, runtime, now = inbound.session, inbound.runtime, utcnow()
    alert = followup.alert
    assessment = ASSESSMENTS[choice]
    alert.assessment = assessment
    followup.waiting_since = None
    session.add(AlertUpdate(alert_id=alert.id, kind="answered", value=assessment, message_id=inbound.message.id))
    inbound.message.alert_id = alert.id
    if assessment == "worse":
        _worse(session, runtime, alert)
    if assessment == "calmer" or followup.asks >= runtime.settings.followup_max:
        followup.closed = True
    else:
        _schedule_next(session, runtime, followup, now)
    inbound.reply(f"followup.{assessment}", ref=alert.id)


def _worse(session: Session, runtime: Runtime, alert: Alert) -> None:
    """Worse: the alert becomes urgent and the ladder starts (again, if it had been handled)."""
    from gateway.escalation import ladder

    alert.severity = 3
    if alert.status in (AlertStatus.RESOLVED, AlertStatus.FALSE_ALARM, AlertStatus.ACKNOWLEDGED):
        alert.status = AlertStatus.NEW
    escalation = session.scalar(select(Escalation).where(Escalation.alert_id == alert.id))
    if escalation is None or escalation.status != EscalationStatus.ACTIVE or not escalation.ladder:
        ladder.start(session, runtime, alert)


def try_update(inbound) -> bool:
    """Free text from a reporter with an open question is an update of that alert, not a new report."""
    if not inbound.text:
        return False
    waiting = waiting_for(inbound.session, inbound.contact.id)
    if not waiting:
        return False
    alert_id = waiting[0].alert_id
    inbound.session.add(AlertUpdate(alert_id=alert_id, kind="update", value=None, message_id=inbound.message.id))
    inbound.message.alert_id = alert_id
    inbound.reply("followup.update_noted", ref=alert_id)
    return True


def history(session: Session, alert_id: int) -> list[dict]:
    """Asked when, answered what, updates sent (with their text, for staff): for `gateway alerts show`."""
    rows = session.scalars(select(AlertUpdate).where(AlertUpdate.alert_id == alert_id).order_by(AlertUpdate.id))
    out = []
    for row in rows:
        value = row.value
        if row.kind == "update" and row.message_id:
            value = session.get(Message, row.message_id).body
        out.append({"at": row.created_at.isoformat(), "kind": row.kind, "value": value})
    return out


def overdue(session: Session, now: datetime) -> list[tuple[int, int]]:
    """(id, seq) of follow-ups whose question is due but was never sent (its job was lost)."""
    rows = session.execute(
        select(Followup.id, Followup.seq)
        .where(Followup.closed.is_(False), Followup.next_ask_at < now - timedelta(seconds=2))
        .limit(500)
    )
    return [(row.id, row.seq) for row in rows]


def reschedule_overdue(runtime: Runtime, now: datetime) -> int:
    """Queue every overdue follow-up question again (the sweeper's entry point)."""
    with runtime.db.transaction() as session:
        questions = overdue(session, now)
    return sum(schedule_ask(runtime.redis, followup_id, seq, None) for followup_id, seq in questions)
