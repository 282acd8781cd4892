"""The pulse's console pages: the access table (every role × a district in and out of its scope), the list of
districts, and one district's page: charts as images, "trop peu de réponses" instead of numbers, hostile names
escaped, roadmap progress counted."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.models import RoadmapItem
from gateway.pulse.results import week_label
from tests.gateway.pulse.factory import answers, district, leaders, pulse_round
from tests.staff_users import ROLES, SEES, logged_in

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def rounds(runtime, directory) -> str:
    """This week in KORO: Bondo school (3 of 4 answered: shown), Yoro health (1 of 3: too few), a commune with a
    hostile name; last week Bondo school too. MACINA/Kokry water. Two KORO roadmap items, one overdue."""
    week = week_label(datetime.now(ZoneInfo("Africa/Bamako")).date())
    with runtime.db.transaction() as db:
        koro, macina = district(db, "KORO"), district(db, "MACINA")
        bondo, yoro, bad = leaders(db, koro, "Bondo", 4), leaders(db, koro, "Yoro", 3), leaders(db, koro, HOSTILE, 3)
        kokry = leaders(db, macina, "Kokry", 3)
        answers(db, pulse_round(db, koro, "Bondo", week, ["school"], bondo), bondo, ["1", "2", "3"])
        answers(db, pulse_round(db, koro, "Yoro", week, ["health"], yoro), yoro, ["2"])
        answers(db, pulse_round(db, koro, HOSTILE, week, ["market"], bad), bad, ["1", "1", "1"])
        answers(db, pulse_round(db, macina, "Kokry", week, ["water"], kokry), kokry, ["1", "1", "1"])
        for n, (due, status) in enumerate(((date(2020, 1, 1), "planned"), (date(2099, 1, 1), "done"))):
            db.add(RoadmapItem(natural_key=f"test-{n}", district_id=koro.id, commune="Bondo", service="school",
                               commitment="Réouverture", due=due, status=status))  # fmt: skip
    return week


ROUTES = {"page": "/console/pulse/{code}", "png": "/console/pulse/{code}/progress.png"}
CASES = [(route, role, code) for route in ROUTES for role in ROLES for code in ("KORO", "MACINA")]


@pytest.mark.parametrize(("route", "role", "code"), CASES, ids=["-".join(c) for c in CASES])
def test_district_routes_access(runtime, app, rounds, route, role, code):
    client = logged_in(runtime, app, role)
    response = client.get(ROUTES[route].format(code=code.lower()))
    assert response.status_code == (200 if code in SEES[role] else 404)
    if response.status_code == 200 and route == "png":
        assert response.mimetype == "image/png" and response.data[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'filename="{code.lower()}-progress-{rounds}.png"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("kind", ["multiples", "rate"])
def test_each_chart_downloads_as_png_and_unknown_ones_are_404(runtime, app, rounds, kind):
    client = logged_in(runtime, app, "coord_mopti")
    page = client.get("/console/pulse/KORO").get_data(as_text=True)
    assert f'href="/console/pulse/KORO/{kind}.png"' in page
    png = client.get(f"/console/pulse/KORO/{kind}.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n" and len(png.data) > 5000
    assert client.get("/console/pulse/KORO/secret.png").status_code == 404


@pytest.mark.parametrize("role", list(ROLES))
def test_the_list_shows_the_scope_and_the_menu_links_it(runtime, app, rounds, role):
    client = logged_in(runtime, app, role)
    page = client.get("/console/pulse").get_data(as_text=True)
    listed = set(re.findall(r'<tr data-district="([A-Z]+)"', page))
    assert {"KORO", "MACINA"} & listed == SEES[role]
    if role.startswith(("fac_", "officer_")):
        assert len(listed) == 1
    assert 'href="/console/pulse"' in page and "Pouls des services" in page


def _images(page: str) -> list[str]:
    return [base64.b64decode(uri).decode() for uri in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]


def test_district_page_withholds_small_counts_and_escapes_names(runtime, app, rounds):
    page = logged_in(runtime, app, "observer").get("/console/pulse/KORO").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-commune="([^"]+)" data-service="[a-z]+" class="([a-z-]+)"', page))
    assert rows == {"Bondo": "shown", "Yoro": "too-few", "&lt;script&gt;alert(1)&lt;/script&gt;": "shown"}
    yoro = page.split('data-commune="Yoro"')[1].split("</tr>")[0]
    assert "trop peu de réponses" in yoro and "fermé" not in yoro and "sans réponse" not in yoro
    bondo = page.split('data-commune="Bondo"')[1].split("</tr>")[0]
    assert "1 ouvert · 1 fermé · 1 partiel · 1 sans réponse" in bondo and "75 %" in bondo
    assert HOSTILE not in page
    multiples, rate, progress = _images(page)
    for svg in (multiples, rate, progress):
        ET.fromstring(svg)
    assert "Bondo · école" in multiples and "Yoro · santé" in multiples and "&lt;script&gt;" in multiples
    assert "<script" not in multiples and "Taux de réponse" in rate and "en retard" in progress
    assert 'data-status="overdue">en retard : 1<' in page and 'data-status="done">réalisé : 1<' in page


def test_english_page(runtime, app, rounds):
    page = logged_in(runtime, app, "fac_koro").get("/console/pulse/KORO?lang=en").get_data(as_text=True)
    assert "too few answers" in page and "1 open · 1 closed · 1 partial · 1 no answer" in page
    assert "Bondo · school" in _images(page)[0]


def test_unknown_district_is_404(runtime, app, rounds):
    assert logged_in(runtime, app, "admin").get("/console/pulse/NOWHERE").status_code == 404


def test_charts_follow_new_answers(runtime, app, rounds):
    client = logged_in(runtime, app, "fac_koro")
    before = client.get("/console/pulse/KORO").get_data(as_text=True)
    assert _images(before) == _images(client.get("/console/pulse/KORO").get_data(as_text=True)), "same data"
    with runtime.db.transaction() as db:
        koro = district(db, "KORO")
        more = leaders(db, koro, "Yoro", 3)
        answers(db, pulse_round(db, koro, "Yoro", rounds, ["health"], more), more, ["1", "1", "1"])
    after = client.get("/console/pulse/KORO").get_data(as_text=True)
    assert _images(after)[0] != _images(before)[0]
    yoro = after.split('data-commune="Yoro"')[1].split("</tr>")[0]
    assert "3 ouvert · 0 fermé · 0 partiel · 0 sans réponse" in yoro
