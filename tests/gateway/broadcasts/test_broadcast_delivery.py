"""A broadcast followed to the end against the fake providers on 127.0.0.1: sent by a facilitator through the API,
carried by a real RQ worker (PromptStopWorker, in this process) to the fake Twilio (SMS leaders) and the fake Bot API
(Telegram leaders), signed Twilio status callbacks moving the SMS to delivered; the delivery bar and the API count
what happened; a retry sends the provider error again, once, and never the unsubscribed number."""

from __future__ import annotations

import html
import re

import pytest
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.models import Message, MessageStatus
from tests.fakes.twilio_api import FROM_NUMBER, PUBLIC_BASE_URL, twilio_error
from tests.gateway.broadcasts.support import browser, contacts_of, csrf_of
from workers.queues import QUEUES, queue
from workers.worker import PromptStopWorker

TEXT = "Réunion de paix samedi à 10h à la mairie de Koro. Venez nombreux !"


@pytest.fixture
def env(base_env, fake_twilio, fake_telegram):
    """SMS on the fake Twilio, Telegram on the fake Bot API; no quiet hours (base_env)."""
    return {**base_env, **fake_twilio.env(), **fake_telegram.env()}


def run_jobs(runtime) -> None:
    """Run every queued job with a real RQ worker in this process, then stop; no job may crash."""
    queues = [queue(runtime.redis, name) for name in QUEUES]
    PromptStopWorker(queues, connection=runtime.redis, serializer=JSONSerializer).work(
        burst=True, with_scheduler=True, logging_level="WARNING"
    )
    for q in queues:
        assert FailedJobRegistry(queue=q).get_job_ids() == [], "a send job crashed"


def deliver(client, fake, runtime, broadcast_id: int) -> int:
    """Twilio reports `delivered` (signed callbacks) for every SMS of the broadcast it accepted; how many."""
    with runtime.db.sessions() as session:
        rows = session.scalars(
            select(Message).where(Message.broadcast_id == broadcast_id, Message.status == MessageStatus.SENT)
        )
        sent = [(m.id, m.provider_id, m.address) for m in rows if m.channel == "twilio"]
    validator = RequestValidator(fake.auth_token)
    for message_id, sid, phone in sent:
        path = f"/webhooks/twilio/status?mid={message_id}"
        form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": "delivered", "SmsStatus": "delivered", "To": phone,
                "From": FROM_NUMBER, "AccountSid": fake.account_sid, "ApiVersion": "2010-04-01"}  # fmt: skip
        signature = validator.compute_signature(PUBLIC_BASE_URL + path, form)
        assert client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code == 204
    return len(sent)


def bar_counts(console, broadcast_id: int) -> dict[str, int]:
    """The numbers of the delivery bar as the console shows them."""
    page = console.get(f"/console/deliveries/{broadcast_id}").get_data(as_text=True)
    return {name: int(n) for name, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def accepted_by_twilio(fake, phone: str) -> int:
    return sum(1 for r in fake.requests if r.form.get("To") == phone and r.answered == 201)


def test_a_broadcast_is_delivered_followed_and_its_provider_error_retried(
    runtime, app, client, api, fake_twilio, fake_telegram
):
    leaders = contacts_of(runtime, "KORO")
    sms = [c for c in leaders if c.channel == "sms"]
    telegram = [c for c in leaders if c.channel == "telegram"]
    flaky, unsubscribed = sms[0], sms[1]
    fake_twilio.script(twilio_error(21211), to=flaky.phone)  # a provider error: worth another try
    fake_twilio.script(twilio_error(21610), to=unsubscribed.phone)  # the number sent STOP: never again

    answer = api("POST", "/broadcasts", "fac_koro", {"text": TEXT})
    assert answer.status_code == 202
    broadcast_id, recipients = answer.get_json()["id"], answer.get_json()["recipients"]
    assert recipients == len(leaders) == 26
    run_jobs(runtime)
    delivered = deliver(client, fake_twilio, runtime, broadcast_id)
    assert delivered == len(sms) - 2

    console = browser(runtime, app, "fac_koro")
    assert bar_counts(console, broadcast_id) == {
        "queued": 0,
        "sent": len(telegram),
        "delivered": delivered,
        "failed": 2,
    }
    status = api("GET", f"/broadcasts/{broadcast_id}", "fac_koro").get_json()
    assert status["status"] == {"queued": 0, "sent": len(telegram), "delivered": delivered, "failed": 2}
    assert status["failures"] == {"provider_error": 1, "unsubscribed": 1}
    page = html.unescape(console.get(f"/console/broadcasts/{broadcast_id}").get_data(as_text=True))
    assert 'id="broadcast-retry"' in page and 'data-reason="unsubscribed"' in page
    assert len(fake_telegram.calls_to("sendMessage")) == len(telegram)

    token = csrf_of(console, f"/console/broadcasts/{broadcast_id}")
    assert console.post(f"/console/broadcasts/{broadcast_id}/retry", data={"csrf_token": token}).status_code == 302
    run_jobs(runtime)
    assert deliver(client, fake_twilio, runtime, broadcast_id) == 1
    assert bar_counts(console, broadcast_id)["delivered"] == delivered + 1
    assert bar_counts(console, broadcast_id)["failed"] == 1
    assert accepted_by_twilio(fake_twilio, flaky.phone) == 1
    assert [r.answered for r in fake_twilio.requests if r.form.get("To") == unsubscribed.phone] == [400]

    # A second retry finds nothing to send: nobody gets the broadcast twice.
    requests_before = len(fake_twilio.requests)
    assert console.post(f"/console/broadcasts/{broadcast_id}/retry", data={"csrf_token": token}).status_code == 302
    run_jobs(runtime)
    assert len(fake_twilio.requests) == requests_before
    assert all(accepted_by_twilio(fake_twilio, c.phone) == 1 for c in sms if c is not unsubscribed)
    with runtime.db.sessions() as session:
        bodies = set(session.scalars(select(Message.body).where(Message.broadcast_id == broadcast_id)))
    assert {r.form["Body"] for r in fake_twilio.requests} <= bodies
