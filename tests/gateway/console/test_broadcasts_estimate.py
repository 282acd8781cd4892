"""The composer's preview when SMS goes through the paced local-SIM phone during quiet hours: the phone's sending
time (segments ÷ ANDROID_SEGMENTS_PER_MINUTE), the cost, and "will leave at HH:MM" (the end of the quiet hours);
the confirmation page shows the same numbers, and the rows queued wait for that time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.messaging.sms_text import count_segments
from gateway.models import Broadcast, Message, MessageStatus
from tests.gateway.broadcasts.support import browser, compose_form

TEXT = "Rappel : la réunion de paix de Koro se tient samedi à 10h à la mairie. " * 3  # 2 segments


@pytest.fixture
def env(base_env, fake_phone):
    """SMS on the fake phone (20 segments a minute), 25 XOF a segment, quiet hours from an hour ago to an hour on."""
    now = datetime.now(UTC)
    window = f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}"
    return {**base_env, **fake_phone.env(), "ANDROID_SEGMENTS_PER_MINUTE": "20", "SMS_SEGMENT_COST": "25 XOF",
            "QUIET_HOURS": window, "GATEWAY_TIMEZONE": "Africa/Bamako"}  # fmt: skip


def test_the_preview_shows_the_phones_time_the_cost_and_when_it_leaves(runtime, directory, app):
    client = browser(runtime, app, "fac_koro")
    form = {**compose_form(client), "text": TEXT, "role": "all"}
    preview = client.post("/console/broadcasts/preview?lang=en", data=form).get_data(as_text=True)
    confirm = client.post("/console/broadcasts/new?lang=en", data={**form, "step": "review"}).get_data(as_text=True)
    leaves = runtime.settings.quiet_hours[1].strftime("%H:%M")  # their end, local time
    assert client.post("/console/broadcasts/new", data={**form, "step": "send"}).status_code == 302
    with runtime.db.sessions() as session:
        broadcast = session.scalars(select(Broadcast)).one()
        rows = list(session.scalars(select(Message).where(Message.broadcast_id == broadcast.id)))
    sms = [m for m in rows if m.status == MessageStatus.QUEUED and m.channel == "android"]
    total = sum(count_segments(m.body).segments for m in sms)
    assert total == broadcast.segments and count_segments(sms[0].body).segments == 2
    minutes = max(1, round(total / 20))
    for page in (preview, confirm):
        assert f'data-segments-total="{total}"' in page and f'data-cost="{total * 25} XOF"' in page
        assert f'data-minutes="{minutes}"' in page and f"about {minutes} min" in page
        assert f'data-leaves-at="{leaves}"' in page and f"will leave at {leaves}" in page
    assert all(m.next_attempt_at is not None for m in sms), "the rows wait for the end of the quiet hours"
