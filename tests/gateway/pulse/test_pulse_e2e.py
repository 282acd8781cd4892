"""The pulse end to end: a real worker process sends the week's questions to the fake Twilio, a leader answers by a
signed SMS webhook that the change is a closure, and the worker delivers the news to the district facilitator's
phone — with the leader's number in no log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.models import Alert, AlertSource, utcnow
from gateway.pulse.sending import send_pulse
from tests.chat import Chat
from tests.gateway.pulse.support import KONNA_OTHERS, KONNA_SMS, KONNA_THREE, MOPTI_FACILITATOR, add_items
from tests.processes import wait_for
from tests.test_e2e_sms import inbound_sms, sent_to, signed_post

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(base_env, fake_twilio):
    """The test gateway (and its worker) with Twilio pointed at the fake; SMS carries everything (no Telegram)."""
    return {**base_env, **fake_twilio.env()}


def test_a_closure_answered_by_sms_reaches_the_facilitators_phone(
    runtime, client, directory, fake_twilio, start_process
):
    add_items(runtime, KONNA_THREE)
    send_pulse(runtime, actor="test", now=utcnow() - timedelta(days=7))  # last week: everything open
    for phone in KONNA_OTHERS[:3]:
        Chat(runtime, phone).send("111")
    send_pulse(runtime, actor="test")  # this week's question
    worker = start_process("worker")
    wait_for(lambda: sent_to(fake_twilio, KONNA_SMS), timeout=30, message=f"this week's question\n{worker.output()}")
    assert "ecole? sante? gendarmerie?" in sent_to(fake_twilio, KONNA_SMS)[-1].form["Body"]

    form = inbound_sms(fake_twilio, KONNA_SMS, "1 2 1")
    assert signed_post(client, fake_twilio.auth_token, "/webhooks/twilio/sms", form).status_code == 200

    def news():
        """The closure news the fake Twilio got for the facilitator."""
        return [r for r in sent_to(fake_twilio, MOPTI_FACILITATOR) if "sante ferm" in r.form["Body"]]

    [told] = wait_for(news, timeout=30, message=f"the facilitator's news\n{worker.output()}")
    assert "Konna" in told.form["Body"] and KONNA_SMS not in told.form["Body"]
    with runtime.db.transaction() as session:
        report = session.scalar(select(Alert).where(Alert.source == AlertSource.PULSE))
        assert report.reporter_id is None and report.category == "service_disruption"
    wait_for(lambda: any("Merci" in r.form["Body"] for r in sent_to(fake_twilio, KONNA_SMS)), message="the thanks")
    assert KONNA_SMS not in worker.output()
