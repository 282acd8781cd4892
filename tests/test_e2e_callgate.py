"""A missed call with real processes: the fake CallGate phone posts its signed events to the webhook, a real worker
subprocess handles them and sends the page to the district's officer and the answer to the leader through a fake
Twilio on 127.0.0.1; the officer's `OK` by SMS stops the paging."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.models import Escalation
from tests.fakes.twilio_api import PUBLIC_BASE_URL
from tests.processes import wait_for
from tests.test_e2e_sms import inbound_sms, sent_to, signed_post

pytestmark = pytest.mark.e2e

LEADER = "+22376972134"  # Abdoulaye Togo, leader at Koro (KORO)
OFFICER = "+22379678122"  # Seydou Traoré, KORO duty officer, level 1


@pytest.fixture
def env(base_env, fake_twilio, fake_callgate):
    """The test gateway (and its worker) with SMS through the fake Twilio and missed calls through the fake phone."""
    return {**base_env, **fake_twilio.env(), **fake_callgate.env(), "PUBLIC_BASE_URL": PUBLIC_BASE_URL}


def test_missed_call_pages_the_officer_and_answers_the_leader(
    runtime, client, directory, fake_twilio, fake_callgate, start_process
):
    worker = start_process("worker")
    assert [d.status for d in fake_callgate.missed_call(client, "76972134")] == [200] * 4

    wait_for(lambda: sent_to(fake_twilio, OFFICER) and sent_to(fake_twilio, LEADER), timeout=60, message="page + SMS")
    [page] = sent_to(fake_twilio, OFFICER)
    assert page.form["Body"].startswith("#1 Koro: Abdoulaye T. (Koro) a bipé, rappelez-le.")
    [answer] = sent_to(fake_twilio, LEADER)
    assert answer.form["Body"] == "Nous vous rappelons bientot #1."

    response = signed_post(
        client, fake_twilio.auth_token, "/webhooks/twilio/sms", inbound_sms(fake_twilio, OFFICER, "OK 1")
    )
    assert response.status_code == 200

    def stopped():
        with runtime.db.transaction() as session:
            return session.scalar(select(Escalation.status).where(Escalation.alert_id == 1)) == "stopped"

    wait_for(stopped, timeout=60, message="the officer's OK handled by the worker")
    output = worker.output()
    assert LEADER not in output and OFFICER not in output, "logs never hold a full number"
