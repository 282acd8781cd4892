"""The district charts: SVG that parses as XML with hostile names escaped and mathtext off, no date (the same bytes
twice), PNG of the expected pixel size, hatched gaps where too few answered, and a message when there is nothing."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from gateway.pulse.results import ServiceWeek, week_window
from gateway.reports import charts
from gateway.reports.output import png_bytes, svg_data_uri, svg_text

WEEKS = week_window(date(2026, 12, 7), 12)
HOSTILE = "<script>alert(1)</script>"
SVG = "{http://www.w3.org/2000/svg}"


def row(commune: str, service: str, week: str, counts: tuple[int, int, int] | None, round_id: int = 1) -> ServiceWeek:
    """A results row: counts (open, closed, partial) of five leaders asked, or None for too few answers."""
    if counts is None:
        return ServiceWeek("KORO", commune, service, round_id, week, None, None, None, None, 0.4, True)
    opened, closed, partial = counts
    answered = opened + closed + partial
    return ServiceWeek("KORO", commune, service, round_id, week, opened, closed, partial, 5 - answered,
                       answered / 5, False)  # fmt: skip


@pytest.fixture
def rows() -> list[ServiceWeek]:
    """Bondo (school: nine weeks told, two too few; health: one week), a hostile name, and one with `$`."""
    out = [row("Bondo", "school", w, (3, 1, 0) if i % 4 else None, i) for i, w in enumerate(WEEKS[1:10], 1)]
    out += [row("Bondo", "health", WEEKS[-1], (1, 1, 1), 50), row(HOSTILE, "market", WEEKS[-1], (4, 0, 0), 51)]
    return out + [row("Sio $x^2$ é", "water", WEEKS[-2], (0, 3, 0), 52)]


def texts(svg: str) -> list[str]:
    """Every text the SVG shows (its <text> elements, tspans included)."""
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_multiples_svg_escapes_names_and_keeps_accents(rows):
    svg = svg_text(charts.service_multiples(rows, WEEKS))
    root = ET.fromstring(svg)  # well-formed XML, a hostile name included
    assert not [e for e in root.iter() if e.tag.split("}")[-1].lower() in {"script", "foreignobject"}]
    shown = texts(svg)
    assert f"{HOSTILE} · marché" in shown and "<script>" not in svg
    assert "Sio $x^2$ é · eau" in shown, "a dollar is a dollar, accents are kept"
    assert {"Bondo · école", "Bondo · santé", "ouvert", "fermé", "trop peu de réponses"} <= set(shown)
    assert "dc:date" not in svg and svg == svg_text(charts.service_multiples(rows, WEEKS)), "reproducible"
    assert svg_data_uri(svg).startswith("data:image/svg+xml;base64,")


def test_too_few_weeks_are_hatched_gaps(rows):
    figure = charts.service_multiples(rows, WEEKS)
    school = next(ax for ax in figure.axes if ax.get_title(loc="left") == "Bondo · école")
    hatched = [p for p in school.patches if p.get_hatch()]
    assert len(hatched) == 2 and all(p.get_height() == 1 for p in hatched)
    # Seven weeks told, open and closed each a bar (partial 0 is drawn with no height): the numbers never show.
    assert not school.texts and len([p for p in school.patches if not p.get_hatch() and p.get_height() > 0]) == 14


def test_png_has_the_signature_and_the_expected_size(rows):
    figure = charts.service_multiples(rows, WEEKS)
    png = png_bytes(figure, dpi=100)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    columns, communes = 2, 3  # Bondo has two services; three communes
    expected = (round((charts.PANEL_WIDTH * columns + 0.3) * 100), round((charts.PANEL_HEIGHT * communes + 0.6) * 100))
    assert (width, height) == expected


def test_response_rate_and_progress(rows):
    rate = svg_text(charts.response_rate(rows, WEEKS))
    assert {"Taux de réponse", "Bondo", HOSTILE, "W50"} <= set(texts(rate))
    progress = charts.roadmap_progress({"done": 3, "in_progress": 2, "stalled": 1, "overdue": 4, "planned": 0})
    shown = texts(svg_text(progress))
    assert {"réalisé", "en cours", "bloqué", "en retard", "3", "4"} <= set(shown)


def test_nothing_to_draw_says_so():
    for figure in (charts.service_multiples([], WEEKS), charts.response_rate([], WEEKS), charts.roadmap_progress({})):
        assert "Aucune donnée pour ces semaines" in texts(svg_text(figure))


def test_long_and_control_character_names_are_cleaned():
    assert charts.clean("Bon\x1bdo\x00") == "Bondo"
    assert charts.clean("x" * 50, 10) == "x" * 9 + "…"
