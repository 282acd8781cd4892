"""What `/metrics` shows after a real workload: signed Twilio webhooks through the app (accepted, replayed, refused),
the handling jobs, the sends to the fake Twilio (one refused with 21610), an officer taking the alert by SMS and the
desk resolving it. The counts move by exactly what happened, and no label carries a number, a name or a text."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.alerts import desk
from gateway.escalation import ladder
from gateway.models import Alert, Contact, Direction, Message, MessageStatus
from tests.chat import Chat
from tests.fakes.twilio_api import FROM_NUMBER, PUBLIC_BASE_URL, twilio_error
from tests.gateway.alerts.desk_helpers import ALIOU, LEADER, URGENT, act, due
from tests.gateway.observability.scrape import samples, scrape, value
from tests.inbound_jobs import handle_queued
from tests.staff_users import make_user
from workers.outbound import send_message

SMS_PATH = "/webhooks/twilio/sms"
# The only label names a gateway metric may carry (docs/monitoring.md).
ALLOWED_LABELS = {"channel", "route", "status", "outcome", "code", "queue", "state", "district", "severity", "level",
                  "kind", "source", "le"}  # fmt: skip


@pytest.fixture
def env(base_env, fake_twilio) -> dict[str, str]:
    """The test gateway with the fake Twilio as its SMS channel."""
    return {**base_env, **fake_twilio.env()}


def post_sms(client, fake, sender: str, body: str, sid: str, signed: bool = True):
    """A Twilio SMS webhook as Twilio sends it, signed with the fake account's token (or not)."""
    form = {"MessageSid": sid, "AccountSid": fake.account_sid, "From": sender, "To": FROM_NUMBER, "Body": body}
    signature = RequestValidator(fake.auth_token).compute_signature(PUBLIC_BASE_URL + SMS_PATH, form)
    headers = {"X-Twilio-Signature": signature} if signed else {}
    return client.post(SMS_PATH, data=urlencode(form), content_type="application/x-www-form-urlencoded",
                       headers=headers)  # fmt: skip


def send_queued(runtime) -> list[str]:
    """Send every queued outbox row as the worker would; the outcomes."""
    with runtime.db.transaction() as session:
        ids = session.scalars(
            select(Message.id).where(Message.status == MessageStatus.QUEUED).order_by(Message.id)
        ).all()
    return [send_message(message_id) for message_id in ids]


def test_a_workload_moves_the_counts_by_what_happened(runtime, directory, client, fake_twilio):
    before = scrape(client)
    assert post_sms(client, fake_twilio, LEADER, URGENT, "SM" + "a1" * 16).status_code == 200
    assert post_sms(client, fake_twilio, LEADER, URGENT, "SM" + "a1" * 16).status_code == 200  # Twilio's retry
    assert post_sms(client, fake_twilio, LEADER, URGENT, "SM" + "a2" * 16, signed=False).status_code == 403
    handle_queued(runtime)
    middle = scrape(client)

    def moved(text, name, **labels):
        return value(text, name, **labels) - value(before, name, **labels)

    assert moved(middle, "gateway_webhooks_total", channel="twilio", route="sms", status="200") == 2
    assert moved(middle, "gateway_webhooks_total", channel="twilio", route="sms", status="403") == 1
    assert moved(middle, "gateway_inbound_messages_total", channel="twilio", outcome="stored") == 1
    assert moved(middle, "gateway_inbound_messages_total", channel="twilio", outcome="duplicate") == 1
    assert moved(middle, "gateway_escalation_steps_total", level="1", kind="start") == 1
    with runtime.db.transaction() as session:
        pending = session.scalar(select(Message.id).where(Message.status == MessageStatus.QUEUED).limit(1))
        queued = len(session.scalars(select(Message.id).where(Message.status == MessageStatus.QUEUED)).all())
    assert pending is not None
    assert value(middle, "gateway_outbox_messages", status="queued") == queued
    assert value(middle, "gateway_alerts_unacknowledged", district="MOPTI") == 1

    fake_twilio.script(twilio_error(21610))  # the first send: an unsubscribed number
    outcomes = send_queued(runtime)
    after_sends = scrape(client)
    assert moved(after_sends, "gateway_send_attempts_total", channel="twilio") == len(outcomes)
    assert moved(after_sends, "gateway_send_attempts_total", channel="twilio", outcome="sent") == outcomes.count("sent")
    assert moved(after_sends, "gateway_provider_errors_total", channel="twilio", code="21610") == 1
    assert moved(after_sends, "gateway_send_seconds_count", channel="twilio") == len(outcomes)
    assert value(after_sends, "gateway_outbox_messages", status="queued") == 0

    # The duty officer takes it by SMS; the desk resolves it.
    assert post_sms(client, fake_twilio, ALIOU, "OK 1", "SM" + "b1" * 16).status_code == 200
    handle_queued(runtime)
    admin = make_user(runtime, "awa@example.org", "admin")
    act(runtime, lambda s, a: desk.set_status(s, runtime, admin, a, "resolved", "calme revenu"))
    after = scrape(client)
    assert moved(after, "gateway_alert_acknowledge_seconds_count", district="MOPTI", severity="3") == 1
    assert moved(after, "gateway_alert_resolve_seconds_count", district="MOPTI", severity="3") == 1
    assert value(after, "gateway_alerts_unacknowledged", district="MOPTI") == 0

    assert_no_identity_in(after, runtime)


def assert_no_identity_in(text: str, runtime) -> None:
    """No label name outside the allowed set; no number, name, Telegram id or text of the workload anywhere."""
    for name, labels, _ in samples(text):
        if name.startswith("gateway_"):
            assert set(labels) <= ALLOWED_LABELS, (name, labels)
    with runtime.db.transaction() as session:
        contacts = session.scalars(select(Contact)).all()
        bodies = session.scalars(select(Message.body).where(Message.direction == Direction.IN)).all()
        refs = [f"#{ref}" for ref in session.scalars(select(Alert.id)).all()]
    marks = {c.phone[-8:] for c in contacts if c.phone} | {str(c.telegram_id) for c in contacts if c.telegram_id}
    marks |= {c.name for c in contacts} | set(refs)
    words = {w for body in bodies for w in re.findall(r"\w{5,}", body or "")}
    found = sorted(m for m in marks | words if m in text)
    assert not found, found


def test_escalation_steps_are_counted_by_level_and_kind(runtime, directory, client):
    before = scrape(client)
    Chat(runtime, LEADER).send(URGENT)  # the MOPTI duty officer (level 1) is paged
    assert ladder.step(runtime, *due(runtime)) == "level 2"  # nobody took it: the region's coordinator
    after = scrape(client)
    for level, kind in (("1", "start"), ("2", "up")):
        moved = value(after, "gateway_escalation_steps_total", level=level, kind=kind)
        assert moved - value(before, "gateway_escalation_steps_total", level=level, kind=kind) == 1, (level, kind)
