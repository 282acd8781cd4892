"""A number the provider reports unsubscribed (Twilio 21610: it sent STOP to Twilio) is opted out of SMS everywhere.

Before, only the failed message was marked and the contact flagged unreachable; a later meeting notice still went to
Twilio, which refused it again (and billed nothing, but the leader counted as invited by SMS). Now every routed SMS
to that number (notices, reminders, follow-ups, digests, replies) is stored failed `sms_unreachable`, never sent;
a linked Telegram account carries it instead; START sent by SMS lifts the block. Each test runs a real worker
against the fake Twilio on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.meetings.service import create_meeting, preview_meeting
from gateway.messaging.deliveries import delivery_counts
from gateway.messaging.delivery import mark_unreachable
from gateway.messaging.outbox import queue_message
from gateway.messaging.sms_text import count_segments
from gateway.models import Broadcast, Contact, Direction, District, Message, MessageKind, MessageStatus, utcnow
from tests.chat import Chat
from tests.fakes.twilio_api import twilio_error
from workers.worker import run_worker

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI), SMS only


@pytest.fixture
def env(base_env, fake_twilio) -> dict[str, str]:
    """Twilio carries SMS; the console channel is off (it would carry nothing here)."""
    return {**base_env, **fake_twilio.env(), "GATEWAY_CONSOLE_CHANNEL": ""}


def twilio_requests_to(fake_twilio, phone: str) -> int:
    """How many send requests the fake Twilio got for this number."""
    return sum(1 for r in fake_twilio.requests if r.form.get("To") == phone)


def meeting_in_mopti(runtime, days: int) -> int:
    """A new meeting of MOPTI's framework (its notice queued); its id."""
    with runtime.db.transaction() as session:
        mopti = session.scalar(select(District).where(District.code == "MOPTI"))
        starts = utcnow() + timedelta(days=days)
        return create_meeting(session, runtime, district=mopti, starts_at=starts, place="Mairie").meeting_id


def notices_to(runtime, phone: str) -> list[tuple[str, str, str | None]]:
    """(channel, status, error code) of the meeting notices to this number, oldest first."""
    with runtime.db.transaction() as session:
        rows = session.scalars(
            select(Message)
            .where(Message.direction == Direction.OUT, Message.address == phone)
            .where(Message.kind == MessageKind.MEETING_NOTICE)
            .order_by(Message.id)
        ).all()
        return [(m.channel, m.status, m.error_code) for m in rows]


def unsubscribe_by_twilio(runtime, fake_twilio) -> None:
    """A first notice to the leader is refused by Twilio with 21610."""
    fake_twilio.script(twilio_error(21610), to=LEADER)
    meeting_in_mopti(runtime, days=3)
    run_worker(runtime, burst=True)
    with runtime.db.transaction() as session:
        leader = session.scalar(select(Contact).where(Contact.phone == LEADER))
        assert (leader.sms_unreachable, leader.sms_unreachable_reason) == (True, "21610")


def flag_unsubscribed(runtime) -> None:
    """What a 21610 from Twilio records on the contact (the first test goes through the real path), without the
    district-wide notice and worker run it takes: the other tests check what follows from it."""
    with runtime.db.transaction() as session:
        leader = session.scalar(select(Contact).where(Contact.phone == LEADER))
        mark_unreachable(leader, runtime.channels["twilio"], "21610")


def test_a_later_meeting_notice_is_not_sent_to_a_number_twilio_reported_unsubscribed(runtime, directory, fake_twilio):
    unsubscribe_by_twilio(runtime, fake_twilio)
    assert twilio_requests_to(fake_twilio, LEADER) == 1

    meeting_in_mopti(runtime, days=5)
    run_worker(runtime, burst=True)

    assert notices_to(runtime, LEADER) == [("twilio", "failed", "21610"), ("twilio", "failed", "sms_unreachable")]
    assert twilio_requests_to(fake_twilio, LEADER) == 1, "the second notice never reached Twilio"


@pytest.mark.parametrize(
    "kind",
    [MessageKind.MEETING_REMINDER, MessageKind.FOLLOWUP, MessageKind.DIGEST, MessageKind.BROADCAST, "reply"],
)
def test_no_kind_of_sms_goes_to_an_unsubscribed_number(runtime, directory, fake_twilio, kind):
    flag_unsubscribed(runtime)
    with runtime.db.transaction() as session:
        leader = session.scalar(select(Contact).where(Contact.phone == LEADER))
        row = queue_message(session, runtime, body="Rappel: reunion demain", contact=leader, kind=kind)
        row_id = row.id
    run_worker(runtime, burst=True)
    with runtime.db.transaction() as session:
        row = session.get(Message, row_id)
        assert (row.status, row.error_code) == (MessageStatus.FAILED, "sms_unreachable")
    assert twilio_requests_to(fake_twilio, LEADER) == 0


def test_the_preview_counts_no_segment_for_an_unsubscribed_number_and_matches_what_is_queued(
    runtime, directory, fake_twilio
):
    flag_unsubscribed(runtime)
    with runtime.db.transaction() as session:
        mopti = session.scalar(select(District).where(District.code == "MOPTI"))
        starts = utcnow() + timedelta(days=6)
        preview = preview_meeting(session, runtime, district=mopti, starts_at=starts, place="Mairie")
    ref = meeting_in_mopti(runtime, days=6)
    with runtime.db.transaction() as session:
        notice = session.scalar(select(Broadcast).where(Broadcast.meeting_id == ref))
        queued_sms = session.scalars(
            select(Message.body).where(Message.broadcast_id == notice.id, Message.status == MessageStatus.QUEUED)
        ).all()
        counts = delivery_counts(session, [notice.id])
    assert preview.segments_total == notice.segments == sum(count_segments(b).segments for b in queued_sms)
    assert counts.failures == (("unsubscribed", 1),), "the delivery view says why the leader was not reached"


def test_start_sent_by_sms_lifts_the_block(runtime, directory, fake_twilio):
    unsubscribe_by_twilio(runtime, fake_twilio)
    replies = Chat(runtime, LEADER, channel="twilio").send("START")
    assert replies, "the leader is told SMS resume"
    meeting_in_mopti(runtime, days=4)
    run_worker(runtime, burst=True)
    assert notices_to(runtime, LEADER)[-1] == ("twilio", "sent", None)
    with runtime.db.transaction() as session:
        leader = session.scalar(select(Contact).where(Contact.phone == LEADER))
        assert (leader.sms_unreachable, leader.sms_unreachable_reason) == (False, None)
