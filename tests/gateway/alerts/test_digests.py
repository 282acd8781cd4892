"""Staff summaries under a controlled clock: the triage reminder (`remind_triage(…, now=…)`) lists a district's
unclassified reports to its facilitators once, in one SMS; the daily digest (`send_digests(…, now=…)`) goes once a
day at DIGEST_AT to each district's facilitators and level-1 officers, and not at all when there is nothing to say."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from flows.catalogue import text as catalogue_text
from gateway.alerts.digests import remind_triage, send_digests
from gateway.meetings.service import create_meeting
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import Alert, AlertSource, AlertStatus, District, Message, MessageKind, utcnow
from tests.chat import Chat

pytestmark = pytest.mark.usefixtures("directory")  # every test talks as contacts of the sample directory
MOPTI_LEADERS = ("+22371139685", "+22365598143", "+22390837572")  # Mamadou Dembélé, Moussa Dicko, Djénéba Bocoum
KORO_LEADER = "+22376972134"  # Abdoulaye Togo
MOUSSA, MOUSSA_TG = "+22378863317", 4777972798  # Moussa Guindo, MOPTI facilitator (prefers Telegram)
ALIOU = "+22365639508"  # Aliou Ongoïba, MOPTI duty officer, level 1
KORO_FACILITATOR = "+22391731768"  # Bakary Dembélé
REPORTS = ("Le puits est sec", "Les champs sont inondés", "Le marché est fermé")
DAY = (utcnow() + timedelta(days=10)).date()  # the digest's day, ahead of the real clock (Bamako is UTC+0)


def at(clock: str, days: int = 0) -> datetime:
    """A time on the digest's day (or `days` after it), local = UTC."""
    return datetime.combine(DAY + timedelta(days=days), time.fromisoformat(clock), tzinfo=UTC)


@pytest.fixture
def extra_env() -> dict[str, str]:
    """Settings a test adds (overridden by parametrization): the digest at its default hour."""
    return {"DIGEST_AT": "18:00"}


@pytest.fixture
def env(base_env, extra_env, request) -> dict[str, str]:
    """The test gateway plus the test's settings; Telegram on (the fake Bot API) for tests that use `fake_telegram`."""
    telegram = request.getfixturevalue("fake_telegram").env() if "fake_telegram" in request.fixturenames else {}
    return {**base_env, **telegram, **extra_env}


def created(runtime, when: datetime, *ids: int) -> None:
    """Pretend alerts (all when no id is given) were recorded at `when`."""
    with runtime.db.transaction() as session:
        query = update(Alert).values(created_at=when)
        session.execute(query.where(Alert.id.in_(ids)) if ids else query)


def outbound(runtime, kind: str) -> dict[str, list[str]]:
    """Address → bodies of the outbound messages of one kind."""
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id)).all()
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.address, []).append(row.body)
    return out


def report(runtime, phone: str, text: str) -> None:
    """A leader's free text: an untriaged report."""
    Chat(runtime, phone).send(text)


def test_old_unclassified_reports_are_listed_to_the_facilitators_once(runtime):
    for phone, text in zip(MOPTI_LEADERS, REPORTS, strict=True):
        report(runtime, phone, text)
    now = utcnow()
    created(runtime, now - timedelta(hours=3))
    assert remind_triage(runtime, now=now) == 1
    assert outbound(runtime, MessageKind.TRIAGE_REMINDER) == {MOUSSA: ["3 messages non classés à Mopti: #1 #2 #3"]}
    assert remind_triage(runtime, now=now + timedelta(minutes=1)) == 0, "never twice"
    assert remind_triage(runtime, now=now + timedelta(days=1)) == 0
    assert len(outbound(runtime, MessageKind.TRIAGE_REMINDER)[MOUSSA]) == 1


def test_classified_and_recent_reports_are_not_listed_and_each_district_hears_of_its_own(runtime):
    for phone, text in zip(MOPTI_LEADERS, REPORTS, strict=True):
        report(runtime, phone, text)
    report(runtime, KORO_LEADER, "La route est coupée")
    Chat(runtime, MOPTI_LEADERS[0]).send("ALERTE 1 tout est calme")  # #5: not a free-text report
    now = utcnow()
    created(runtime, now - timedelta(hours=3), 1, 2, 4, 5)
    created(runtime, now - timedelta(hours=1), 3)  # newer than TRIAGE_REMIND_SECONDS
    with runtime.db.transaction() as session:
        session.execute(update(Alert).where(Alert.id == 2).values(triaged_at=now - timedelta(hours=2)))
    assert remind_triage(runtime, now=now) == 2
    sent = outbound(runtime, MessageKind.TRIAGE_REMINDER)
    mopti = to_gsm7(catalogue_text("fr", "triage.reminder_one", count=1, district="Mopti", refs="#1"))
    koro = to_gsm7(catalogue_text("fr", "triage.reminder_one", count=1, district="Koro", refs="#4"))
    assert sent == {MOUSSA: [mopti], KORO_FACILITATOR: [koro]}
    assert remind_triage(runtime, now=now + timedelta(hours=1, minutes=1)) == 1, "#3 is old enough now"
    assert outbound(runtime, MessageKind.TRIAGE_REMINDER)[MOUSSA][-1] == "1 message non classé à Mopti: #3"


def test_many_reports_still_make_one_sms(runtime):
    now = utcnow()
    with runtime.db.transaction() as session:
        mopti = session.scalar(select(District).where(District.code == "MOPTI"))
        for n in range(40):
            fields = dict(source=AlertSource.FREETEXT, status=AlertStatus.NEW, channel="console", description=str(n))
            session.add(Alert(district_id=mopti.id, created_at=now - timedelta(hours=3), **fields))
    assert remind_triage(runtime, now=now) == 1
    [body] = outbound(runtime, MessageKind.TRIAGE_REMINDER)[MOUSSA]
    assert body.startswith("40 messages non classés à Mopti: #1 #2 ") and count_segments(body).segments == 1
    refs, more = [int(r) for r in re.findall(r"#(\d+)", body)], re.search(r" et (\d+) autres$", body)
    assert more is not None and refs == list(range(1, len(refs) + 1)) and len(refs) + int(more.group(1)) == 40


def the_day_of_a_mopti_leader(runtime) -> None:
    """An urgent alert nobody acknowledged and a piece of information, both recorded in the morning."""
    Chat(runtime, MOPTI_LEADERS[0]).send("ALERTE 3 des hommes armés encerclent le marché de Kotaka")
    Chat(runtime, MOPTI_LEADERS[1]).send("ALERTE 1 tout est calme")
    created(runtime, at("09:00"))


def expected_digest(**counts) -> str:
    """The French digest of Mopti, as an SMS carries it."""
    values = {"district": "Mopti", "total": 0, "s3": 0, "s2": 0, "s1": 0, "s0": 0, "open": 0, "meetings": 0}
    return to_gsm7(catalogue_text("fr", "digest.text", **{**values, **counts}))


def test_the_digest_goes_once_at_18h_to_facilitators_and_level_1_officers(runtime):
    the_day_of_a_mopti_leader(runtime)
    assert send_digests(runtime, now=at("17:59")) == 0
    assert outbound(runtime, MessageKind.DIGEST) == {}
    assert send_digests(runtime, now=at("18:00")) == 2
    text = expected_digest(total=2, s3=1, s1=1, open=1)
    assert text.startswith(
        "Bilan Mopti: alertes du jour 2 (urgent 1, tension 0, info 1, autres 0), escalades ouvertes 1"
    )
    assert outbound(runtime, MessageKind.DIGEST) == {MOUSSA: [text], ALIOU: [text]}, "no other district, no level 2"
    assert count_segments(text).encoding == "GSM-7" and count_segments(text).segments == 1
    assert send_digests(runtime, now=at("18:00")) == 0 and send_digests(runtime, now=at("23:59")) == 0, "once a day"
    assert send_digests(runtime, now=at("17:00", days=1)) == 0
    assert send_digests(runtime, now=at("18:00", days=1)) == 2, "the next day: the escalation is still open"
    assert outbound(runtime, MessageKind.DIGEST)[ALIOU][-1] == expected_digest(open=1)


def test_yesterdays_alerts_are_not_counted_and_a_quiet_day_sends_nothing(runtime):
    Chat(runtime, MOPTI_LEADERS[1]).send("ALERTE 1 tout est calme")
    created(runtime, at("17:00", days=-1))
    assert send_digests(runtime, now=at("18:00")) == 0
    assert outbound(runtime, MessageKind.DIGEST) == {}


def test_an_acknowledged_escalation_is_not_open(runtime):
    the_day_of_a_mopti_leader(runtime)
    Chat(runtime, ALIOU).send("OK 1")
    send_digests(runtime, now=at("18:00"))
    assert outbound(runtime, MessageKind.DIGEST)[ALIOU] == [expected_digest(total=2, s3=1, s1=1)]


def test_meetings_waiting_for_answers_are_worth_a_digest(runtime):
    with runtime.db.transaction() as session:
        mopti = session.scalar(select(District).where(District.code == "MOPTI"))
        create_meeting(session, runtime, district=mopti, starts_at=at("10:00", days=2), place="Mairie de Mopti")
    assert send_digests(runtime, now=at("18:00")) == 2
    assert outbound(runtime, MessageKind.DIGEST)[MOUSSA] == [expected_digest(meetings=1)]


@pytest.mark.parametrize("extra_env", [{"DIGEST_AT": "20:30"}])
def test_digest_at_is_honoured(runtime):
    the_day_of_a_mopti_leader(runtime)
    assert send_digests(runtime, now=at("18:00")) == 0 and send_digests(runtime, now=at("20:29:59")) == 0
    assert send_digests(runtime, now=at("20:30")) == 2


def test_a_facilitator_on_telegram_gets_one_telegram_message(runtime, fake_telegram):
    the_day_of_a_mopti_leader(runtime)
    assert send_digests(runtime, now=at("18:00")) == 2
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Message).where(Message.kind == MessageKind.DIGEST).order_by(Message.id)).all()
        assert sorted((m.channel, m.address) for m in rows) == [("console", ALIOU), ("telegram", str(MOUSSA_TG))]


def test_staff_who_opted_out_get_neither_reminder_nor_digest(runtime):
    Chat(runtime, MOUSSA).send("STOP")  # "Vous ne recevrez plus nos messages, sauf les réponses aux vôtres."
    Chat(runtime, ALIOU).send("STOP")
    report(runtime, MOPTI_LEADERS[0], REPORTS[0])
    the_day_of_a_mopti_leader(runtime)
    now = utcnow()
    created(runtime, now - timedelta(hours=3), 1)
    remind_triage(runtime, now=now)
    send_digests(runtime, now=at("18:00"))
    assert outbound(runtime, MessageKind.TRIAGE_REMINDER) == {} and outbound(runtime, MessageKind.DIGEST) == {}


@pytest.mark.parametrize("extra_env", [{"DIGEST_AT": "off"}])
def test_no_digest_when_digest_at_is_off(runtime):
    """DIGEST_AT=off: nobody gets a daily digest, whatever the hour."""
    the_day_of_a_mopti_leader(runtime)
    assert send_digests(runtime, now=at("18:00")) == 0 and send_digests(runtime, now=at("23:59")) == 0
