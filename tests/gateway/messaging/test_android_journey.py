"""The alert journey and a district meeting notice over the Android channel, with real processes: signed events from
the fake phone posted through the Flask client, a real worker subprocess sending to the fake phone on 127.0.0.1,
and the phone's status events bringing our rows to `delivered`. The meeting notice to the 26 KORO leaders is paced:
the facilitator is told how long it takes, and no sliding minute carries more parts than the configured rate."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bots.android import our_id
from gateway.messaging.sms_text import count_segments
from gateway.models import Alert, Direction, Message, MessageStatus, Priority
from tests.fakes.android_phone import PASSWORD
from tests.processes import wait_for

pytestmark = pytest.mark.e2e

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Kotaka (MOPTI)
OFFICER = "+22365639508"  # Aliou Ongoïba, MOPTI's level-1 duty officer
FACILITATOR = "+22391731768"  # Bakary Dembélé, KORO facilitator (prefers Telegram, which is off here: SMS)
REPORT = "ALERTE 3 les jeunes et les gendarmes s'affrontent au marché"
PACE = 10  # SMS parts a minute for the paced worker
# The gateway reserves a part in Redis a little before the phone sees the request (a forked job, an HTTP client,
# the request), and that delay varies from one send to the next (0.05-0.3 s seen): the first part of a minute can
# reach the phone later than the first part of the next one. The phone's window is checked that much shorter.
HANDOFF_SLACK = 1.0


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The test gateway (and its worker subprocesses) with the fake phone as the SMS channel."""
    return {**base_env, **fake_phone.env(), "PUBLIC_BASE_URL": "https://gw.example.org"}


def outbound(runtime, address: str | None = None) -> list[Message]:
    """Outbound rows (to one address), oldest first."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.direction == Direction.OUT).order_by(Message.id)
        if address is not None:
            query = query.where(Message.address == address)
        return list(session.scalars(query))


def posts_to(fake, phone: str) -> list:
    """The phone's send requests for one recipient."""
    return [p for p in fake.posts() if p.body["phoneNumbers"] == [phone]]


def status_of(runtime, message_id: int) -> str:
    """A row's status now."""
    with runtime.db.transaction() as session:
        return session.get(Message, message_id).status


def test_alert_over_android_is_answered_escalated_and_delivered(runtime, client, directory, fake_phone, start_process):
    worker = start_process("worker")
    assert fake_phone.inject_inbound(client, LEADER, REPORT).status == 200
    wait_for(lambda: outbound(runtime, LEADER) and outbound(runtime, OFFICER), message="the worker's handling")
    with runtime.db.transaction() as session:
        [alert] = session.scalars(select(Alert)).all()
        assert (alert.severity, alert.channel) == (3, "android")
    [reply], [page] = outbound(runtime, LEADER), outbound(runtime, OFFICER)
    assert (reply.channel, page.channel, reply.priority, page.priority) == ("android", "android", "urgent", "urgent")

    wait_for(lambda: posts_to(fake_phone, LEADER) and posts_to(fake_phone, OFFICER), 30, message="both SMS sent")
    for row in (reply, page):
        wait_for(lambda row=row: status_of(runtime, row.id) == MessageStatus.SENT, message=f"row {row.id} sent")
    [to_leader], [to_officer] = posts_to(fake_phone, LEADER), posts_to(fake_phone, OFFICER)
    assert to_leader.body["id"] == our_id(reply.id) and to_officer.body["id"] == our_id(page.id)
    assert to_leader.body["textMessage"]["text"] == reply.body and f"#{alert.id}" in reply.body
    assert f"#{alert.id}" in page.body and LEADER not in page.body, "the page carries the alert, not the reporter"
    assert to_leader.auth_ok and to_officer.auth_ok and {to_leader.answered, to_officer.answered} == {202}

    # The leader's phone reports out of order (delivered, then a late sent); the officer's in order.
    events = [(reply, "sms:delivered"), (reply, "sms:sent"), (page, "sms:sent"), (page, "sms:delivered")]
    for row, event in events:
        assert [d.status for d in fake_phone.emit(client, event, our_id(row.id))] == [200]
    assert [status_of(runtime, r.id) for r in (reply, page)] == [MessageStatus.DELIVERED] * 2
    assert len(fake_phone.posts()) == 2, "each sent once"
    output = worker.output()
    assert "sent on android" in output, output[-2000:]
    assert PASSWORD not in output and LEADER not in output and OFFICER not in output


def meeting_day() -> str:
    """A day a week ahead, as a facilitator types it (dd/mm)."""
    return f"{datetime.now(ZoneInfo('Africa/Bamako')) + timedelta(days=7):%d/%m}"


def test_meeting_notice_to_26_leaders_is_paced_and_the_facilitator_told_how_long(
    runtime, client, directory, fake_phone, start_process
):
    start_process("worker", extra_env={"ANDROID_SEGMENTS_PER_MINUTE": str(PACE), "ANDROID_URGENT_HEADROOM": "0"})
    assert fake_phone.inject_inbound(client, FACILITATOR, f"REUNION {meeting_day()} 10h Mairie de Koro").status == 200
    [question] = wait_for(lambda: outbound(runtime, FACILITATOR), message="the question to the facilitator")
    assert question.body.endswith("Envoyer? OUI/NON"), "an SMS from the phone is confirmed before 26 SMS go"
    assert fake_phone.inject_inbound(client, FACILITATOR, "OUI").status == 200
    answered = wait_for(lambda: len(outbound(runtime, FACILITATOR)) == 2, message="the answer to the facilitator")
    reply = outbound(runtime, FACILITATOR)[1] if answered else None
    notices = [m for m in outbound(runtime) if m.priority == Priority.BULK]
    assert len(notices) == 26 and {m.channel for m in notices} == {"android"}
    segments = sum(count_segments(m.body).segments for m in notices)
    minutes = max(round(segments / PACE), 1)  # the worker that handled the message paces at PACE
    assert f"{segments} SMS, envoi en {minutes} min environ" in reply.body and minutes >= 1, reply.body

    # Past the first minute's budget, sends resume only as the oldest leave the window (about a minute later).
    wait_for(lambda: sum(p for _, p, _ in fake_phone.accepted) > PACE, timeout=90, message="a second minute of sends")
    assert fake_phone.busiest_minute(window=60.0 - HANDOFF_SLACK) <= PACE, sorted(fake_phone.accepted)
    assert {p.answered for p in fake_phone.posts()} == {202}
