"""A meeting notice to the 26 KORO leaders with real processes: `gateway meetings create`, a real `gateway worker`
subprocess sending on the bulk queue to a fake Twilio API (SMS leaders) and a fake Telegram Bot API (Telegram
leaders, with OUI/NON buttons), every invitee reached exactly once, and an urgent alert confirmation queued while
the broadcast is under way going out before the broadcast ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from flows.catalogue import text as catalogue_text
from gateway.cli import main
from gateway.messaging.sms_text import to_gsm7
from gateway.models import Contact, Invitation, Message, MessageKind, MessageStatus
from tests.chat import Chat
from tests.fakes.twilio_api import slow
from tests.processes import wait_for

pytestmark = pytest.mark.e2e

REPORTER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI): not invited to KORO's meeting
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"
HOLD_SECONDS = 4  # the fake Twilio holds its first answer this long: the broadcast is under way meanwhile


@pytest.fixture
def env(base_env, fake_twilio, fake_telegram) -> dict[str, str]:
    """The test gateway (and its worker subprocess) with SMS on the fake Twilio and Telegram on the fake Bot API."""
    return {**base_env, **fake_twilio.env(), **fake_telegram.env()}


def invitees(runtime) -> list[Contact]:
    """Everyone invited to meeting #1."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Contact).join(Invitation).where(Invitation.meeting_id == 1)))


def notice_rows(runtime) -> list[Message]:
    """The notices of meeting #1, oldest first."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.kind == MessageKind.MEETING_NOTICE).order_by(Message.id)
        return list(session.scalars(query))


def message_row(runtime, message_id: int) -> Message:
    """A fresh copy of one message row."""
    with runtime.db.transaction() as session:
        return session.get(Message, message_id)


def create_by_cli(env) -> str:
    """`gateway meetings create` for KORO three days ahead; its output."""
    at = (datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(days=3)).strftime("%Y-%m-%d 10:00")
    args = ["meetings", "create", "--district", "KORO", "--at", at, "--place", "Mairie de Koro"]
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_notice_to_26_leaders_via_a_real_worker(runtime, directory, env, fake_twilio, fake_telegram, start_process):
    fake_twilio.script(slow(HOLD_SECONDS))
    output = create_by_cli(env)
    people = invitees(runtime)
    by_sms = {c.phone for c in people if not (c.channel == "telegram" and c.telegram_id)}
    by_telegram = {c.telegram_id for c in people if c.channel == "telegram" and c.telegram_id}
    assert (len(people), len(by_sms), len(by_telegram)) == (26, 23, 3)
    assert "26 invitee(s); the notice costs 1 SMS segment(s) each, 23 in all" in output

    def sms_notices() -> list:
        """What the fake Twilio received for the SMS invitees."""
        return [r for r in fake_twilio.requests if r.form.get("To") in by_sms]

    def telegram_notices() -> list:
        """What the fake Bot API was asked to send to the Telegram invitees."""
        return [c for c in fake_telegram.calls_to("sendMessage") if c.chat_id in by_telegram]

    worker = start_process("worker")
    wait_for(lambda: sms_notices(), timeout=60, message="the broadcast to start")
    # The worker is held inside its first SMS for a few seconds, with the rest of the broadcast still queued.
    [text] = Chat(runtime, REPORTER, channel="twilio").send(URGENT)
    assert text == to_gsm7(catalogue_text("fr", "alert.oneshot", ref=1, severity=3))
    confirmation = confirmation_row(runtime)
    assert (confirmation.priority, confirmation.channel) == ("urgent", "twilio")
    wait_for(
        lambda: len(sms_notices()) + len(telegram_notices()) >= len(people),
        timeout=90,
        message=f"the notices to reach the fakes ({worker.output()[-2000:]})",
    )
    wait_for(
        lambda: all(m.status == MessageStatus.SENT for m in notice_rows(runtime)),
        timeout=30,
        message="every notice row to be sent",
    )
    assert sorted(r.form["To"] for r in sms_notices()) == sorted(by_sms)  # each SMS leader once
    assert sorted(c.chat_id for c in telegram_notices()) == sorted(by_telegram)  # each Telegram leader once
    rows = notice_rows(runtime)
    assert len(rows) == 26 and {m.priority for m in rows} == {"bulk"}
    assert all(m.provider_id for m in rows)
    for request in sms_notices():
        assert "#1" in request.form["Body"] and "Mairie de Koro" in request.form["Body"]
        assert "OUI ou NON" in request.form["Body"]
    for call in telegram_notices():
        keyboard = call.reply_markup["inline_keyboard"]
        assert [b["callback_data"] for row in keyboard for b in row] == ["OUI 1", "NON 1"]

    wait_for(lambda: fake_twilio_has(fake_twilio, REPORTER), timeout=30, message="the alert confirmation")
    assert message_row(runtime, confirmation.id).status == MessageStatus.SENT
    order = [r.form.get("To") for r in fake_twilio.requests]
    last_sms_notice = max(i for i, to in enumerate(order) if to in by_sms)
    assert order.index(REPORTER) < last_sms_notice, "the urgent confirmation waited behind the broadcast"
    assert "Traceback" not in worker.output()


def confirmation_row(runtime) -> Message:
    """The alert confirmation queued for the reporter."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.address == REPORTER, Message.kind == MessageKind.ALERT_CONFIRMATION)
        return session.scalars(query).one()


def fake_twilio_has(fake, phone: str) -> bool:
    """True when the fake Twilio received a message to `phone`."""
    return any(r.form.get("To") == phone for r in fake.requests)
