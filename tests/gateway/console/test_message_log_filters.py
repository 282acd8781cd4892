"""The message log's filters (channel, direction, status, kind, local dates, district, contact), newest first a page
at a time; a bad filter answers 400 with its reason and lists nothing; bodies are escaped text, shortened in the
list, "purged" once retention has redacted them, and a discreet contact's body is shown only on a reveal."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from gateway.models import Contact
from tests.gateway.console.auth_support import audit_rows, csrf_token
from tests.gateway.console.message_log_support import (
    MOPTI_LEADER,
    add_message,
    browser_for,
    contact_by_phone,
    first_leader_of,
)

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def admin(runtime, app, directory):
    """An admin's browser over the sample directory."""
    return browser_for(runtime, app, "admin")


def ids_listed(page: str) -> list[int]:
    """The message ids of the list, in page order."""
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)">', page)]


def test_each_filter_narrows_the_list(runtime, admin):
    mopti, segou = contact_by_phone(runtime, MOPTI_LEADER), first_leader_of(runtime, "SEGOU")
    sms_in = add_message(runtime, "a", mopti, channel="twilio")
    tg_out = add_message(runtime, "b", segou, direction="out", channel="telegram", kind="meeting_notice")
    failed = add_message(runtime, "c", segou, direction="out", channel="android", status="failed", kind="broadcast")
    march = add_message(runtime, "d", mopti, at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    cases = {
        "channel=twilio": [march, sms_in],
        "channel=telegram": [tg_out],
        "direction=out": [failed, tg_out],
        "direction=in": [march, sms_in],
        "status=failed": [failed],
        "kind=meeting_notice": [tg_out],
        "district=segou": [failed, tg_out],  # a district code in any case
        f"contact={mopti.id}": [march, sms_in],
        "since=2026-03-01&until=2026-03-01": [march],  # the whole local day (Africa/Bamako)
        "until=2026-02-28": [],
        "since=2026-03-02&channel=twilio": [sms_in],
        "direction=out&channel=android&status=failed&kind=broadcast": [failed],
    }
    for query, expected in cases.items():
        page = admin.get(f"/console/messages?{query}")
        assert page.status_code == 200, query
        assert ids_listed(page.get_data(as_text=True)) == expected, query


@pytest.mark.parametrize(
    "query, reason",
    [
        ("channel=sms", "Unknown channel."),
        ("direction=both", "Unknown direction"),
        ("status=lost", "Unknown status."),
        ("kind=<b>x</b>", "Unknown message kind."),
        ("since=2026-13-01", "Invalid “since” date"),
        ("until=yesterday", "Invalid “until” date"),
        ("until=9999-12-31", "Invalid “until” date"),
        ("since=2026-03-02&until=2026-03-01", "The “since” date is after the “until” date."),
        ("district=NOWHERE", "Unknown district"),
        ("contact=abc", "Invalid contact number."),
        ("contact=99999999999999999999", "Invalid contact number."),
        ("before=-1", "Invalid page."),
    ],
)
def test_a_bad_filter_answers_400_with_its_reason_and_lists_nothing(runtime, admin, query, reason):
    add_message(runtime, "visible body", contact_by_phone(runtime, MOPTI_LEADER))
    page = admin.get(f"/console/messages?{query}&lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert reason in text
    assert "visible body" not in text and ids_listed(text) == []
    assert "<b>x</b>" not in text


def test_a_coordinator_may_not_filter_on_a_district_outside_its_region(runtime, app, directory):
    coordinator = browser_for(runtime, app, "coordinator", region="Mopti")
    assert coordinator.get("/console/messages?district=SEGOU").status_code == 400
    assert coordinator.get("/console/messages?district=KORO").status_code == 200


def test_a_contact_filter_outside_the_region_lists_nothing(runtime, app, directory):
    segou = first_leader_of(runtime, "SEGOU")
    add_message(runtime, "tension a Segou", segou)
    coordinator = browser_for(runtime, app, "coordinator", region="Mopti")
    page = coordinator.get(f"/console/messages?contact={segou.id}")
    assert page.status_code == 200 and "tension a Segou" not in page.get_data(as_text=True)


def test_bodies_are_escaped_text_shortened_in_the_list(runtime, admin):
    mopti = contact_by_phone(runtime, MOPTI_LEADER)
    hostile = add_message(runtime, SCRIPT, mopti)
    long = add_message(runtime, "mot " * 100, mopti)
    page = admin.get("/console/messages").get_data(as_text=True)
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert ("mot " * 29).strip() in page and ("mot " * 40) not in page and "…" in page
    one = admin.get(f"/console/messages/{hostile}").get_data(as_text=True)
    assert SCRIPT not in one and "&lt;script&gt;alert(1)&lt;/script&gt;" in one
    assert ("mot " * 100).strip() in unescape(admin.get(f"/console/messages/{long}").get_data(as_text=True))


def test_a_purged_body_shows_as_purged(runtime, admin):
    purged = add_message(runtime, "secret", contact_by_phone(runtime, MOPTI_LEADER), purged=True)
    page = admin.get("/console/messages?lang=en").get_data(as_text=True)
    assert "purged (retention)" in page
    assert "purged (retention)" in admin.get(f"/console/messages/{purged}?lang=en").get_data(as_text=True)


def test_a_discreet_contacts_body_is_shown_only_on_a_reveal(runtime, admin):
    with runtime.db.sessions() as db:
        discreet = next(c for c in db.query(Contact).order_by(Contact.id) if c.discreet)
        db.expunge_all()
    message_id = add_message(runtime, "ils menacent ma famille", discreet, address=discreet.phone)
    page = admin.get("/console/messages?lang=en").get_data(as_text=True)
    assert "ils menacent ma famille" not in page and "discreet contact" in page
    assert "ils menacent ma famille" not in admin.get(f"/console/messages/{message_id}").get_data(as_text=True)
    token = csrf_token(admin, f"/console/messages/{message_id}")
    shown = admin.post(f"/console/messages/{message_id}/reveal", data={"csrf_token": token, "reason": "suivi"})
    assert "ils menacent ma famille" in shown.get_data(as_text=True)
    assert len(audit_rows(runtime, "reveal_message")) == 1


def test_newest_first_a_page_at_a_time(runtime, admin):
    mopti = contact_by_phone(runtime, MOPTI_LEADER)
    ids = [add_message(runtime, f"message {n}", mopti) for n in range(55)]
    first = admin.get("/console/messages").get_data(as_text=True)
    assert ids_listed(first) == ids[::-1][:50]
    link = unescape(re.search(r'<p class="pager"><a href="([^"]+)"', first).group(1))
    second = admin.get(link).get_data(as_text=True)
    assert ids_listed(second) == ids[::-1][50:]
    assert 'class="pager"' not in second
    filtered = admin.get("/console/messages?direction=in&channel=twilio").get_data(as_text=True)
    assert "direction=in" in unescape(re.search(r'<p class="pager"><a href="([^"]+)"', filtered).group(1))


def test_a_senders_masked_name_links_to_that_contacts_messages(runtime, admin):
    mopti, segou = contact_by_phone(runtime, MOPTI_LEADER), first_leader_of(runtime, "SEGOU")
    mine = add_message(runtime, "a", mopti)
    add_message(runtime, "b", segou)
    page = admin.get("/console/messages").get_data(as_text=True)
    link = unescape(re.search(rf'<tr data-id="{mine}">.*?<td class="who"><a href="([^"]+)"', page, re.S).group(1))
    assert link == f"/console/messages?contact={mopti.id}"
    assert ids_listed(admin.get(link).get_data(as_text=True)) == [mine]
