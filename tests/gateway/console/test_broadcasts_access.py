"""Who sees which broadcast pages: the list and a broadcast's page by scope (another district's broadcast is 404,
like an unknown one), the composer for convener roles only, retry for convener roles of the scope, the text never
for the observer."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from gateway.models import Message, MessageStatus
from tests.gateway.broadcasts.support import browser, compose_form, csrf_of, footprint, sent

# account → can it see the KORO broadcast, the MACINA broadcast; may it compose and retry.
SEES = {
    "admin": (True, True, True),
    "coord_mopti": (True, False, True),
    "coord_segou": (False, True, True),
    "fac_koro": (True, False, True),
    "fac_macina": (False, True, True),
    "officer_koro": (True, False, False),
    "observer": (True, True, False),
}
TEXT_KORO = "Paix à Koro : réunion demain"
TEXT_MACINA = "Paix à Macina : réunion demain"


@pytest.fixture
def two_broadcasts(runtime, directory) -> dict[str, int]:
    """One broadcast of KORO (by its facilitator) and one of MACINA (by the Ségou coordinator)."""
    return {
        "KORO": sent(runtime, "fac_koro", text=TEXT_KORO),
        "MACINA": sent(runtime, "coord_segou", text=TEXT_MACINA, district="MACINA"),
    }


@pytest.mark.parametrize("who", list(SEES))
def test_pages_by_scope(runtime, app, two_broadcasts, who):
    sees_koro, sees_macina, convenes = SEES[who]
    client = browser(runtime, app, who)
    listing = client.get("/console/broadcasts")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    for district, visible in (("KORO", sees_koro), ("MACINA", sees_macina)):
        ref = two_broadcasts[district]
        assert (f'data-broadcast="{ref}"' in page) is visible
        one = client.get(f"/console/broadcasts/{ref}")
        assert one.status_code == (200 if visible else 404)
        assert client.get(f"/console/deliveries/{ref}").status_code == (200 if visible else 404)
        if visible:
            text = one.get_data(as_text=True)
            assert (TEXT_KORO in text or TEXT_MACINA in text) is (who != "observer"), "the observer reads no text"
            assert 'data-count="queued"' in text
    assert "Paix à" not in page if who == "observer" else True
    assert client.get("/console/broadcasts/new").status_code == (200 if convenes else 403)
    assert ('id="broadcast-compose"' in page) is convenes
    assert client.get("/console/broadcasts/999999").status_code == 404


@pytest.mark.parametrize("who", list(SEES))
def test_retry_by_scope_and_role(runtime, app, two_broadcasts, who):
    sees_koro, _, convenes = SEES[who]
    client = browser(runtime, app, who)
    token = csrf_of(client, "/console/broadcasts")
    before = footprint(runtime)
    answer = client.post(f"/console/broadcasts/{two_broadcasts['KORO']}/retry", data={"csrf_token": token})
    if not sees_koro:
        assert answer.status_code == 404
    elif not convenes:
        assert answer.status_code == 403
    else:
        assert answer.status_code == 302
        assert footprint(runtime)["AuditEntry"] == before["AuditEntry"] + 1  # the retry (of nothing) is audited
        return
    assert footprint(runtime) == before


def test_a_retry_without_its_csrf_token_changes_nothing(runtime, app, two_broadcasts):
    client = browser(runtime, app, "fac_koro")
    before = footprint(runtime)
    assert client.post(f"/console/broadcasts/{two_broadcasts['KORO']}/retry").status_code in (400, 403)
    assert footprint(runtime) == before


def test_the_menu_links_the_list(runtime, app, two_broadcasts):
    client = browser(runtime, app, "fac_koro")
    assert 'href="/console/broadcasts"' in client.get("/console/").get_data(as_text=True)


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_text_and_filters_are_escaped(runtime, app, directory):
    ref = sent(runtime, "admin", text=HOSTILE, commune="yoro")
    client = browser(runtime, app, "admin")
    for path in ("/console/broadcasts", f"/console/broadcasts/{ref}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert" in page
    preview_form = {"text": HOSTILE, "commune": '"><b>x</b>'}
    answer = client.post("/console/broadcasts/preview", data={**compose_form(client), **preview_form})
    assert answer.status_code == 422 and "<b>x</b>" not in answer.get_data(as_text=True)


def test_bars_of_the_list_stop_polling_once_nothing_is_queued(runtime, app, two_broadcasts):
    client = browser(runtime, app, "fac_koro")
    ref = two_broadcasts["KORO"]
    bar = f'hx-get="/console/deliveries/{ref}'
    assert bar in client.get("/console/broadcasts").get_data(as_text=True), "still queued: the bar follows it"
    with runtime.db.transaction() as session:
        session.execute(update(Message).where(Message.broadcast_id == ref).values(status=MessageStatus.SENT))
    listing = client.get("/console/broadcasts").get_data(as_text=True)
    assert bar not in listing and 'data-count="sent">' in listing, "only sent: the list stops polling"
    assert bar in client.get(f"/console/broadcasts/{ref}").get_data(as_text=True), "its page waits for receipts"
    assert bar not in client.get(f"/console/deliveries/{ref}?follow=queued").get_data(as_text=True)
