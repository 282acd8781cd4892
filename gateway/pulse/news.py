"""A change is news: when a round's majority for a service says closed where the commune's last known state was
open or partial (a closure), or open where it was closed (a return), the district's facilitators are told once per
(round, service), and a closure becomes an untriaged "service disruption" report for the desk (no reporter)."""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flows import catalogue
from gateway.core.runtime import Runtime
from gateway.directory.roles import facilitators_of
from gateway.messaging.outbox import queue_message
from gateway.models import (
    Alert,
    AlertSource,
    AlertStatus,
    MessageKind,
    Priority,
    PulseAnswer,
    PulseNews,
    PulseRound,
    ServicePresence,
)
from gateway.pulse.question import service_word, week_number
from gateway.pulse.services import commune_key

log = logging.getLogger(__name__)

CLOSED, RETURNED = "closed", "returned"
CATEGORY = "service_disruption"
LOOK_BACK = 26  # earlier rounds of a commune searched for the service's last known state (half a year of weeks)


def majority(session: Session, round_id: int, service: str) -> tuple[str | None, int]:
    """The presence more than half of the round's answers give for a service (a single answer is its own
    majority), or None; and the number of answers."""
    query = select(PulseAnswer.presence).where(PulseAnswer.round_id == round_id, PulseAnswer.service == service)
    counts = Counter(session.scalars(query))
    total = sum(counts.values())
    if not total:
        return None, 0
    presence, count = counts.most_common(1)[0]
    return (presence if count * 2 > total else None), total


def last_known(session: Session, pulse_round: PulseRound, service: str) -> str | None:
    """The majority of the latest earlier round of the same commune that asked the service and had one."""
    earlier = session.scalars(
        select(PulseRound)
        .where(PulseRound.district_id == pulse_round.district_id, PulseRound.id < pulse_round.id)
        .order_by(PulseRound.id.desc())
    )
    key, seen = commune_key(pulse_round.commune), 0
    for candidate in earlier:
        if commune_key(candidate.commune) != key or service not in candidate.services.split(","):
            continue
        presence, _ = majority(session, candidate.id, service)
        if presence is not None:
            return presence
        seen += 1
        if seen >= LOOK_BACK:
            break
    return None


def detect_news(session: Session, runtime: Runtime, pulse_round: PulseRound, service: str) -> str | None:
    """Tell the district if this round's answers about a service are a closure or a return; the change, or None."""
    now, count = majority(session, pulse_round.id, service)
    if now not in (ServicePresence.OPEN, ServicePresence.CLOSED):
        return None
    before = last_known(session, pulse_round, service)
    if now == ServicePresence.CLOSED and before in (ServicePresence.OPEN, ServicePresence.PARTIAL):
        change = CLOSED
    elif now == ServicePresence.OPEN and before == ServicePresence.CLOSED:
        change = RETURNED
    else:
        return None
    news_id = _claim(session, pulse_round.id, service, change)
    if news_id is None:
        return None  # already told for this round (the majority may have flipped back and forth)
    alert = _report(session, pulse_round, service, count, before) if change == CLOSED else None
    if alert is not None:
        session.get(PulseNews, news_id).alert_id = alert.id
    _tell(session, runtime, pulse_round, service, change, count, alert)
    log.info("pulse news: %s %s in round %s", service, change, pulse_round.id)
    return change


def _claim(session: Session, round_id: int, service: str, change: str) -> int | None:
    """Insert the (round, service) news row unless one exists; its id, or None when it was told already."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(PulseNews)
        .values(round_id=round_id, service=service, change=change)
        .on_conflict_do_nothing(index_elements=["round_id", "service"])
        .returning(PulseNews.id)
    )
    return session.scalar(statement)


def _report(session: Session, pulse_round: PulseRound, service: str, count: int, before: str) -> Alert:
    """The untriaged report for the desk: where and what, never who answered."""
    description = catalogue.text(
        "fr",
        "pulse.report",
        week=week_number(pulse_round.week),
        service=service_word("fr", service),
        commune=pulse_round.commune,
        count=count,
        before=catalogue.text("fr", f"pulse.presence.{before}"),
    )
    alert = Alert(
        reporter_id=None,
        region=pulse_round.district.region,
        district_id=pulse_round.district_id,
        commune=pulse_round.commune,
        place=pulse_round.commune,
        category=CATEGORY,
        description=description,
        source=AlertSource.PULSE,
        channel="pulse",
        status=AlertStatus.NEW,
    )
    session.add(alert)
    session.flush()
    return alert


def _tell(session, runtime, pulse_round: PulseRound, service: str, change: str, count: int, alert) -> None:
    """One message to each facilitator of the district, in their language."""
    for facilitator in facilitators_of(session, pulse_round.district_id):
        body = catalogue.text(
            facilitator.language,
            f"pulse.news.{change}",
            week=week_number(pulse_round.week),
            service=service_word(facilitator.language, service),
            commune=pulse_round.commune,
            count=count,
            **({"ref": alert.id} if alert is not None else {}),
        )
        queue_message(
            session, runtime, body=body, contact=facilitator, priority=Priority.URGENT, kind=MessageKind.PULSE_NEWS
        )
