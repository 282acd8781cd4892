"""The escalation ladder in-process, with time under control: a step is made due by moving `next_step_at` into the
past and fired by calling the step itself. Officers and leaders talk through the real inbound pipeline."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from flows.catalogue import text as catalogue_text
from gateway.escalation import commands, ladder
from gateway.messaging.quiet_hours import hold_until
from gateway.messaging.sms_text import to_gsm7
from gateway.models import Contact, Escalation, Message, MessageKind, Notification, Role, utcnow
from tests.chat import Chat
from tests.fakes.telegram_api import SECRET, SECRET_HEADER, telegram_update
from workers.queues import QUEUE_URGENT, queue
from workers.schedule import step_job_id
from workers.sweeper import sweep_timers
from workers.worker import run_worker

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI)
ALIOU, ALIOU_NAME, ALIOU_TG = "+22365639508", "Aliou Ongoïba", 1041918565  # MOPTI duty officer, level 1
BAKARY, BAKARY_NAME = "+22376375098", "Bakary Maïga"  # Mopti region coordinator, level 2
SALIMATA = "+22365293966"  # Salimata Togo, head office, level 3
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"
LEVEL_1 = ["L1 alert Aliou console"]  # the timeline of a ladder on SMS only, level by level
LEVEL_2 = ["L2 reminder Aliou console", "L2 alert Bakary console"]
LEVEL_3 = ["L3 reminder Aliou console", "L3 reminder Bakary console", "L3 alert Salimata console"]
HANDLED = {"fr": "Votre alerte #1 est prise en charge. Merci.", "en": "Your alert #1 is being handled. Thank you."}
CLOSED = "Votre alerte #1 est close. Merci de l'avoir signalée."
ARMED_GROUP_SEVERITY_1 = ["ALERTE", "1", "2", "1", "des hommes armés passent au loin"]  # guided: place, category…


@pytest.fixture
def env(base_env, request):
    """The test gateway; Telegram on (pointed at the fake Bot API) for the tests that ask for `fake_telegram`."""
    if "fake_telegram" in request.fixturenames:
        return {**base_env, **request.getfixturevalue("fake_telegram").env()}
    return base_env


@pytest.fixture(autouse=True)
def no_reporter_identity_reaches_officers(runtime, directory):
    """After every test: no text written to an officer carries any leader's name or number."""
    yield
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == Role.LEADER)).all()
        bodies = session.scalars(
            select(Message.body).join(Contact, Message.contact_id == Contact.id).where(Contact.role == Role.OFFICER)
        ).all()
    marks = {m for c in leaders for m in (c.name, to_gsm7(c.name), c.phone, c.phone[-8:])}
    assert not [(body, mark) for body in bodies for mark in marks if mark in body]


def sms(key: str, language: str = "fr", **params) -> str:
    """A catalogue text as the SMS (console) channel sends it."""
    return to_gsm7(catalogue_text(language, key, **params))


def escalation(runtime, alert_id: int = 1) -> Escalation:
    """The alert's escalation row, with who acknowledged it."""
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation).where(Escalation.alert_id == alert_id))
        _ = esc and (esc.acknowledged_by, esc.alert)
        return esc


def notifications(runtime, alert_id: int = 1) -> list[str]:
    """The timeline as "L<level> <purpose> <officer's first name> <channel>" lines."""
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Notification).where(Notification.alert_id == alert_id).order_by(Notification.id))
        return [f"L{n.level} {n.purpose} {n.officer.name.split()[0]} {n.message.channel}" for n in rows]


def escalation_messages(runtime) -> list[Message]:
    """Every outbox row paging an officer (urgent escalations and severity-2 notices), oldest first."""
    kinds = [MessageKind.ESCALATION, MessageKind.OFFICER_NOTICE]
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.kind.in_(kinds)).order_by(Message.id)))


def make_due(runtime, alert_id: int = 1, timer: str = "next_step_at") -> tuple[int, int]:
    """Move one of the alert's timers into the past; (escalation id, the next step's sequence number)."""
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation).where(Escalation.alert_id == alert_id))
        setattr(esc, timer, utcnow() - timedelta(seconds=10))
        return esc.id, esc.step_seq


def fire(runtime, alert_id: int = 1) -> str:
    """Make the alert's next step due and fire it, as RQ's scheduler would."""
    return ladder.step(runtime, *make_due(runtime, alert_id))


def set_contact(runtime, phone: str, **values) -> None:
    """Change a contact's directory entry."""
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == phone).values(**values))


@pytest.mark.parametrize(
    ("messages", "ladder_on"),
    [([URGENT], True), (["ALERTE 2 les jeunes se disputent au puits"], False), (ARMED_GROUP_SEVERITY_1, False)],
)
def test_the_district_officer_alone_is_paged_at_once(runtime, messages, ladder_on):
    for text in messages:
        Chat(runtime, LEADER).send(text)
    assert notifications(runtime) == LEVEL_1
    [message] = escalation_messages(runtime)
    assert message.address == ALIOU and "#1 Mopti/Konna:" in message.body and "OK 1" in message.body
    assert message.body.startswith("URGENT #1") or not ladder_on
    esc = escalation(runtime)
    assert (esc.ladder, esc.level, esc.status) == (ladder_on, 1, "active")
    assert esc.next_step_at > utcnow() if ladder_on else esc.next_step_at is None
    assert fire(runtime) == ("level 2" if ladder_on else "skipped")


@pytest.mark.parametrize("text", ["ALERTE 1 tout est calme", "alerte des coups de feu vers Konna", "Le puits est sec"])
def test_low_or_unknown_severity_pushes_nothing(runtime, text):
    Chat(runtime, LEADER).send(text)
    assert escalation(runtime) is None and escalation_messages(runtime) == []


def test_full_ladder_without_acknowledgement_even_in_quiet_hours(runtime, monkeypatch):
    now = datetime.now(ZoneInfo(runtime.settings.timezone))
    window = ((now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time())
    monkeypatch.setattr(runtime, "settings", replace(runtime.settings, quiet_hours=window))
    assert hold_until(runtime.settings, utcnow()) is not None, "it is night for the gateway"
    Chat(runtime, LEADER).send(URGENT)
    outcomes = [fire(runtime) for _ in range(6)]
    assert outcomes == ["level 2", "level 3"] + [f"repeat {n} of level 3" for n in (1, 2, 3)] + ["exhausted"]
    assert notifications(runtime) == LEVEL_1 + LEVEL_2 + LEVEL_3 + ["L3 repeat Salimata console"] * 3
    reminder = next(m for m in escalation_messages(runtime) if m.address == ALIOU and m.body.startswith("RAPPEL"))
    assert reminder.body == sms("escalation.reminder", ref=1, level=2)
    esc = escalation(runtime)
    assert (esc.status, esc.next_step_at, esc.repeats) == ("exhausted", None, 3)
    assert fire(runtime) == "skipped" and len(notifications(runtime)) == 9
    assert all(m.next_attempt_at is None for m in escalation_messages(runtime)), "escalations are never held"


def test_a_step_fires_once_even_when_enqueued_twice_at_once(runtime):
    Chat(runtime, LEADER).send(URGENT)
    fire(runtime)  # level 2
    esc_id, seq = make_due(runtime)
    with ThreadPoolExecutor(2) as pool:  # the scheduler's job and the sweeper's, at the same moment
        outcomes = list(pool.map(lambda _: ladder.step(runtime, esc_id, seq), "ab"))
    assert sorted(outcomes) == ["level 3", "skipped"] and ladder.step(runtime, esc_id, seq) == "skipped"
    assert notifications(runtime) == LEVEL_1 + LEVEL_2 + LEVEL_3


def test_redis_flushed_mid_ladder_the_sweep_reschedules_the_due_step(runtime, redis_client):
    Chat(runtime, LEADER).send(URGENT)
    esc_id, seq = make_due(runtime)
    redis_client.flushdb()  # Redis lost its data: the scheduled step is gone
    assert sweep_timers(runtime) == 1
    urgent = queue(runtime.redis, QUEUE_URGENT)
    assert step_job_id(esc_id, seq) in urgent.job_ids + urgent.scheduled_job_registry.get_job_ids()
    assert sweep_timers(runtime) == 0, "a step already queued is not queued twice"
    run_worker(runtime, burst=True)
    assert "L2 alert Bakary console" in notifications(runtime) and escalation(runtime).level == 2


@pytest.mark.parametrize("text", ["OK 1", "OK #1", "ok", "ACK 1", "Ok 1", "ok # 1", "okay 1"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_acknowledgement_at_level_1_stops_the_ladder_and_tells_the_reporter(runtime, text, language):
    set_contact(runtime, LEADER, language=language)
    reporter = Chat(runtime, LEADER)
    reporter.send(URGENT)
    assert Chat(runtime, ALIOU).send(text) == [sms("escalation.ack_done", ref=1)]
    esc = escalation(runtime)
    assert esc.acknowledged_by.phone == ALIOU and esc.acknowledged_at is not None
    assert esc.seconds_to_acknowledge >= 0 and (esc.status, esc.next_step_at) == ("stopped", None)
    assert esc.alert.status == "acknowledged" and reporter.replies() == [HANDLED[language]]
    assert fire(runtime) == "skipped" and len(notifications(runtime)) == 1


def test_acknowledgement_by_the_telegram_button(client, runtime, fake_telegram):
    Chat(runtime, LEADER).send(URGENT)
    aliou_on_telegram = Chat(runtime, str(ALIOU_TG), channel="telegram")  # his URGENT #1 there has the buttons
    update_ = telegram_update("callback_query", user_id=ALIOU_TG, data="OK 1")
    assert client.post("/webhooks/telegram", json=update_, headers={SECRET_HEADER: SECRET}).status_code == 200
    assert run_worker(runtime, burst=True) and escalation(runtime).acknowledged_by.phone == ALIOU  # a worker handles it
    assert aliou_on_telegram.replies() == [catalogue_text("fr", "escalation.ack_done", ref=1)], "answered in the chat"


@pytest.mark.parametrize(("taker", "taker_name", "other"), [(ALIOU, ALIOU_NAME, BAKARY), (BAKARY, BAKARY_NAME, ALIOU)])
def test_acknowledgement_at_level_2_tells_the_other_notified_officer(runtime, taker, taker_name, other):
    Chat(runtime, LEADER).send(URGENT)
    assert fire(runtime) == "level 2"
    other_chat = Chat(runtime, other)
    assert Chat(runtime, taker).send("OK 1") == [sms("escalation.ack_done", ref=1)]
    assert other_chat.replies() == [to_gsm7(f"#1 est pris en charge par {taker_name}.")]
    assert escalation(runtime).acknowledged_by.name == taker_name and fire(runtime) == "skipped"
    assert not any(n.startswith("L3") for n in notifications(runtime))
    salimata = Chat(runtime, SALIMATA)
    assert salimata.replies() == [], "head office was never paged, so it is not told"
    assert salimata.send("OK 1") == [sms("escalation.already_taken", ref=1, officer=taker_name)]


def test_bare_ok_with_two_open_alerts_asks_which(runtime):
    Chat(runtime, LEADER).send(URGENT)
    # Another Kotaka leader (the same leader's second alert about Kotaka would join the first: gateway.alerts.merge)
    Chat(runtime, "+22378429376").send("ALERTE 3 une maison brûle à Kotaka")
    assert Chat(runtime, ALIOU).send("OK") == [sms("escalation.which", refs="#1 #2")]
    assert escalation(runtime, 1).acknowledged_by is None and escalation(runtime, 2).acknowledged_by is None
    assert Chat(runtime, SALIMATA).send("OK") == [sms("escalation.none_open")]


def test_two_officers_acknowledging_at_once_one_wins(runtime, monkeypatch):
    Chat(runtime, LEADER).send(URGENT)
    fire(runtime)  # level 2: Aliou and Bakary are both paged
    barrier, real = threading.Barrier(2, timeout=20), commands.acknowledge

    def together(*args, **kwargs):
        barrier.wait()  # both have read the escalation as still open
        return real(*args, **kwargs)

    monkeypatch.setattr(commands, "acknowledge", together)
    chats = {ALIOU: Chat(runtime, ALIOU), BAKARY: Chat(runtime, BAKARY)}
    with ThreadPoolExecutor(2) as pool:
        replies = dict(zip(chats, pool.map(lambda phone: chats[phone].send("OK 1"), chats), strict=True))
    winner = escalation(runtime).acknowledged_by
    loser = BAKARY if winner.phone == ALIOU else ALIOU
    assert sms("escalation.ack_done", ref=1) in replies[winner.phone] + chats[winner.phone].replies()
    loser_replies = replies[loser] + chats[loser].replies()
    assert sms("escalation.ack_done", ref=1) not in loser_replies
    assert sms("escalation.already_taken", ref=1, officer=winner.name) in loser_replies, "told who really took it"


def test_ok_from_a_leader_or_an_unknown_number_or_for_an_unknown_alert_changes_nothing(runtime):
    Chat(runtime, LEADER).send(URGENT)
    for phone in (LEADER, "+22370000001"):
        replies = Chat(runtime, phone).send("OK 1")
        assert len(replies) <= 1 and not any(r.startswith(("Merci, vous prenez", "#1")) for r in replies), replies
    assert Chat(runtime, ALIOU).send("OK 999") == [sms("escalation.unknown_ref", ref=999)]
    esc = escalation(runtime)
    assert (esc.acknowledged_by, esc.status, esc.alert.status) == (None, "active", "new")
    assert len(notifications(runtime)) == 1 and fire(runtime) == "level 2", "the ladder goes on"


@pytest.mark.parametrize(
    ("ack_first", "command", "status", "done", "note", "reporter_told"),
    [
        (True, "FIN 1 la paix est revenue", "resolved", "escalation.resolved_done", "la paix est revenue", [CLOSED]),
        (False, "DONE #1 la paix est revenue", "resolved", "escalation.resolved_done", "la paix est revenue", [CLOSED]),
        (True, "FAUX 1", "false_alarm", "escalation.false_alarm_done", None, []),
    ],
)
def test_closing_an_alert(runtime, ack_first, command, status, done, note, reporter_told):
    question = "escalation.confirm_resolve" if status == "resolved" else "escalation.confirm_false_alarm"
    reporter = Chat(runtime, LEADER)
    reporter.send(URGENT)
    if ack_first:
        Chat(runtime, ALIOU).send("OK 1")
    reporter.replies()
    aliou = Chat(runtime, ALIOU)
    assert aliou.send(command) == [sms(question, ref=1)] and escalation(runtime).alert.status != status
    assert aliou.send("OUI") == [sms(done, ref=1)], "by SMS, closing is confirmed: tests/flows/test_confirmations.py"
    esc = escalation(runtime)
    assert (esc.alert.status, esc.resolution_note, esc.status) == (status, note, "stopped")
    assert esc.acknowledged_by.phone == ALIOU, "closing an alert takes it"
    assert reporter.replies() == reporter_told and fire(runtime) == "skipped"
    assert Chat(runtime, ALIOU).send("FIN 1") == [sms("escalation.already_closed", ref=1)] == ["#1 est déjà close."]


def test_one_reminder_to_resolve_an_acknowledged_alert(runtime):
    Chat(runtime, LEADER).send(URGENT)
    aliou = Chat(runtime, ALIOU)
    aliou.send("OK 1")
    esc = escalation(runtime)
    assert esc.remind_at is not None and ladder.remind_to_resolve(runtime, esc.id) == "skipped", "not due yet"
    make_due(runtime, timer="remind_at")
    assert ladder.remind_to_resolve(runtime, esc.id) == "reminded"
    assert ladder.remind_to_resolve(runtime, esc.id) == "skipped"
    assert aliou.replies() == [sms("escalation.resolve_reminder", ref=1)] and Chat(runtime, BAKARY).replies() == []


def test_sms_and_telegram_with_buttons_for_a_linked_officer(runtime, fake_telegram):
    Chat(runtime, LEADER).send(URGENT)
    fire(runtime)
    lines = ("L1 alert Aliou", "L2 reminder Aliou", "L2 alert Bakary")
    assert notifications(runtime) == [f"{line} {channel}" for line in lines for channel in ("console", "telegram")]
    first_sms, first_telegram = escalation_messages(runtime)[:2]
    assert (first_sms.address, first_sms.buttons) == (ALIOU, None)
    assert first_telegram.address == str(ALIOU_TG) and first_telegram.body.startswith("URGENT #1")
    assert [data for _label, data, _kind in json.loads(first_telegram.buttons)] == ["OK 1", "FIN 1"]


@pytest.mark.parametrize("change", [{"telegram_unreachable": True}, {"telegram_id": None}])
def test_sms_only_when_telegram_is_blocked_or_not_linked(runtime, fake_telegram, change):
    set_contact(runtime, ALIOU, **change)
    Chat(runtime, LEADER).send(URGENT)
    fire(runtime)
    assert [n for n in notifications(runtime) if "Aliou" in n] == LEVEL_1 + LEVEL_2[:1]
    assert "L2 alert Bakary telegram" in notifications(runtime)
