"""Pulse rows built directly for tests (districts, leaders, runs, rounds, questions, answers), without the sending
code: a round with its questions, then answers by digits as a leader would type them (1 open, 2 closed, 3 partial)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Contact, District
from gateway.models.pulse import PulseAnswer, PulseQuestion, PulseRound, PulseRun, ServicePresence

DIGITS = {"1": ServicePresence.OPEN, "2": ServicePresence.CLOSED, "3": ServicePresence.PARTIAL}
_phones = itertools.count(1)


def district(session: Session, code: str, name: str | None = None, region: str = "Mopti") -> District:
    """The district of this code, created when the database does not have it yet."""
    found = session.scalar(select(District).where(District.code == code))
    if found is None:
        found = District(code=code, name=name or code.title(), region=region)
        session.add(found)
        session.flush()
    return found


def leaders(session: Session, where: District, commune: str, count: int) -> list[Contact]:
    """`count` new active leaders of a commune (fictional numbers, unique within the test run)."""
    made = []
    for _ in range(count):
        number = next(_phones)
        contact = Contact(name=f"Leader {number}", phone=f"+22379{number:06d}", role="leader",
                          region=where.region, district_id=where.id, commune=commune)  # fmt: skip
        session.add(contact)
        made.append(contact)
    session.flush()
    return made


def pulse_round(
    session: Session,
    where: District,
    commune: str,
    week: str,
    services: Sequence[str],
    asked: Sequence[Contact],
    run: PulseRun | None = None,
    at: datetime | None = None,
) -> PulseRound:
    """A round of the pulse in a commune (with a run of its own unless one is given) and one question per leader."""
    at = at or datetime.now(UTC)
    if run is None:
        run = PulseRun(week=week, district_id=where.id, actor="cli", created_at=at)
        session.add(run)
        session.flush()
    made = PulseRound(run_id=run.id, district_id=where.id, commune=commune, week=week, services=",".join(services),
                      asked=len(asked), created_at=at)  # fmt: skip
    session.add(made)
    session.flush()
    session.add_all(PulseQuestion(round_id=made.id, contact_id=c.id, created_at=at) for c in asked)
    session.flush()
    return made


def answer(session: Session, made: PulseRound, contact: Contact, service: str, digit: str) -> PulseAnswer:
    """A leader's answer about one service; a second one replaces the first (the same row, as the schema wants)."""
    found = session.scalar(
        select(PulseAnswer).where(
            PulseAnswer.round_id == made.id, PulseAnswer.contact_id == contact.id, PulseAnswer.service == service
        )
    )
    if found is None:
        found = PulseAnswer(round_id=made.id, contact_id=contact.id, service=service)
        session.add(found)
    found.presence = DIGITS[digit].value
    found.answered_at = datetime.now(UTC)
    session.flush()
    return found


def answers(session: Session, made: PulseRound, contacts: Sequence[Contact], replies: Sequence[str]) -> None:
    """Each reply is the digits one leader sent for the round's services, in order (`113`); `-` skips a service."""
    services = made.services.split(",")
    for contact, reply in zip(contacts, replies, strict=False):
        for service, digit in zip(services, reply, strict=False):
            if digit != "-":
                answer(session, made, contact, service, digit)
