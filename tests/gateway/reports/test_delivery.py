"""The weekly delivery, end to end against the fake Telegram: once the week's pulse time has passed, last week's
bulletin goes as a PDF with its one-line summary to the coordinators and head office on Telegram, and the summary
alone by SMS to a coordinator without Telegram; a region with nothing to tell is claimed and sent nothing; a second
sweep (or a second worker) sends nothing more; before the pulse time nothing of that week goes."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.core.config import ConfigError, load_settings
from gateway.messaging.sms_text import count_segments
from gateway.models import BulletinSending, Contact, Direction, Message, MessageKind, MessageStatus, Role
from gateway.reports.delivery import due_week, send_bulletins
from tests.fakes.telegram_api import blocked
from tests.gateway.reports.support import REPORTER_NAME, SECRET, koro_week
from tests.processes import wait_for
from workers.outbound import send_message

AFTER = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # Monday of week 50, 09:30 in Bamako (UTC+0)
BEFORE = datetime(2026, 12, 7, 8, 59, tzinfo=UTC)
HEAD_OFFICE_TG = 725927139  # Salimata Togo, level 3, prefers SMS but has Telegram
BAKARY = "+22376375098"  # Bakary Maïga, Mopti's coordinator: made SMS-only here
AMINATA_TG = 8800112233  # a second Mopti coordinator, on Telegram


@pytest.fixture
def env(base_env, fake_telegram) -> dict[str, str]:
    """The test gateway with Telegram pointed at the fake (SMS goes to the console channel)."""
    return {**base_env, **fake_telegram.env(), "BULLETIN_EVERY": "weekly"}


@pytest.fixture
def readers(runtime, directory):
    """Koro's week 49, Mopti's coordinator without Telegram, and a second Mopti coordinator on Telegram."""
    koro_week(runtime)
    with runtime.db.transaction() as session:
        bakary = session.scalar(select(Contact).where(Contact.phone == BAKARY))
        bakary.telegram_id, bakary.channel = None, "sms"
        session.add(Contact(name="Aminata Diallo", phone="+22376000111", telegram_id=AMINATA_TG, role=Role.OFFICER,
                            region="MOPTI", channel="telegram", escalation_level=2))  # fmt: skip


def bulletin_messages(runtime) -> list[Message]:
    """The outbound bulletin rows, oldest first."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.direction == Direction.OUT, Message.kind == MessageKind.BULLETIN)
        return list(session.scalars(query.order_by(Message.id)))


def sendings(runtime) -> dict[tuple[str, str], BulletinSending]:
    """The claims, by (week, scope)."""
    with runtime.db.transaction() as session:
        return {(s.week, s.scope): s for s in session.scalars(select(BulletinSending))}


def test_the_week_due_follows_the_pulse_time(base_env):
    monday_0930 = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    cases = [
        ({}, monday_0930, "2026-W49"),
        ({}, BEFORE, "2026-W48"),
        ({"PULSE_EVERY": "weekly", "PULSE_AT": "WED 10:00"}, monday_0930, "2026-W48"),
        ({"PULSE_EVERY": "off", "PULSE_AT": "WED 10:00"}, monday_0930, "2026-W49"),
        ({"GATEWAY_TIMEZONE": "Europe/Paris"}, datetime(2026, 12, 7, 7, 30, tzinfo=UTC), "2026-W48"),
    ]
    for extra, now, week in cases:
        assert due_week(load_settings(env={**base_env, **extra}), now).label == week, (extra, now)


def test_before_the_pulse_time_the_week_before_is_the_one_due(runtime, readers):
    assert send_bulletins(runtime, BEFORE) == 3
    assert set(sendings(runtime)) == {("2026-W48", "Mopti"), ("2026-W48", "Ségou"), ("2026-W48", "all")}
    assert all(m.body.startswith("Bulletin 2026-W48") for m in bulletin_messages(runtime))


def test_coordinators_and_head_office_get_the_bulletin_once(runtime, readers, fake_telegram):
    assert send_bulletins(runtime, AFTER) == 3
    claims = sendings(runtime)
    assert set(claims) == {("2026-W49", "Mopti"), ("2026-W49", "Ségou"), ("2026-W49", "all")}
    assert claims[("2026-W49", "Ségou")].path is None, "nothing to tell in Ségou: claimed, not sent"
    mopti = claims[("2026-W49", "Mopti")]
    assert mopti.summary.startswith("Bulletin 2026-W49 Région de Mopti: 1 fermeture(s), 1 retour(s), 3 engagement(s)")
    for claim in (mopti, claims[("2026-W49", "all")]):
        mode = stat.S_IMODE(os.stat(claim.path).st_mode)
        assert mode == 0o600 and claim.path.startswith(str(runtime.settings.instance_path / "bulletins"))

    messages = bulletin_messages(runtime)
    for message in messages:
        send_message(message.id)
    by_chat = {call.chat_id: call for call in fake_telegram.calls_to("sendDocument")}
    assert set(by_chat) == {HEAD_OFFICE_TG, AMINATA_TG}
    assert by_chat[AMINATA_TG].document[0] == "bulletin-2026-W49-mopti.pdf"
    assert by_chat[AMINATA_TG].document[1].startswith(b"%PDF")
    assert by_chat[AMINATA_TG].caption == mopti.summary
    assert by_chat[HEAD_OFFICE_TG].document[0] == "bulletin-2026-W49-all.pdf"
    assert by_chat[HEAD_OFFICE_TG].caption.startswith("Bulletin 2026-W49 Tous les cercles: 1 fermeture(s)")
    assert fake_telegram.calls_to("sendMessage") == []

    [sms] = [m for m in messages if m.channel != "telegram"]
    assert (sms.channel, sms.address) == ("console", BAKARY) and sms.meta is None, "the summary alone"
    assert count_segments(sms.body).segments == 1 and sms.body.startswith("Bulletin 2026-W49 Région de Mopti")
    for message in messages:
        assert REPORTER_NAME not in message.body and SECRET not in message.body
    assert {m.status for m in bulletin_messages(runtime)} == {MessageStatus.SENT}

    assert send_bulletins(runtime, AFTER) == 0, "a second sweep sends nothing more"
    assert send_bulletins(runtime, datetime(2026, 12, 10, 12, tzinfo=UTC)) == 0, "nor later that week"
    assert len(bulletin_messages(runtime)) == 3


def test_a_claim_already_taken_sends_nothing(runtime, readers):
    with runtime.db.transaction() as session:
        session.add(BulletinSending(week="2026-W49", scope="Mopti"))
    assert send_bulletins(runtime, AFTER) == 1, "head office only: Mopti was sent by another worker"
    assert [m.address for m in bulletin_messages(runtime)] == [str(HEAD_OFFICE_TG)]


def test_a_region_without_coordinator_is_not_claimed(runtime, readers):
    with runtime.db.transaction() as session:
        for contact in session.scalars(select(Contact).where(Contact.escalation_level == 2)):
            contact.active = False
    send_bulletins(runtime, AFTER)
    assert ("2026-W49", "Mopti") not in sendings(runtime), "a coordinator added later this week still gets it"
    assert ("2026-W49", "all") in sendings(runtime)


def test_bulletin_every_off_sends_nothing(runtime, readers, env, monkeypatch):
    monkeypatch.setattr(runtime, "settings", load_settings(env={**env, "BULLETIN_EVERY": "off"}))
    assert send_bulletins(runtime, AFTER) == 0 and sendings(runtime) == {} and bulletin_messages(runtime) == []


def test_bulletin_every_accepts_weekly_or_off(env):
    with pytest.raises(ConfigError, match="BULLETIN_EVERY must be 'weekly' or 'off'"):
        load_settings(env={**env, "BULLETIN_EVERY": "daily"})


@pytest.mark.e2e
def test_a_real_worker_delivers_the_document(runtime, readers, fake_telegram, start_process):
    assert send_bulletins(runtime, AFTER) == 3
    # The worker's own sweeps must not send another week's bulletin: only the rows queued above are its work.
    worker = start_process("worker", extra_env={"BULLETIN_EVERY": "off"})
    wait_for(lambda: {m.status for m in bulletin_messages(runtime)} == {MessageStatus.SENT}, timeout=60,
             message="the worker to send the bulletins")  # fmt: skip
    worker.stop()
    documents = fake_telegram.calls_to("sendDocument")
    assert sorted(call.chat_id for call in documents) == sorted([HEAD_OFFICE_TG, AMINATA_TG])
    assert all(call.document[1].startswith(b"%PDF") and call.caption.startswith("Bulletin 2026-W49")
               for call in documents)  # fmt: skip


def test_a_reader_who_blocked_the_bot_gets_the_summary_by_sms(runtime, readers, fake_telegram):
    fake_telegram.script("sendDocument", blocked())
    send_bulletins(runtime, AFTER)
    [first] = [m for m in bulletin_messages(runtime) if m.channel == "telegram"][:1]
    send_message(first.id)
    copies = [m for m in bulletin_messages(runtime) if m.id > first.id and m.contact_id == first.contact_id]
    assert [(m.channel, m.body, m.meta) for m in copies] == [("console", first.body, None)], "the summary alone"
