"""A deployment without an SMS provider must never believe its SMS went out (issue 13, point 6).

The console channel delivers nothing: it exists only under `gateway simulate` and in tests (GATEWAY_CONSOLE_CHANNEL).
Without Twilio, the phone or the console, an SMS is stored failed with `no_sms_channel`, never `sent`; alerts and
escalations still reach the contact's Telegram when they have one. Each table row runs a real burst worker.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from bots.console import CONSOLE_OUTBOX_KEY, read_console_outbox
from gateway.cli import main
from gateway.messaging.outbox import BroadcastItem, queue_broadcast
from gateway.models import Contact, Direction, Message, MessageKind, Priority
from tests.chat import Chat
from tests.fakes.telegram_api import blocked
from workers.queues import QUEUES, queue
from workers.worker import run_worker

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI), SMS only
ALIOU, ALIOU_TG = "+22365639508", 1041918565  # MOPTI duty officer, level 1: prefers SMS, Telegram linked
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"
TENSE = "ALERTE 2 les jeunes et les gendarmes se disputent au marché"

# setting → (provider fakes, console channel on?)
SETTINGS = {
    "no SMS provider": ((), False),
    "no SMS provider, Telegram": (("fake_telegram",), False),
    "Twilio": (("fake_twilio",), False),
    "Android phone": (("fake_phone",), False),
    "console (simulate, tests)": ((), True),
    "Twilio and the console": (("fake_twilio",), True),
}


@pytest.fixture
def setting() -> str:
    """The deployment's channels (a test parametrizes it)."""
    return "no SMS provider"


@pytest.fixture
def env(base_env, setting, request) -> dict[str, str]:
    """The test gateway with only the setting's channels: the console channel is off unless the row turns it on."""
    fakes, console = SETTINGS[setting]
    out = {**base_env, "GATEWAY_CONSOLE_CHANNEL": "1" if console else ""}
    for name in fakes:
        out.update(request.getfixturevalue(name).env())
    return out


def rows_to(runtime, contact_phone: str, kinds: set[str]) -> list[tuple[str, str, str | None]]:
    """(channel, status, error code) of the messages of these kinds to one contact, in order."""
    with runtime.db.transaction() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.phone == contact_phone))
        rows = session.scalars(
            select(Message)
            .where(Message.direction == Direction.OUT, Message.contact_id == contact_id, Message.kind.in_(kinds))
            .order_by(Message.id)
        ).all()
        return [(m.channel, m.status, m.error_code) for m in rows]


def reached(request, redis_client, phone: str, telegram_id: int) -> set[str]:
    """Where something addressed to this contact actually arrived: the console list, or a provider's fake."""
    places = set()
    if any(m["address"] == phone for m in read_console_outbox(redis_client)):
        places.add("console")
    names = request.fixturenames
    if "fake_twilio" in names and any(
        r.form.get("To") == phone for r in request.getfixturevalue("fake_twilio").requests
    ):
        places.add("twilio")
    if "fake_phone" in names and any(
        phone in json.dumps(r.body) for r in request.getfixturevalue("fake_phone").posts()
    ):
        places.add("android")
    if "fake_telegram" in names:
        calls = request.getfixturevalue("fake_telegram").calls_to("sendMessage")
        if any(c.chat_id == telegram_id for c in calls):
            places.add("telegram")
    return places


def no_failed_jobs(runtime) -> bool:
    """No job raised: a missing channel is a failed row, never an exception in a worker."""
    return all(FailedJobRegistry(queue=queue(runtime.redis, name)).count == 0 for name in QUEUES)


ESCALATION_ROUTES = [
    ("no SMS provider", [("sms", "failed", "no_sms_channel")], set()),
    ("no SMS provider, Telegram", [("sms", "failed", "no_sms_channel"), ("telegram", "sent", None)], {"telegram"}),
    ("Twilio", [("twilio", "sent", None)], {"twilio"}),
    ("Android phone", [("android", "sent", None)], {"android"}),
    ("console (simulate, tests)", [("console", "sent", None)], {"console"}),
    ("Twilio and the console", [("twilio", "sent", None)], {"twilio"}),
]


@pytest.mark.parametrize(("setting", "rows", "places"), ESCALATION_ROUTES, ids=[r[0] for r in ESCALATION_ROUTES])
def test_where_an_urgent_escalation_goes_and_how_it_ends(request, runtime, directory, redis_client, rows, places):
    Chat(runtime, LEADER).send(URGENT)
    run_worker(runtime, burst=True)
    assert rows_to(runtime, ALIOU, {MessageKind.ESCALATION}) == rows
    assert reached(request, redis_client, ALIOU, ALIOU_TG) == places
    assert no_failed_jobs(runtime)


TENSION_ROUTES = [
    ("no SMS provider", [("sms", "failed", "no_sms_channel")], set()),
    ("no SMS provider, Telegram", [("sms", "failed", "no_sms_channel"), ("telegram", "sent", None)], {"telegram"}),
    ("Twilio", [("twilio", "sent", None)], {"twilio"}),
    ("console (simulate, tests)", [("console", "sent", None)], {"console"}),
]


@pytest.mark.parametrize(("setting", "rows", "places"), TENSION_ROUTES, ids=[r[0] for r in TENSION_ROUTES])
def test_an_officer_notice_routed_to_sms_falls_back_to_telegram(
    request, runtime, directory, redis_client, rows, places
):
    Chat(runtime, LEADER).send(TENSE)  # severity 2: one notice on the officer's preferred channel (SMS)
    run_worker(runtime, burst=True)
    assert rows_to(runtime, ALIOU, {MessageKind.OFFICER_NOTICE}) == rows
    assert reached(request, redis_client, ALIOU, ALIOU_TG) == places
    assert no_failed_jobs(runtime)


@pytest.mark.parametrize("setting", ["no SMS provider, Telegram"])
def test_a_meeting_notice_without_sms_fails_for_sms_only_leaders_and_goes_by_telegram_for_the_others(
    runtime, directory, fake_telegram
):
    with runtime.db.transaction() as session:
        leader, officer = (session.scalars(select(Contact).where(Contact.phone == p)).one() for p in (LEADER, ALIOU))
        items = [BroadcastItem(leader, "Reunion Koro 05/12"), BroadcastItem(officer, "Reunion Koro 05/12")]
        queued = queue_broadcast(session, runtime, items, priority=Priority.BULK, kind=MessageKind.MEETING_NOTICE)
    assert queued == [("telegram", "Reunion Koro 05/12")], "only what can go is counted as queued"
    run_worker(runtime, burst=True)
    notices = {MessageKind.MEETING_NOTICE}
    assert rows_to(runtime, LEADER, notices) == [("sms", "failed", "no_sms_channel")]
    assert rows_to(runtime, ALIOU, notices) == [("sms", "failed", "no_sms_channel"), ("telegram", "sent", None)]
    assert [c.chat_id for c in fake_telegram.calls_to("sendMessage")] == [ALIOU_TG]


@pytest.mark.parametrize("setting", ["no SMS provider, Telegram"])
def test_a_blocked_bot_falling_back_to_missing_sms_fails_once_and_stops(runtime, directory, fake_telegram):
    """Telegram → SMS fallback finds no SMS channel: one failed SMS row, and no loop back to Telegram."""
    with runtime.db.transaction() as session:
        session.scalars(select(Contact).where(Contact.phone == ALIOU)).one().channel = "telegram"
    fake_telegram.script("sendMessage", blocked())
    Chat(runtime, LEADER).send(TENSE)
    run_worker(runtime, burst=True)
    rows = rows_to(runtime, ALIOU, {MessageKind.OFFICER_NOTICE})
    assert [(channel, status) for channel, status, _ in rows] == [("telegram", "failed"), ("sms", "failed")]
    assert rows[-1][2] == "no_sms_channel"
    assert len(fake_telegram.calls_to("sendMessage")) == 1
    assert no_failed_jobs(runtime)


@pytest.mark.parametrize("setting", ["no SMS provider, Telegram"])
def test_an_escalation_whose_telegram_is_blocked_has_one_failed_sms_row(runtime, directory, fake_telegram):
    """The SMS copy already failed for want of a channel; the blocked bot's fallback to SMS adds no second row."""
    fake_telegram.script("sendMessage", blocked())
    Chat(runtime, LEADER).send(URGENT)  # accented: the failed row holds the GSM-7 text the SMS would have had
    run_worker(runtime, burst=True)
    rows = rows_to(runtime, ALIOU, {MessageKind.ESCALATION})
    assert [(channel, status) for channel, status, _ in rows] == [("sms", "failed"), ("telegram", "failed")]
    assert no_failed_jobs(runtime)


@pytest.mark.parametrize("setting", ["console (simulate, tests)"])
def test_the_console_outbox_expires(runtime, directory, redis_client):
    Chat(runtime, LEADER).send(URGENT)
    run_worker(runtime, burst=True)
    assert read_console_outbox(redis_client), "the console holds the messages for the simulator"
    ttl = redis_client.ttl(CONSOLE_OUTBOX_KEY)
    assert 0 < ttl <= 24 * 3600, "full numbers and alert texts must not stay in Redis forever"


def test_simulate_still_works_with_no_provider_and_no_console_setting(env, runtime, directory, redis_client):
    """`gateway simulate` installs the console itself: trying the conversations needs no provider and no setting."""
    assert env["GATEWAY_CONSOLE_CHANNEL"] == ""
    result = CliRunner().invoke(main, ["simulate", LEADER], env=env, input="ALERTE 3 des tirs au marché\n")
    assert result.exit_code == 0, result.output
    assert any(line.startswith("< Alerte #1") for line in result.output.splitlines()), result.output
    assert LEADER in [m["address"] for m in read_console_outbox(redis_client)], "the reply went through the console"
