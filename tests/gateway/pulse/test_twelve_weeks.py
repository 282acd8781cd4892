"""Twelve simulated weeks under an injected clock (no sleeps): the schedule sends each Monday at PULSE_AT and only
once, skips a week it would send more than a day late, sends a few hours late into the quiet hours (the outbox
holds the questions until morning); leaders answer in every shape, one opts out, one moves commune; a closure and a
return are told once each; a commune with five services is asked each in turn; enough answers are recorded that the
results (PULSE_MIN_ANSWERS) can be read from them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

import gateway.messaging.estimate
import gateway.messaging.outbox
import gateway.pulse.answers
from gateway.models import (
    Alert,
    AlertSource,
    Contact,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    PulseAnswer,
    PulseNews,
    PulseQuestion,
    PulseRound,
    PulseRun,
)
from gateway.pulse.sending import send_due
from tests.chat import Chat
from tests.gateway.pulse.support import KONNA_OTHERS, KONNA_SMS, MOPTI_FACILITATOR, add_items, sample_rows

pytestmark = [pytest.mark.usefixtures("directory"), pytest.mark.slow]

MONDAY = datetime(2026, 9, 14, tzinfo=UTC)  # 2026-W38; Africa/Bamako is UTC all year
KONNA = (KONNA_SMS, *KONNA_OTHERS)
QUITTER, MOVER = KONNA_OTHERS[3], KONNA_OTHERS[2]
BONDO = ("+22365979646", "+22377597710", "+22366306201")
SKIPPED_WEEK, LATE_WEEK, QUITS_IN, MOVES_IN = 2, 3, 5, 8  # 0-based weeks of the simulation
CLOSED_WEEKS = (4, 5, 6)  # Konna's health centre closed, then back


@pytest.fixture
def env(base_env) -> dict[str, str]:
    """Monday 09:00 (the default PULSE_AT), quiet hours from 21:00 to 07:00."""
    return {**base_env, "QUIET_HOURS": "21:00-07:00", "PULSE_EVERY": "weekly", "PULSE_AT": "MON 09:00"}


class Clock:
    """The simulation's time: what the outbox and the answers read as `now`."""

    def __init__(self) -> None:
        self.now = MONDAY

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The simulated clock, injected where the outbox (quiet hours) and the answers read the time."""
    clock = Clock()
    for module in (gateway.messaging.outbox, gateway.messaging.estimate, gateway.pulse.answers):
        monkeypatch.setattr(module, "utcnow", clock)
    return clock


def deliver(runtime, now: datetime) -> None:
    """What the workers would have done by `now`: every outbound row due is sent."""
    with runtime.db.transaction() as session:
        session.execute(
            update(Message)
            .where(Message.direction == Direction.OUT, Message.status == MessageStatus.QUEUED)
            .where(Message.next_attempt_at.is_(None) | (Message.next_attempt_at <= now))
            .values(status=MessageStatus.SENT, next_attempt_at=None)
        )


def roadmap(runtime) -> None:
    """MOPTI's and KORO/Bondo's sample commitments (Bondo: five services), and Konna's school and health centre."""
    rows = [r for r in sample_rows() if r["district"] == "MOPTI" or r["commune"] == "Bondo"]
    add_items(runtime, rows + [{"district": "MOPTI", "commune": "Konna", "service": s} for s in ("school", "health")])


def konna_texts(week: int, health: str) -> list[str]:
    """The five Konna leaders' answers (school open, health `health`, gendarmerie open), every shape in turn."""
    tag = 38 + week
    shapes = [f"1{health}1", f"1 {health} 1", f"S{tag} 1{health}1", f"#S{tag} 1{health}1", f"sante {health}"]
    return shapes[week % 5 :] + shapes[: week % 5]


def test_twelve_weeks_of_pulse(runtime, clock):
    roadmap(runtime)
    sent_weeks, held_until = [], None
    for week in range(12):
        monday = MONDAY + timedelta(weeks=week)
        clock.now = monday + timedelta(hours=8, minutes=59)
        assert send_due(runtime, clock.now) is None, "not before PULSE_AT"
        if week == SKIPPED_WEEK:  # down all Monday, back on Tuesday 09:30: more than a day late, the week is skipped
            clock.now = monday + timedelta(days=1, hours=9, minutes=30)
            assert send_due(runtime, clock.now) is None
            continue
        if week == LATE_WEEK:  # back on Monday 22:30: sent, but held by the quiet hours until Tuesday 07:00
            clock.now = monday + timedelta(hours=22, minutes=30)
        else:
            clock.now = monday + timedelta(hours=9)
        summary = send_due(runtime, clock.now)
        assert summary is not None and summary.recipients > 0
        assert send_due(runtime, clock.now + timedelta(minutes=5)) is None, "the week is claimed once"
        sent_weeks.append(summary.week)
        if week == LATE_WEEK:
            held_until = summary.leaves_at
            assert held_until == monday + timedelta(days=1, hours=7)
            # The question is not read yet: an answer now is still last week's (the week before was skipped).
            assert Chat(runtime, KONNA_SMS).send("1 2 1") == [f"Merci, réponse #S{38 + LATE_WEEK - 2} Konna notée."]
            clock.now = monday + timedelta(days=1, hours=7)
        clock.now += timedelta(hours=2)
        deliver(runtime, clock.now)
        answer_week(runtime, week)
        deliver(runtime, clock.now)

    assert sent_weeks == [f"2026-W{38 + w}" for w in range(12) if w != SKIPPED_WEEK]
    with runtime.db.transaction() as session:
        runs = session.scalars(select(PulseRun).order_by(PulseRun.id)).all()
        assert [r.schedule_key for r in runs] == sent_weeks and {r.actor for r in runs} == {"schedule"}
        assert_konna(session, sent_weeks)
        assert_people(session, sent_weeks)
        assert_bondo(session)
        assert_news(session)


def answer_week(runtime, week: int) -> None:
    """The leaders' answers of one week (Konna in every shape; three Bondo leaders; a wrong one; STOP; a move)."""
    health = "2" if week in CLOSED_WEEKS else "1"
    for phone, text in zip(KONNA, konna_texts(week, health), strict=True):
        if phone == QUITTER and week > QUITS_IN:
            continue
        if phone == MOVER and week == MOVES_IN:  # moved to Fatoma after this week's question, answers after
            with runtime.db.transaction() as session:
                session.execute(update(Contact).where(Contact.phone == MOVER).values(commune="Fatoma"))
        if phone == MOVER and week > MOVES_IN:
            text = "1111"  # Fatoma asks four services
        [reply] = Chat(runtime, phone).send(text)
        assert reply.startswith("Merci"), (week, phone, text, reply)
    if week == 1:
        [hint] = Chat(runtime, KONNA_SMS).send("11")
        assert hint.startswith("Réponse non comprise")
    if week == QUITS_IN:
        Chat(runtime, QUITTER).send("STOP")
    for phone in BONDO:
        # Each week's text differs: the loop guard (real seconds) would take twelve weeks in a minute for a machine.
        [reply] = Chat(runtime, phone).send(f"#S{38 + week} 1 1 1 1")
        assert reply.startswith("Merci"), reply


def rounds_of(session, commune: str) -> list[PulseRound]:
    """A commune's rounds, oldest first."""
    return list(session.scalars(select(PulseRound).where(PulseRound.commune == commune).order_by(PulseRound.id)))


def tally(session, pulse_round: PulseRound, service: str) -> Counter:
    """Presence → number of answers about a service in a round."""
    rows = select(PulseAnswer.presence).where(PulseAnswer.round_id == pulse_round.id, PulseAnswer.service == service)
    return Counter(session.scalars(rows))


def assert_konna(session, weeks: list[str]) -> None:
    """One Konna round a week sent; at least three answers about health each week, the majority as answered."""
    konna = rounds_of(session, "Konna")
    assert [r.week for r in konna] == weeks and {r.services for r in konna} == {"school,health,security"}
    for pulse_round in konna:
        health = tally(session, pulse_round, "health")
        closed = int(pulse_round.week[-2:]) - 38 in CLOSED_WEEKS
        assert health["closed" if closed else "open"] >= 3, (pulse_round.week, health)
    # Once one leader quit and one moved, three remain, and in some weeks one of them answers health alone: two
    # school answers, which the results must show as "too few answers" (PULSE_MIN_ANSWERS 3).
    school = [sum(tally(session, r, "school").values()) for r in konna]
    assert min(school) == 2 and max(school) == 4


def assert_people(session, weeks: list[str]) -> None:
    """The leader who opted out is not asked after; the one who moved answered for Konna, then is asked in Fatoma."""

    def asked(phone: str) -> list[tuple[str, str]]:
        """(week, commune) of the questions one leader got."""
        rows = session.execute(
            select(PulseRound.week, PulseRound.commune)
            .join(PulseQuestion, PulseQuestion.round_id == PulseRound.id)
            .join(Contact, Contact.id == PulseQuestion.contact_id)
            .where(Contact.phone == phone)
            .order_by(PulseRound.id)
        )
        return [tuple(row) for row in rows]

    assert [w for w, _ in asked(QUITTER)] == [w for w in weeks if int(w[-2:]) - 38 <= QUITS_IN]
    moved = asked(MOVER)
    move_week = f"2026-W{38 + MOVES_IN}"
    assert (move_week, "Konna") in moved and all(c == "Fatoma" for w, c in moved if w > move_week)
    answered = session.execute(
        select(PulseRound.commune)
        .join(PulseAnswer, PulseAnswer.round_id == PulseRound.id)
        .join(Contact, Contact.id == PulseAnswer.contact_id)
        .where(Contact.phone == MOVER, PulseRound.week == move_week)
    ).scalars()
    assert set(answered) == {"Konna"}  # the late answer belongs to the round of the question they got


def assert_bondo(session) -> None:
    """Bondo tracks five services: four a round, each asked in turn, never two rounds running without it."""
    bondo = rounds_of(session, "Bondo")
    asked = Counter(s for r in bondo for s in r.services.split(","))
    assert all(len(r.services.split(",")) == 4 for r in bondo) and len(asked) == 5
    assert sorted(asked.values()) == [8, 9, 9, 9, 9]  # eleven rounds: each left out once or twice


def assert_news(session) -> None:
    """Konna's health centre: one closure (with its report) and one return, told to the facilitator once each."""
    told = session.scalars(select(PulseNews).order_by(PulseNews.id)).all()
    assert [(n.service, n.change) for n in told] == [("health", "closed"), ("health", "returned")]
    closure, comeback = (session.get(PulseRound, n.round_id).week for n in told)
    assert (closure, comeback) == (f"2026-W{38 + CLOSED_WEEKS[0]}", f"2026-W{38 + CLOSED_WEEKS[-1] + 1}")
    [report] = session.scalars(select(Alert).where(Alert.source == AlertSource.PULSE)).all()
    assert report.reporter_id is None and report.commune == "Konna" and told[0].alert_id == report.id
    bodies = session.scalars(
        select(Message.body).where(Message.kind == MessageKind.PULSE_NEWS, Message.address == MOPTI_FACILITATOR)
    ).all()
    assert len(bodies) == 2 and "fermé" in bodies[0] and "retour" in bodies[1]
