"""Revealing a reporter's identity from the desk: only admins and the coordinator of the alert's region may ask,
always with a reason, and every reveal is audited before anything is shown."""

from __future__ import annotations

import pytest

from gateway.alerts import desk
from tests.chat import Chat
from tests.gateway.alerts.desk_helpers import LEADER, LEADER_NAME, STRANGER, URGENT, act, audit_rows, refusal
from tests.staff_users import make_user

REASON = "La gendarmerie de Konna demande à le joindre"
USERS = {
    "admin": ("admin", None, None),
    "coordinator Mopti": ("coordinator", "Mopti", None),
    "coordinator Ségou": ("coordinator", "SEGOU", None),
    "facilitator MOPTI": ("facilitator", None, "MOPTI"),
    "officer MOPTI": ("officer", None, "MOPTI"),
    "observer": ("observer", None, None),
}
MAY_REVEAL = {"admin", "coordinator Mopti"}  # alert #1 is in MOPTI (Mopti region)


@pytest.fixture
def alerts(runtime, directory):
    """#1 an urgent alert of a MOPTI leader; #2 a report from a number outside the directory."""
    Chat(runtime, LEADER).send(URGENT)
    Chat(runtime, STRANGER).send("Des hommes armés au marché")


def scope_of(runtime, who: str):
    role, region, district = USERS[who]
    return make_user(runtime, "staff@example.org", role, region, district)


@pytest.mark.parametrize("who", list(USERS))
def test_who_may_reveal_with_a_reason(runtime, alerts, who):
    scope = scope_of(runtime, who)
    if who in MAY_REVEAL:
        shown = act(runtime, lambda s, a: desk.reveal(s, scope, a, REASON))
        assert shown == {"name": LEADER_NAME, "phone": LEADER}
        assert audit_rows(runtime) == [("staff@example.org", "reveal_reporter", "alert #1", REASON)]
        return
    refused = refusal(runtime, lambda s, a: desk.reveal(s, scope, a, REASON))
    assert refused.code == "forbidden" and refused.message.endswith(" may not see who reported an alert")
    assert audit_rows(runtime) == []


@pytest.mark.parametrize("reason", ["", "   ", "\x1b\x07\n\t", None])
def test_a_reveal_without_a_reason_is_refused_and_shows_nothing(runtime, alerts, reason):
    scope = scope_of(runtime, "admin")
    refused = refusal(runtime, lambda s, a: desk.reveal(s, scope, a, reason))
    assert (refused.code, refused.message) == ("invalid", "say why the reporter's identity is needed (it is recorded)")
    assert LEADER not in refused.message and audit_rows(runtime) == []


def test_the_reason_is_recorded_on_one_printable_line_and_bounded(runtime, alerts):
    scope = scope_of(runtime, "admin")
    act(runtime, lambda s, a: desk.reveal(s, scope, a, "menace\n\x1b[2Jsur\tle leader"))
    assert audit_rows(runtime)[0][3] == "menace [2Jsur le leader"
    refused = refusal(runtime, lambda s, a: desk.reveal(s, scope, a, "x" * 501))
    assert (refused.code, refused.message) == ("invalid", "too long: 501 characters, at most 500")
    assert len(audit_rows(runtime)) == 1


def test_asking_about_a_report_from_outside_the_directory_shows_nothing_but_is_audited(runtime, alerts):
    scope = scope_of(runtime, "admin")
    assert act(runtime, lambda s, a: desk.reveal(s, scope, a, REASON), ref=2) is None
    assert audit_rows(runtime) == [("staff@example.org", "reveal_reporter", "alert #2", REASON)]
