"""An officer closing an alert by SMS (`FIN 1`, confirmed by OUI) or by Telegram (at once) while someone closes it
from the desk: the alert is closed once, by whoever reached the database first, and the other one is told
(SMS: "#1 est déjà close."; desk: a DeskRefusal with code conflict). The reporter hears it once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from flows.catalogue import text as catalogue_text
from gateway.alerts import desk
from gateway.alerts import status as statuses
from gateway.escalation import commands
from tests.chat import Chat
from tests.gateway.alerts.desk_helpers import (
    ALIOU,
    ALIOU_TG,
    CLOSED,
    LEADER,
    URGENT,
    act,
    audit_rows,
    escalation_of,
    refusal,
)
from tests.staff_users import make_user

ALREADY_CLOSED = catalogue_text("fr", "escalation.already_closed", ref=1)
RESOLVED_DONE = catalogue_text("fr", "escalation.resolved_done", ref=1)


@pytest.fixture
def env(base_env, request):
    """The test gateway; Telegram on (pointed at the fake Bot API) for the tests that ask for `fake_telegram`."""
    if "fake_telegram" in request.fixturenames:
        return {**base_env, **request.getfixturevalue("fake_telegram").env()}
    return base_env


@pytest.fixture
def setup(runtime, directory, fake_telegram):
    """Alert #1 (Aliou paged) and an admin at the desk: (the reporter's chat, the admin's scope)."""
    reporter = Chat(runtime, LEADER)
    reporter.send(URGENT)
    reporter.replies()
    return reporter, make_user(runtime, "awa@example.org", "admin", name="Awa Diallo")


def officer(runtime, channel: str) -> tuple[Chat, str]:
    """Aliou's chat, having sent everything but the message that closes the alert; that message."""
    if channel == "telegram":
        return Chat(runtime, str(ALIOU_TG), channel="telegram"), "FIN 1 le calme est revenu"
    aliou = Chat(runtime, ALIOU)
    assert aliou.send("FIN 1 le calme est revenu") == [catalogue_text("fr", "escalation.confirm_resolve", ref=1)]
    return aliou, "OUI"


def desk_closes(runtime, scope, target: str):
    """The desk's click, in its own transaction."""
    return act(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, target, "vu sur place"))


@pytest.mark.parametrize("target", ["resolved", "false_alarm"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_the_desk_closes_first_the_officer_is_told(runtime, setup, monkeypatch, channel, target):
    reporter, scope = setup
    aliou, closing = officer(runtime, channel)
    real = commands.move

    def desk_first(*args, **kwargs):  # the officer's command read the alert as open; the click commits now
        desk_closes(runtime, scope, target)
        return real(*args, **kwargs)

    monkeypatch.setattr(commands, "move", desk_first)
    replies = aliou.send(closing)
    assert ALREADY_CLOSED in replies and RESOLVED_DONE not in replies
    esc = escalation_of(runtime)
    assert (esc.alert.status, esc.resolved_by_user_id, esc.resolved_by_id) == (target, scope.user_id, None)
    assert esc.resolution_note == "vu sur place"
    assert reporter.replies() == ([CLOSED] if target == "resolved" else [])
    assert [r[:2] for r in audit_rows(runtime)] == [("awa@example.org", "alert_status")]


@pytest.mark.parametrize("target", ["resolved", "false_alarm"])
@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_the_officer_closes_first_the_desk_is_refused(runtime, setup, monkeypatch, channel, target):
    reporter, scope = setup
    aliou, closing = officer(runtime, channel)
    real, replies = statuses.move, []

    def officer_first(*args, **kwargs):  # the desk read the alert as open; the officer's command commits now
        replies.extend(aliou.send(closing))
        return real(*args, **kwargs)

    monkeypatch.setattr(statuses, "move", officer_first)
    refused = refusal(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, target, None))
    assert (refused.code, refused.message) == ("conflict", f"alert #1 is resolved now: it cannot become {target}")
    assert replies == [RESOLVED_DONE]
    esc = escalation_of(runtime)
    assert (esc.alert.status, esc.resolved_by_id, esc.resolved_by_user_id) == ("resolved", esc.acknowledged_by_id, None)
    assert esc.acknowledged_by.phone == ALIOU and esc.resolution_note == "le calme est revenu"
    assert reporter.replies() == [CLOSED]
    assert audit_rows(runtime) == [], "the refused click changed nothing"


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_both_at_the_same_moment_one_close(runtime, setup, monkeypatch, channel):
    reporter, scope = setup
    aliou, closing = officer(runtime, channel)
    barrier = Barrier(2, timeout=20)
    real_sms, real_desk = commands.move, statuses.move

    def together(real):
        def move(*args, **kwargs):
            barrier.wait()  # both have read the alert as open
            return real(*args, **kwargs)

        return move

    monkeypatch.setattr(commands, "move", together(real_sms))
    monkeypatch.setattr(statuses, "move", together(real_desk))

    def click():
        try:
            desk_closes(runtime, scope, "resolved")
        except desk.DeskRefusal as refused:
            return refused.code
        return "done"

    with ThreadPoolExecutor(2) as pool:
        by_desk, by_officer = pool.submit(click), pool.submit(aliou.send, closing)
        clicked, replies = by_desk.result(), by_officer.result()
    officer_won = RESOLVED_DONE in replies
    assert (clicked, ALREADY_CLOSED in replies) == (("conflict", False) if officer_won else ("done", True))
    esc = escalation_of(runtime)
    assert esc.alert.status == "resolved"
    assert (esc.resolved_by_user_id is None) is officer_won and (esc.resolved_by_id is None) is not officer_won
    assert reporter.replies() == [CLOSED], "the reporter hears it once"
    assert len(audit_rows(runtime)) == (0 if officer_won else 1)
