"""The broadcasts API: POST /api/v1/broadcasts by role and scope (202 with the numbers the console's preview
shows), GET /api/v1/broadcasts/<id> (delivery counts; 404 out of scope like an unknown id; no text for the
observer), the listing with its cursor, and bad input with the nested error and nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.broadcasts import service
from gateway.messaging.sms_text import count_segments
from gateway.models import Broadcast, Message, MessageStatus
from tests.gateway.api.conftest import assert_error
from tests.gateway.broadcasts.support import footprint
from tests.staff_users import ROLES, scope_of

TEXT = "Réunion de paix samedi à 10h à la mairie"
CONVENERS = {"admin", "coord_mopti", "coord_segou", "fac_koro", "fac_macina"}


@pytest.mark.parametrize("who", list(ROLES))
def test_post_to_koro_by_role_and_scope(runtime, api, who):
    before = footprint(runtime)
    answer = api("POST", "/broadcasts", who, {"text": TEXT, "district": "KORO"})
    if who in ("officer_koro", "observer"):
        assert_error(answer, 403)
    elif who in ("coord_segou", "fac_macina"):
        assert_error(answer, 403, "out_of_scope")
    else:
        assert answer.status_code == 202, answer.get_json()
        body = answer.get_json()
        assert set(body) == {"id", "recipients", "segments"}
        with runtime.db.sessions() as session:
            broadcast = session.get(Broadcast, body["id"])
            rows = list(session.scalars(select(Message).where(Message.broadcast_id == body["id"])))
            sms = [m for m in rows if m.status == MessageStatus.QUEUED and m.channel != "telegram"]
        assert body["recipients"] == broadcast.recipients == len(rows) > 0
        assert body["segments"] == broadcast.segments == sum(count_segments(m.body).segments for m in sms)
        with runtime.db.sessions() as session:
            shown = service.preview(session, runtime, scope_of(runtime, "admin"), {"text": TEXT, "district": "KORO"})
        assert (shown.recipients, shown.estimate.segments_total) == (body["recipients"], body["segments"])
        return
    assert footprint(runtime) == before


@pytest.fixture
def koro_broadcast(runtime, staff) -> int:
    with runtime.db.transaction() as session:
        broadcast, _ = service.send(session, runtime, scope_of(runtime, "fac_koro"), {"text": TEXT})
        return broadcast.id


SEES_KORO = {"admin", "coord_mopti", "fac_koro", "officer_koro", "observer"}


@pytest.mark.parametrize("who", list(ROLES))
def test_get_by_scope(api, koro_broadcast, who):
    answer = api("GET", f"/broadcasts/{koro_broadcast}", who)
    listing = api("GET", "/broadcasts", who).get_json()
    if who not in SEES_KORO:
        assert_error(answer, 404, "not_found")
        assert listing == {"broadcasts": [], "next": None}
        return
    body = answer.get_json()
    assert answer.status_code == 200 and body["id"] == koro_broadcast and body["district"] == "KORO"
    assert set(body["status"]) == {"queued", "sent", "delivered", "failed"}
    assert sum(body["status"].values()) == body["recipients"] > 0 and body["status"]["queued"] > 0
    assert body["text"] == (None if who == "observer" else TEXT)
    assert [b["id"] for b in listing["broadcasts"]] == [koro_broadcast]


def test_unknown_and_malformed_ids_are_404(api, koro_broadcast):
    for path in ("/broadcasts/999999", "/broadcasts/abc", "/broadcasts/99999999999999999999"):
        assert_error(api("GET", path, "admin"), 404, "not_found")
    assert_error(api("GET", f"/broadcasts/{koro_broadcast}"), 401)


def test_the_listing_pages_with_a_cursor(runtime, api, staff):
    ids = []
    for text in ("un", "deux", "trois"):
        with runtime.db.transaction() as session:
            ids.append(service.send(session, runtime, scope_of(runtime, "fac_koro"), {"text": text})[0].id)
    first = api("GET", "/broadcasts?limit=2", "admin").get_json()
    assert [b["id"] for b in first["broadcasts"]] == ids[::-1][:2] and first["next"]
    second = api("GET", f"/broadcasts?limit=2&cursor={first['next']}", "admin").get_json()
    assert [b["id"] for b in second["broadcasts"]] == ids[:1] and second["next"] is None
    assert_error(api("GET", "/broadcasts?cursor=forged", "admin"), 400, "bad_cursor")
    assert_error(api("GET", "/broadcasts?limit=0", "admin"), 422)


# (label, who, how the body is sent, status, code)
BAD = [
    ("empty text", "admin", {"json": {"text": "  "}}, 422, "empty_text"),
    ("no text", "admin", {"json": {"district": "KORO"}}, 422, "empty_text"),
    ("text not a text", "admin", {"json": {"text": 12}}, 422, "bad_field"),
    ("too long", "admin", {"json": {"text": "a" * 460}}, 422, "too_long"),
    ("unknown district", "admin", {"json": {"text": "Bonjour", "district": "NOWHERE"}}, 422, "unknown_district"),
    ("unknown region", "admin", {"json": {"text": "Bonjour", "region": "Kayes"}}, 422, "unknown_region"),
    ("unknown commune", "admin", {"json": {"text": "Bonjour", "commune": "Atlantis"}}, 422, "unknown_commune"),
    ("unknown role", "admin", {"json": {"text": "Bonjour", "role": "chief"}}, 422, "unknown_role"),
    ("unknown language", "admin", {"json": {"text": "Bonjour", "language": "de"}}, 422, "unknown_language"),
    ("district not a text", "admin", {"json": {"text": "Bonjour", "district": 3}}, 422, "bad_field"),
    ("zero recipients", "admin", {"json": {"text": "Bonjour", "language": "en"}}, 422, "no_recipients"),
    ("out of scope", "fac_koro", {"json": {"text": "Bonjour", "district": "MACINA"}}, 403, "out_of_scope"),
    ("region out of scope", "coord_mopti", {"json": {"text": "Bonjour", "region": "Ségou"}}, 403, "out_of_scope"),
    ("observer", "observer", {"json": {"text": "Bonjour"}}, 403, None),
    ("officer", "officer_koro", {"json": {"text": "Bonjour"}}, 403, "forbidden"),
    ("form-encoded", "admin", {"data": "text=Bonjour", "content_type": "application/x-www-form-urlencoded"}, 415, None),
    ("not json", "admin", {"data": "{text", "content_type": "application/json"}, 400, "malformed_json"),
    ("json list", "admin", {"data": "[1]", "content_type": "application/json"}, 400, "malformed_json"),
]


@pytest.mark.parametrize(("label", "who", "send", "status", "code"), BAD, ids=[row[0] for row in BAD])
def test_bad_input_answers_the_nested_error_and_writes_nothing(runtime, api, label, who, send, status, code):
    before = footprint(runtime)
    kwargs = dict(send)
    body = kwargs.pop("json", None)
    assert_error(api("POST", "/broadcasts", who, body, **kwargs), status, code)
    assert footprint(runtime) == before
