"""The inbox and the alert page through the Flask test client: what each role sees of which district, the order
(urgent first, then newest), the filters, the counts, the polled fragment, and untrusted text shown escaped."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.models import Alert, AlertStatus, Notification
from tests.gateway.console.desk_support import alert_row, leader_of, log_in, make_user, report

URGENT = "ALERTE 3 les jeunes et les gendarmes se disputent au marche"
TENSION = "ALERTE 2 dispute autour d'un champ detruit par des animaux"
INFORMATION = "ALERTE 1 des etrangers sont passes au village ce matin"
HOSTILE = "<script>alert(1)</script> au marche"


def refs_listed(page: bytes) -> list[int]:
    """The references in the inbox's rows, in their order."""
    return [int(ref) for ref in re.findall(r'data-ref="(\d+)"', page.decode())]


@pytest.fixture
def koro_facilitator(runtime, client, directory):
    """A client logged in as a facilitator of KORO."""
    log_in(client, make_user(runtime, "awa@example.org", "facilitator", district="KORO"))
    return client


def test_a_district_role_sees_its_district_only_and_another_district_is_not_found(runtime, koro_facilitator):
    koro = report(runtime, "KORO", URGENT)
    macina = report(runtime, "MACINA", URGENT)

    inbox = koro_facilitator.get("/console/")
    assert inbox.status_code == 200
    assert refs_listed(inbox.data) == [koro]
    assert f"#{koro}".encode() in inbox.data and f"#{macina}<".encode() not in inbox.data

    out_of_scope = koro_facilitator.get(f"/console/alerts/{macina}")
    unknown = koro_facilitator.get("/console/alerts/99999")
    assert out_of_scope.status_code == unknown.status_code == 404
    assert out_of_scope.data == unknown.data  # nothing tells an alert of another district from no alert
    assert koro_facilitator.get("/console/alerts/abc").status_code == 404
    assert koro_facilitator.get(f"/console/alerts/{koro}").status_code == 200
    # A filter naming another district is refused, not obeyed.
    refused = koro_facilitator.get("/console/?district=MACINA")
    assert refused.status_code == 400 and refs_listed(refused.data) == [koro]


def test_a_coordinator_sees_the_districts_of_its_region(runtime, client, directory):
    koro, macina = report(runtime, "KORO", URGENT), report(runtime, "MACINA", URGENT)
    log_in(client, make_user(runtime, "coord@example.org", "coordinator", region="segou"))
    assert refs_listed(client.get("/console/").data) == [macina]
    assert client.get(f"/console/alerts/{koro}").status_code == 404


def test_most_serious_first_then_newest_with_counts_and_filters(runtime, koro_facilitator):
    tension = report(runtime, "KORO", TENSION)
    urgent = report(runtime, "KORO", URGENT)
    untriaged = report(runtime, "KORO", "il y a du bruit vers le puits depuis hier soir")
    assert alert_row(runtime, untriaged).category is None

    page = koro_facilitator.get("/console/")
    assert refs_listed(page.data) == [urgent, tension, untriaged]
    assert b'data-status="new">3<' in page.data

    assert refs_listed(koro_facilitator.get("/console/?severity=3").data) == [urgent]
    assert refs_listed(koro_facilitator.get("/console/?category=none&severity=none").data) == [untriaged]
    assert refs_listed(koro_facilitator.get("/console/?channel=telegram").data) == []
    assert refs_listed(koro_facilitator.get("/console/?since=2000-01-01&until=2000-01-02").data) == []
    assert koro_facilitator.get("/console/?since=yesterday").status_code == 400
    assert koro_facilitator.get("/console/?status=gone").status_code == 400

    with runtime.db.transaction() as session:  # closed elsewhere (an officer's SMS): off the default list
        session.get(Alert, tension).status = AlertStatus.RESOLVED
    assert refs_listed(koro_facilitator.get("/console/").data) == [urgent, untriaged]
    assert refs_listed(koro_facilitator.get("/console/?status=closed").data) == [tension]
    assert b'data-status="resolved">1<' in koro_facilitator.get("/console/").data


def test_severity_3_2_1_then_unknown_and_newest_first_within_each(runtime, koro_facilitator):
    info = report(runtime, "KORO", INFORMATION)
    unknown = report(runtime, "KORO", "il y a du bruit vers le puits depuis hier soir")
    tension = report(runtime, "KORO", TENSION)
    urgent = report(runtime, "KORO", URGENT)
    later_info = report(runtime, "KORO", INFORMATION)
    later_tension = report(runtime, "KORO", TENSION)
    assert alert_row(runtime, unknown).severity is None and alert_row(runtime, info).severity == 1
    listed = refs_listed(koro_facilitator.get("/console/").data)
    assert listed == [urgent, later_tension, tension, later_info, info, unknown]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2024-02-30"])
@pytest.mark.parametrize("name", ["since", "until"])
def test_a_date_out_of_range_shows_the_inbox_with_the_filter_error(runtime, koro_facilitator, name, day):
    urgent = report(runtime, "KORO", URGENT)
    page = koro_facilitator.get(f"/console/?{name}={day}", headers={"Accept-Language": "en"})
    expected = 200 if day == "0001-01-01" else 400  # the first day there is is a date like any other
    assert page.status_code == expected
    assert refs_listed(page.data) == ([] if (name, day) == ("until", "0001-01-01") else [urgent])
    assert (b"Invalid date (YYYY-MM-DD)." in page.data) == (expected == 400)


def test_the_list_polls_itself_and_shows_a_new_alert(runtime, koro_facilitator):
    page = koro_facilitator.get("/console/?severity=3")
    assert b'hx-trigger="every 10s"' in page.data
    poll_url = re.search(r'hx-get="([^"]+)"', page.data.decode()).group(1).replace("&amp;", "&")
    assert poll_url == "/console/rows?status=open&severity=3"  # the poll keeps the filters

    assert refs_listed(koro_facilitator.get(poll_url).data) == []
    urgent = report(runtime, "KORO", URGENT)
    fragment = koro_facilitator.get(poll_url)
    assert fragment.status_code == 200 and refs_listed(fragment.data) == [urgent]
    assert b"<html" not in fragment.data and b'id="desk-list"' in fragment.data


def test_without_a_session_the_page_asks_for_a_login(client, runtime):
    assert client.get("/console/").status_code == 302
    polled = client.get("/console/rows", headers={"HX-Request": "true"})
    assert polled.status_code == 401 and polled.headers["HX-Redirect"].startswith("/console/login")


def test_hostile_text_is_shown_escaped(runtime, koro_facilitator):
    ref = report(runtime, "KORO", HOSTILE)
    for page in (koro_facilitator.get("/console/"), koro_facilitator.get(f"/console/alerts/{ref}")):
        assert b"<script>alert(1)</script>" not in page.data
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.data
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_observer_sees_counts_and_categories_never_bodies_nor_identities(runtime, client, directory):
    ref = report(runtime, "KORO", URGENT)
    leader = leader_of(runtime, "KORO")
    log_in(client, make_user(runtime, "donor@example.org", "observer"))

    inbox = client.get("/console/")
    assert refs_listed(inbox.data) == [ref] and b'data-status="new">1<' in inbox.data
    page = client.get(f"/console/alerts/{ref}")
    assert page.status_code == 200
    for secret in ("gendarmes", leader.phone, leader.phone[-8:], leader.name):
        assert secret.encode() not in inbox.data and secret.encode() not in page.data
    with runtime.db.transaction() as session:
        paged = [n.officer.name for n in session.scalars(select(Notification).where(Notification.alert_id == ref))]
    assert paged and not any(name.encode() in page.data for name in paged)  # nor the names of the officers paged
    assert b"/reveal" not in page.data and b'name="csrf_token" value' in page.data  # logout form only
    assert b"action-take" not in page.data and b"form-reply" not in page.data


def test_the_alert_page_in_english(runtime, koro_facilitator):
    ref = report(runtime, "KORO", URGENT)
    page = koro_facilitator.get(f"/console/alerts/{ref}?lang=en")
    assert b"Escalation" in page.data and b"a leader of Koro" in page.data
