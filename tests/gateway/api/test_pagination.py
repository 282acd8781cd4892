"""Listing alerts a page at a time: newest first, each alert once, filters carried by the cursor, and a cursor
that was not given by the API refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from gateway.alerts.records import new_alert
from gateway.models import Alert, AlertSource, Contact, District
from tests.gateway.api.conftest import assert_error


@pytest.fixture
def many(runtime, directory) -> dict[str, list[int]]:
    """Seven reports from KORO leaders (two of them urgent) and two from MACINA, one a day over nine days:
    district → refs, oldest first."""
    refs: dict[str, list[int]] = {"KORO": [], "MACINA": []}
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    with runtime.db.transaction() as session:
        for district, count in (("KORO", 7), ("MACINA", 2)):
            leaders = session.scalars(
                select(Contact).join(District).where(District.code == district, Contact.role == "leader").limit(count)
            ).all()
            for n, leader in enumerate(leaders):
                alert = new_alert(session, leader, "console", AlertSource.FREETEXT, description=f"report {n}")
                alert.severity = 3 if n in (1, 4) else None
                refs[district].append(alert.id)
        for day, ref in enumerate(sorted(refs["KORO"] + refs["MACINA"])):
            session.execute(update(Alert).where(Alert.id == ref).values(created_at=start + timedelta(days=day)))
    return refs


def pages(api, who: str, query: str) -> list[list[int]]:
    """Follow `next` from the first page to the last: the refs of each page."""
    out, url = [], f"/alerts?{query}"
    while url:
        response = api("GET", url, who)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        out.append([a["ref"] for a in body["alerts"]])
        url = f"/alerts?cursor={body['next']}" if body["next"] else None
        assert len(out) < 20, "pagination ends"
    return out


def test_three_pages_newest_first_each_alert_once(api, staff, many):
    every = sorted(many["KORO"] + many["MACINA"], reverse=True)
    assert pages(api, "admin", "limit=4") == [every[0:4], every[4:8], every[8:9]]


def test_the_cursor_keeps_the_scope_and_the_filters(api, staff, many):
    koro = sorted(many["KORO"], reverse=True)
    assert pages(api, "fac_koro", "limit=3") == [koro[0:3], koro[3:6], koro[6:7]]
    urgent = [r for r in koro if r in (many["KORO"][1], many["KORO"][4])]
    assert pages(api, "admin", "district=koro&severity=3&limit=1") == [[urgent[0]], [urgent[1]]]


def test_since_takes_a_date_or_a_moment(api, staff, many):
    every = sorted(many["KORO"] + many["MACINA"], reverse=True)
    assert pages(api, "admin", "since=2025-03-07") == [every[0:3]]
    assert pages(api, "admin", "since=2025-03-06T10:00:00%2B00:00&limit=2") == [every[0:2], every[2:3]]
    assert pages(api, "admin", "since=2025-03-09T09:00:00") == [every[0:1]], "no zone: UTC"
    assert pages(api, "admin", "since=2025-03-09T10:00:00+01:00") == [every[0:1]], "a + left unencoded"


def test_a_cursor_cannot_be_forged_or_edited(api, staff, many):
    first = api("GET", "/alerts?limit=2&district=MACINA", "admin").get_json()
    assert first["next"] is None
    first = api("GET", "/alerts?limit=2", "admin").get_json()
    cursor = first["next"]
    payload, _, signature = cursor.partition(".")
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    for bad in (tampered, cursor[:-3], cursor + "x", "e30.AAAA", ""):
        assert_error(api("GET", f"/alerts?cursor={bad}", "admin"), 400, "bad_cursor")


def test_a_cursor_of_another_user_shows_only_the_callers_scope(api, staff, many):
    cursor = api("GET", "/alerts?limit=1", "admin").get_json()["next"]
    refs = [a["ref"] for a in api("GET", f"/alerts?cursor={cursor}", "fac_macina").get_json()["alerts"]]
    assert refs and set(refs) <= set(many["MACINA"])
