"""The weekly bulletin's delivery, from the sweeper: once the week's pulse time has passed (PULSE_AT; Monday 09:00
when the pulse is off), last week's bulletin of each region goes to the region's coordinators (officers of
escalation level 2) and the bulletin of all districts to head office (level 3): on Telegram the PDF with a one-line
summary as its caption, by SMS the summary alone to those without Telegram. `BulletinSending(week, scope)` is the
claim: a second sweep, or a second worker, sends nothing more. A bulletin with nothing to tell is claimed, not sent.
BULLETIN_EVERY=off sends none."""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows import catalogue
from gateway.core.config import Settings
from gateway.core.pulse_schedule import PulseSchedule
from gateway.core.runtime import Runtime
from gateway.messaging.documents import attach
from gateway.messaging.outbox import queue_message
from gateway.messaging.routing import telegram_reachable
from gateway.models import BulletinSending, Contact, MessageKind, Priority, Role, utcnow
from gateway.reports.bulletin import Bulletin, collect
from gateway.reports.scopes import ALL, Scope, all_scope, region_scope, regions
from gateway.reports.weeks import IsoWeek
from gateway.reports.words import LANGUAGES, Words
from gateway.roadmaps.items import fold

log = logging.getLogger(__name__)

WHEN_PULSE_OFF = PulseSchedule(0, time(9, 0))  # Monday 09:00 local
FOLDER = "bulletins"  # under the instance folder, owner-only


def due_week(settings: Settings, now: datetime) -> IsoWeek:
    """The week whose bulletin is due: the one before the week of the latest scheduled pulse time."""
    local = now.astimezone(ZoneInfo(settings.timezone))
    schedule = settings.pulse_schedule or WHEN_PULSE_OFF
    return IsoWeek.of(schedule.last_due(local).date()).previous


def readers(session: Session, scope: Scope) -> list[Contact]:
    """Who reads a scope's bulletin: a region's coordinators, or head office for all districts."""
    query = select(Contact).where(Contact.role == Role.OFFICER, Contact.active.is_(True), Contact.opted_out.is_(False))
    if scope.key == ALL:
        return list(session.scalars(query.where(Contact.escalation_level == 3).order_by(Contact.id)))
    level2 = session.scalars(query.where(Contact.escalation_level == 2).order_by(Contact.id))
    return [c for c in level2 if fold(c.region) == fold(scope.key)]


def summary(language: str | None, bulletin: Bulletin) -> str:
    """The one line that goes with the PDF, or alone by SMS (catalogue key `bulletin.summary`)."""
    return catalogue.text(
        language,
        "bulletin.summary",
        week_label=bulletin.week.label,
        scope=Words("fr").scope(bulletin.scope),
        closed=bulletin.changes_of("closed"),
        returned=bulletin.changes_of("returned"),
        overdue=len(bulletin.overdue),
        alerts=bulletin.alerts_total,
        rate=Words(language if language in LANGUAGES else "fr").percent(bulletin.response_rate).replace("\u00a0", " "),
    )


def file_name(bulletin: Bulletin) -> str:
    """`bulletin-2026-W49-segou.pdf`: what the reader sees, and the stored file's name."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(bulletin.scope.key)).strip("-") or "scope"
    return f"bulletin-{bulletin.week.label}-{slug}.pdf"


def store(runtime: Runtime, name: str, content: bytes) -> Path:
    """Write the PDF under the instance folder, readable by the gateway's user only (written whole, then renamed)."""
    folder = runtime.settings.instance_path / FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / name
    partial = folder / f".{name}.{os.getpid()}.part"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)
    os.replace(partial, path)
    return path


def send_bulletins(runtime: Runtime, now: datetime | None = None) -> int:
    """Send the due week's bulletins not sent yet (each scope claimed once); returns the messages queued."""
    if not runtime.settings.bulletin_weekly:  # BULLETIN_EVERY=off
        return 0
    now = now or utcnow()
    week = due_week(runtime.settings, now)
    with runtime.db.transaction() as session:
        done = set(session.scalars(select(BulletinSending.scope).where(BulletinSending.week == week.label)))
        scopes = [region_scope(session, r) for r in regions(session) if r not in done]
        scopes += [] if ALL in done else [all_scope()]
    queued = 0
    for scope in scopes:
        try:
            queued += _send(runtime, scope, week)
        except IntegrityError:
            continue  # another worker sent it
        except Exception as exc:  # noqa: BLE001 - one scope's failure must not stop the sweep; retried next sweep
            log.error("bulletin %s of %s not sent: %s", week.label, scope.key, type(exc).__name__)
    return queued


def _pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as PDF. reportlab and matplotlib are imported here, once a week, not when a worker starts: at
    import they added about 40 MB to every worker, which sends messages the rest of the week."""
    from gateway.reports.render_pdf import render_pdf

    return render_pdf(bulletin)


def _send(runtime: Runtime, scope: Scope, week: IsoWeek) -> int:
    settings = runtime.settings
    with runtime.db.transaction() as session:
        if not readers(session, scope):
            return 0  # nobody to send it to yet: not claimed, so a reader added this week still gets it
        bulletin = collect(session, scope, week, timezone=settings.timezone, min_answers=settings.pulse_min_answers)
    path = None if bulletin.empty else store(runtime, file_name(bulletin), _pdf(bulletin))
    with runtime.db.transaction() as session:
        claim = BulletinSending(week=week.label, scope=scope.key, path=str(path) if path else None)
        session.add(claim)
        session.flush()  # the unique (week, scope) row is the claim
        if path is None:
            log.info("bulletin %s of %s: nothing to tell, not sent", week.label, scope.key)
            return 0
        claim.summary = summary("fr", bulletin)
        people = readers(session, scope)
        for reader in people:
            _queue(session, runtime, reader, bulletin, path)
    log.info("bulletin %s of %s queued for %s reader(s)", week.label, scope.key, len(people))
    return len(people)


def _queue(session: Session, runtime: Runtime, reader: Contact, bulletin: Bulletin, path: Path) -> None:
    """The PDF with its summary on Telegram when the reader has it; else the summary alone by SMS."""
    text = summary(reader.language, bulletin)
    if telegram_reachable(reader, runtime.channels):
        message = queue_message(session, runtime, body=text, contact=reader, channel="telegram",
                                address=str(reader.telegram_id), priority=Priority.BULK,
                                kind=MessageKind.BULLETIN)  # fmt: skip
        attach(message, str(path), file_name(bulletin))
        return
    queue_message(session, runtime, body=text, contact=reader, priority=Priority.BULK, kind=MessageKind.BULLETIN)
