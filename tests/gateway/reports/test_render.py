"""The bulletin as HTML and PDF: what a coordinator reads (title, changes, the service table with "trop peu de
réponses", overdue commitments, alert counts), never a reporter's name, number or words; names typed by people are
escaped; the PDF's first page renders to a non-blank PNG, its text reads back with the accents, on one or two pages."""

from __future__ import annotations

import html
import re
import subprocess
from datetime import UTC, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from gateway.models import District
from gateway.reports.bulletin import collect
from gateway.reports.render_html import render_html
from gateway.reports.render_pdf import render_pdf
from gateway.reports.scopes import all_scope, district_scope
from gateway.reports.weeks import IsoWeek
from gateway.reports.words import Words, chart_labels, texts
from gateway.roadmaps.items import tracked_services
from tests.gateway.pulse import factory
from tests.gateway.reports.support import HOSTILE, REPORTER_NAME, REPORTER_PHONE, SECRET, WEEK, koro_week
from tests.gateway.reports.support import answers as koro_answers
from tests.gateway.roadmaps.support import import_sample

LEAKS = (REPORTER_NAME, REPORTER_PHONE, REPORTER_PHONE[4:], SECRET, "groupe armé est")


def koro_bulletin(runtime, every: bool = False):
    """Koro's bulletin of week 49 (or all districts')."""
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        scope = all_scope() if every else district_scope(koro)
        return collect(session, scope, WEEK, timezone="Africa/Bamako", min_answers=3)


class Text(HTMLParser):
    """The text a browser shows (no tags, no attributes), and every <script> element."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        """Count scripts: a bulletin has none."""
        self.scripts += tag == "script"

    def handle_data(self, data):
        """Keep the visible text."""
        self.parts.append(data)

    @classmethod
    def of(cls, page: str) -> tuple[str, int]:
        """The page's visible text (spaces folded) and its number of scripts."""
        parser = cls()
        parser.feed(page)
        return " ".join(" ".join(parser.parts).split()), parser.scripts


def pdf_text(tmp_path, content: bytes) -> str:
    """pdftotext of the whole PDF, in reading order, spaces folded."""
    path = tmp_path / "bulletin.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def pdf_pages(tmp_path, content: bytes) -> int:
    """The page count pdfinfo reads."""
    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.fixture
def koro(runtime, directory):
    """Koro's week 49 (tests/gateway/reports/support.py)."""
    return koro_week(runtime)


def test_html_shows_the_week_and_no_reporter(runtime, koro):
    text, scripts = Text.of(render_html(koro_bulletin(runtime)))
    assert "Bulletin hebdomadaire — Koro — semaine 2026-W49" in text
    assert "école — Bondo (Koro) : fermeture signalée" in text
    assert "santé — Bondo (Koro) : retour signalé" in text
    assert "Koro Bondo sécurité 2026-W49 trop peu de réponses" in text, "withheld counts say so, never a number"
    assert "Koro Bondo école 2026-W49 1 0 3 0 100 % en baisse" in text
    assert f"R{koro['late']} Koro Bondo (Bondo) sécurité Poste de gendarmerie de Bondo armé" in text
    assert "forces de sécurité tension 2" in text and "Total : 4" in text
    assert "Taux de réponse au pulse : 100 % (7 leaders sur 7)" in text
    assert scripts == 0
    for leak in LEAKS:
        assert leak not in text, leak


def test_html_inlines_the_chart_and_calls_nothing_outside(runtime, koro):
    page = render_html(koro_bulletin(runtime))
    assert re.search(r'<img class="chart" alt="[^"]+" src="data:image/png;base64,[A-Za-z0-9+/=]{2000,}">', page)
    assert "http://" not in page and "https://" not in page, "a bulletin read offline needs nothing from the web"
    assert "@media print" in page and "@page" in page


def test_names_typed_by_people_are_escaped_in_html(runtime, directory):
    koro_week(runtime, commune=HOSTILE)
    page = render_html(koro_bulletin(runtime))
    assert HOSTILE not in page and html.escape(HOSTILE) in page
    text, scripts = Text.of(page)
    assert scripts == 0 and f"{HOSTILE} (Koro) : fermeture signalée" in text


def test_pdf_reads_back_with_accents_on_one_or_two_pages(runtime, koro, tmp_path):
    content = render_pdf(koro_bulletin(runtime))
    assert content.startswith(b"%PDF")
    text = pdf_text(tmp_path, content)
    assert "Bulletin hebdomadaire — Koro — semaine 2026-W49" in text
    assert "école — Bondo (Koro) : fermeture signalée" in text
    assert "Koro Bondo école 2026-W49 1 0 3 0 100 % en baisse" in text, text
    assert "Koro Bondo sécurité 2026-W49 trop peu de réponses 50 %" in text, "one cell for the withheld counts"
    assert f"R{koro['late']} Koro Bondo sécurité Poste de" in text and "Échéance" in text
    assert "forces de sécurité" in text
    for leak in LEAKS:
        assert leak not in text, leak
    assert 1 <= pdf_pages(tmp_path, content) <= 2


def test_pdf_first_page_renders_to_a_picture(runtime, koro, tmp_path):
    (tmp_path / "bulletin.pdf").write_bytes(render_pdf(koro_bulletin(runtime)))
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(tmp_path / "bulletin.pdf"),
                    str(tmp_path / "page")], check=True, capture_output=True)  # fmt: skip
    [png] = list(tmp_path.glob("page*.png"))
    from matplotlib.image import imread

    pixels = imread(png)
    assert pixels.shape[0] > pixels.shape[1] > 300, "an A4 page, upright"
    ink = (pixels[:, :, :3].mean(axis=2) < 0.5).mean()
    colour = (pixels[:, :, :3].std(axis=2) > 0.15).mean()
    assert ink > 0.01, "the page is blank"
    assert colour > 0.005, "the chart's colours are missing"


def test_names_typed_by_people_are_text_in_the_pdf(runtime, directory, tmp_path):
    koro_week(runtime, commune=HOSTILE)
    text = pdf_text(tmp_path, render_pdf(koro_bulletin(runtime)))
    assert f"{HOSTILE} (Koro) : fermeture signalée" in text


def test_all_districts_pdf_names_each_district(runtime, koro, tmp_path):
    text = pdf_text(tmp_path, render_pdf(koro_bulletin(runtime, every=True)))
    assert "Bulletin hebdomadaire — Tous les cercles — semaine 2026-W49" in text
    assert "École de Konna" in text and "Total : 5" in text


def test_both_languages_have_the_same_texts():
    french, english = texts("fr"), texts("en")
    assert set(french) == set(english)
    for key, value in french.items():
        assert set(re.findall(r"{(\w+)}", value)) == set(re.findall(r"{(\w+)}", english[key])), key


def test_english_bulletin(runtime, koro):
    text, _ = Text.of(render_html(koro_bulletin(runtime), language="en"))
    assert "Weekly bulletin — Koro — week 2026-W49" in text and "reported closed" in text and "too few answers" in text
    labels = chart_labels(Words("en"))
    assert (labels.open, labels.too_few, labels.services["health"]) == ("open", "too few answers", "health")
    assert chart_labels(Words("fr")).services["health"] == "santé"


def twelve_weeks_of_koro(runtime) -> None:
    """The sample roadmap, and twelve weekly rounds in each of Koro's tracked communes (three leaders each, answers
    varying with the week, Bondo's services closing and coming back)."""
    import_sample(runtime)
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        for (_, commune), services in tracked_services(session, [koro.id]).items():
            people = factory.leaders(session, koro, commune, 3)
            for back in range(12):
                week = WEEK.monday - timedelta(weeks=back)
                made = factory.pulse_round(session, koro, commune, IsoWeek.of(week).label, services[:4], people,
                                           at=datetime.combine(week, time(9), tzinfo=UTC))  # fmt: skip
                for n, service in enumerate(services[:4]):
                    digits = "222" if (back + n) % 5 == 0 else "113" if (back + n) % 3 == 0 else "111"
                    koro_answers(session, made, people, service, digits[: 2 if back == 7 else 3])


@pytest.mark.slow  # twelve weeks of rounds written and drawn: about 5 s
def test_twelve_weeks_of_a_sample_district_at_a_glance(runtime, directory, tmp_path):
    twelve_weeks_of_koro(runtime)
    content = render_pdf(koro_bulletin(runtime))
    assert 1 <= pdf_pages(tmp_path, content) <= 2
    text = pdf_text(tmp_path, content)
    for commune in ("Bondo", "Dinangourou", "Koro", "Madougou"):
        assert f"Koro {commune} " in text, commune
    assert text.count("trop peu de réponses") == 0, "week 41 had too few answers, but the table shows week 49"
