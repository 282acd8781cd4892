"""A week of records for the bulletin tests, written directly (tests/gateway/pulse/factory.py for the pulse): Koro's
pulse over three weeks with a closure and a return in week 49, a service with too few answers, roadmap items overdue
or not, and alerts in and out of the week and district, each with a reporter and a description that no bulletin may
show."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from sqlalchemy import select

from gateway.models import Alert, Contact, District, RoadmapItem
from gateway.models.pulse import PulseNews
from gateway.reports.weeks import IsoWeek
from tests.gateway.pulse import factory

WEEK = IsoWeek(2026, 49)  # Monday 30 November to Sunday 6 December 2026
REPORTER_NAME, REPORTER_PHONE = "Rokia Maïga", "+22370795459"  # a leader of Bondo (sample directory)
SECRET = "Le chef du groupe armé est au marché de Bondo"  # an alert's description: never in a bulletin
HOSTILE = "<script>alert(1)</script>"


def item(session, district: District, commune: str, service: str, commitment: str, due: date, status: str,
         village: str | None = None, responsible: str | None = "Préfet du cercle") -> RoadmapItem:  # fmt: skip
    """A roadmap commitment (its natural key made up from the commitment: unique within a test)."""
    key = hashlib.sha256(f"{district.code}|{commune}|{commitment}".encode()).hexdigest()
    made = RoadmapItem(natural_key=key, district_id=district.id, commune=commune, village=village, service=service,
                       commitment=commitment, responsible=responsible, due=due, status=status)  # fmt: skip
    session.add(made)
    session.flush()
    return made


def alert(session, district: District, category: str | None, severity: int | None, at: datetime) -> Alert:
    """An alert reported by the Bondo leader, with the secret description."""
    reporter = session.scalar(select(Contact).where(Contact.phone == REPORTER_PHONE))
    made = Alert(reporter_id=reporter.id, district_id=district.id, commune="Bondo", category=category,
                 severity=severity, description=SECRET, status="new", source="sms", channel="sms",
                 created_at=at)  # fmt: skip
    session.add(made)
    session.flush()
    return made


def answers(session, made, people, service: str, digits: str) -> None:
    """One digit per leader, in order (1 open, 2 closed, 3 partial)."""
    for person, digit in zip(people, digits, strict=False):
        factory.answer(session, made, person, service, digit)


def koro_week(runtime, commune: str = "Bondo") -> dict:
    """Koro's records around week 49 (see the module docstring); returns the ids the tests look for."""
    with runtime.db.transaction() as session:
        koro = factory.district(session, "KORO")
        mopti = factory.district(session, "MOPTI")
        bondo = factory.leaders(session, koro, commune, 4)
        madougou = factory.leaders(session, koro, "Madougou", 3)
        at = datetime(2026, 11, 23, 9, tzinfo=UTC)
        w48 = factory.pulse_round(session, koro, commune, "2026-W48", ["school", "health", "security"], bondo, at=at)
        answers(session, w48, bondo, "school", "1111")
        answers(session, w48, bondo, "health", "2222")
        answers(session, w48, bondo, "security", "1113")
        at = datetime(2026, 11, 30, 9, tzinfo=UTC)
        w49 = factory.pulse_round(session, koro, commune, "2026-W49", ["school", "health", "security"], bondo, at=at)
        answers(session, w49, bondo, "school", "2221")
        answers(session, w49, bondo, "health", "1113")
        answers(session, w49, bondo[:2], "security", "11")  # two answers: below PULSE_MIN_ANSWERS
        session.add_all([PulseNews(round_id=w49.id, service="school", change="closed"),
                         PulseNews(round_id=w49.id, service="health", change="returned")])  # fmt: skip
        w49m = factory.pulse_round(session, koro, "Madougou", "2026-W49", ["school", "water"], madougou, at=at)
        answers(session, w49m, madougou, "school", "113")
        answers(session, w49m, madougou, "water", "111")
        late = item(session, koro, commune, "security", "Poste de gendarmerie de Bondo armé", date(2026, 11, 20),
                    "stalled", village="Bondo")  # fmt: skip
        item(session, koro, commune, "school", "Réouverture de l'école", date(2026, 11, 1), "done")
        item(session, koro, commune, "health", "Médecin de garde", date(2027, 3, 1), "planned")
        due_sunday = item(session, koro, "Madougou", "water", "Forage de Madougou", date(2026, 12, 6), "in_progress")
        other = item(session, mopti, "Konna", "school", "École de Konna", date(2026, 10, 1), "planned")
        inside = datetime(2026, 12, 2, 10, tzinfo=UTC)
        for category, severity in [("security_forces", 2), ("security_forces", 2), ("service_disruption", 3),
                                   (None, None)]:  # fmt: skip
            alert(session, koro, category, severity, inside)
        alert(session, koro, "armed_group", 3, datetime(2026, 11, 29, 22, 59, tzinfo=UTC))  # Sunday 22:59 Bamako
        alert(session, koro, "armed_group", 3, datetime(2026, 12, 7, 0, 0, tzinfo=UTC))  # the next Monday
        alert(session, mopti, "armed_group", 1, inside)
        return {"koro": koro.id, "mopti": mopti.id, "late": late.id, "due_sunday": due_sunday.id, "other": other.id}
