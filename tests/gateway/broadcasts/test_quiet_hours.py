"""Quiet hours: a broadcast composed during them waits for their end, and the preview says when it will leave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.broadcasts import service
from gateway.models import Message, MessageStatus
from tests.staff_users import scope_of


@pytest.fixture
def env(base_env):
    """Quiet hours around now: a broadcast must wait for their end (one hour from now, local time = UTC here)."""
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=1)).strftime("%H:%M")
    return {**base_env, "QUIET_HOURS": f"{start}-{end}", "GATEWAY_TIMEZONE": "Africa/Bamako"}


def test_quiet_hours_hold_the_broadcast_until_they_end(runtime, directory):
    scope = scope_of(runtime, "fac_koro")
    with runtime.db.sessions() as session:
        leaves_at = service.preview(session, runtime, scope, {"text": "Bonjour"}).estimate.leaves_at
    assert leaves_at is not None and timedelta(minutes=50) < leaves_at - datetime.now(UTC) <= timedelta(hours=1)
    with runtime.db.transaction() as session:
        broadcast, _ = service.send(session, runtime, scope, {"text": "Bonjour"})
        broadcast_id = broadcast.id
    with runtime.db.sessions() as session:
        rows = list(session.scalars(select(Message).where(Message.broadcast_id == broadcast_id)))
    held = [m.next_attempt_at for m in rows if m.status == MessageStatus.QUEUED]
    assert held and all(abs((at - leaves_at).total_seconds()) < 60 for at in held)
