"""The channel health panel on the home page: every role sees it (no identity, no body in it), it shows a channel
not reachable after the provider failed and reachable after a success, the last message in and out, the backlog
and the phone's pace; the home page loads it and it refreshes itself."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from gateway.messaging.outbox import queue_message
from gateway.models import Message, utcnow
from tests.fakes.twilio_api import server_error
from tests.gateway.console.message_log_support import browser_for
from workers.outbound import send_message

LEADER = "+22371139685"
BODY = "Reunion secrete demain"


@pytest.fixture
def env(base_env, fake_twilio, fake_phone) -> dict[str, str]:
    """Twilio and the Android phone, both fakes."""
    return {**base_env, **fake_twilio.env(), **fake_phone.env()}


def row_of(page: str, code: str) -> str:
    """The panel's table row of one channel."""
    return re.search(rf'<tr data-channel="{code}".*?</tr>', page, re.S).group(0)


def queue_to(runtime, channel: str) -> int:
    with runtime.db.transaction() as db:
        return queue_message(db, runtime, body=BODY, channel=channel, address=LEADER).id


@pytest.mark.parametrize("role", ["admin", "coordinator", "facilitator", "officer", "observer"])
def test_every_role_sees_the_panel_without_numbers_or_bodies(runtime, app, directory, role):
    scope = {"coordinator": {"region": "Mopti"}, "facilitator": {"district": "KORO"}, "officer": {"district": "KORO"}}
    browser = browser_for(runtime, app, role, **scope.get(role, {}))
    assert send_message(queue_to(runtime, "twilio")) == "sent"
    home = browser.get("/console/").get_data(as_text=True)
    assert 'hx-get="/console/health"' in home
    panel = browser.get("/console/health?lang=en")
    text = panel.get_data(as_text=True)
    assert panel.status_code == 200
    assert 'data-state="reachable"' in row_of(text, "twilio")
    assert LEADER not in text and BODY not in text and "71139685" not in text


def test_the_panel_follows_failures_and_recovery_with_times_backlog_and_pace(runtime, app, directory, fake_twilio):
    browser = browser_for(runtime, app, "officer", district="KORO")
    page = browser.get("/console/health?lang=en").get_data(as_text=True)
    assert "unknown (nothing sent yet)" in row_of(page, "twilio") and "Telegram" not in page
    assert 'hx-trigger="every 30s"' in page

    fake_twilio.script(server_error())
    message_id = queue_to(runtime, "twilio")
    assert send_message(message_id) == "retry"
    page = browser.get("/console/health?lang=en").get_data(as_text=True)
    line = row_of(page, "twilio")
    assert 'data-state="unreachable"' in line and "not reachable" in line and "1 failure(s) in a row" in line
    assert "(20500)" in line and '<td data-field="queued">1</td>' in line
    assert re.search(r'<tr data-queue="urgent">.*?<td data-field="queued_rows">1</td>', page, re.S)

    with runtime.db.transaction() as db:
        db.execute(update(Message).where(Message.id == message_id).values(next_attempt_at=utcnow() - timedelta(1)))
    assert send_message(message_id) == "sent"
    assert send_message(queue_to(runtime, "android")) == "sent"
    page = browser.get("/console/health?lang=fr").get_data(as_text=True)
    line = row_of(page, "twilio")
    assert 'data-state="reachable"' in line and "joignable" in line and '<td data-field="queued">0</td>' in line
    with runtime.db.sessions() as db:
        sent_at = db.get(Message, message_id).sent_at
    local = sent_at.astimezone(ZoneInfo(runtime.settings.timezone)).strftime("%Y-%m-%d %H:%M:%S")
    assert f'<td data-field="last_out">{local}</td>' in line
    assert '<td data-field="last_in">aucun récemment</td>' in line
    assert 'data-remaining="19"' in page and "encore 19 parties SMS sur 20" in page


def test_the_panel_asks_an_ended_session_to_log_in_again(client):
    answer = client.get("/console/health", headers={"HX-Request": "true"})
    assert answer.status_code == 401 and answer.headers["HX-Redirect"].startswith("/console/login")
