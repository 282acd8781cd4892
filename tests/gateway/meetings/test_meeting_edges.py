"""Meeting commands at their edges: a missing number, a meeting that has already taken place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from flows.catalogue import text as catalogue_text
from gateway.cli import main
from gateway.meetings.service import create_meeting
from gateway.messaging.sms_text import to_gsm7
from gateway.models import District, Meeting, MeetingStatus, Message, utcnow
from tests.chat import Chat

FACILITATOR = "+22391731768"  # Bakary Dembélé, KORO facilitator


@pytest.fixture
def held_meeting(runtime, directory) -> int:
    """A KORO meeting whose time has passed."""
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        summary = create_meeting(session, runtime, district=koro, starts_at=utcnow() + timedelta(hours=3), place="Koro")
    with runtime.db.transaction() as session:
        session.execute(update(Meeting).values(starts_at=utcnow() - timedelta(hours=1)))
    return summary.meeting_id


def outbound_count(runtime) -> int:
    """Outbound rows queued so far."""
    with runtime.db.transaction() as session:
        return len(session.scalars(select(Message.id).where(Message.direction == "out")).all())


@pytest.mark.parametrize("text", ["POINT", "ANNULER REUNION"])
def test_a_command_without_the_meetings_number_asks_for_it(runtime, directory, text):
    assert Chat(runtime, FACILITATOR).send(text) == [to_gsm7(catalogue_text("fr", "meeting.need_ref"))]


def test_a_meeting_that_took_place_cannot_be_cancelled_by_message(runtime, held_meeting):
    before = outbound_count(runtime)
    replies = Chat(runtime, FACILITATOR).send(f"ANNULER REUNION {held_meeting}")
    assert replies == [to_gsm7(catalogue_text("fr", "meeting.already_held", ref=held_meeting))]
    assert outbound_count(runtime) == before + 1, "nobody but the facilitator is told anything"
    with runtime.db.transaction() as session:
        assert session.get(Meeting, held_meeting).status == MeetingStatus.SCHEDULED


def test_a_meeting_that_took_place_cannot_be_cancelled_from_the_cli(runtime, held_meeting, env):
    result = CliRunner().invoke(main, ["meetings", "cancel", str(held_meeting)], env=env)
    assert result.exit_code != 0 and "has already taken place" in result.output
