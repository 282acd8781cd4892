"""What the bulletin shows, the same in the HTML and the PDF: its texts (French, the bulletin's language, and English,
in `texts/bulletin.<language>.json` with the same keys), the words of its cells (service, category, severity, status,
trend, percentages, dates, counts or "trop peu de réponses" where withheld), and its picture: twelve weeks of service
presence as small multiples (gateway/reports/charts.py) in PNG, each commune named with its district when the
bulletin covers several."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from flows import catalogue
from gateway.models.roadmaps import ServiceKind
from gateway.pulse.results import ServiceWeek, week_window
from gateway.reports.bulletin import CHART_WEEKS, Bulletin
from gateway.reports.scopes import ALL, Scope

if TYPE_CHECKING:
    from gateway.reports.charts import ChartLabels

# matplotlib comes with the charts, when a bulletin is drawn: not with every worker that imports these words.

TEXTS_DIR = Path(__file__).with_name("texts")
LANGUAGES = ("fr", "en")
BULLETIN_DPI = 110  # sharp enough on A4 at the printed width, small enough to send over a slow link


@cache
def texts(language: str) -> dict[str, str]:
    """Every text of one language (empty when there is none)."""
    path = TEXTS_DIR / f"bulletin.{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def text(language: str, key: str, **params) -> str:
    """The text for `key` (French when the language lacks it), with `{params}` filled in; KeyError when unknown."""
    found = texts(language).get(key) or texts("fr")[key]
    return found.format(**params) if params else found


@dataclass(frozen=True)
class Words:
    """The bulletin's words in one language (French by default)."""

    language: str = "fr"

    def __call__(self, key: str, **params) -> str:
        """A heading or label by key."""
        return text(self.language, key, **params)

    def title(self, bulletin: Bulletin) -> str:
        """`Bulletin hebdomadaire — Koro — semaine 2026-W49`."""
        return self("title", scope=self.scope(bulletin.scope), week=bulletin.week.label)

    def scope(self, scope: Scope) -> str:
        """`Koro`, `Région de Mopti`, `Tous les cercles`."""
        if scope.kind == "region":
            return self("region", region=scope.name)
        return self("all") if scope.kind == ALL else scope.name

    def period(self, bulletin: Bulletin) -> str:
        """`du 30/11/2026 au 06/12/2026`."""
        return self("period", start=self.day(bulletin.week.monday), end=self.day(bulletin.week.sunday))

    def service(self, kind: str) -> str:
        """A service's word (`école`); an unknown kind as stored."""
        return self._known(f"service.{kind}", kind)

    def status(self, status: str) -> str:
        """A roadmap status's word (`en cours`)."""
        return self._known(f"status.{status}", status)

    def trend(self, direction: str) -> str:
        """`en hausse`, `en baisse`, `stable`, `premier tour`, or a dash when a count is withheld."""
        return self._known(f"trend.{direction}", direction)

    def severity(self, severity: int | None) -> str:
        """`information`, `tension`, `urgent`, or `non précisée`."""
        return self._known(f"severity.{severity}" if severity else "severity.none", str(severity))

    def category(self, category: str | None) -> str:
        """An alert category as leaders see it in their lists (flows' catalogue), `non classée` when none."""
        try:
            return catalogue.text(self.language, f"category.{category or 'none'}")
        except KeyError:
            return category or ""

    def counts(self, row: ServiceWeek) -> tuple[str, str, str, str]:
        """Open, partial, closed and no answer as text; all four say "trop peu de réponses" when withheld."""
        if row.too_few:
            return (self("too_few"),) * 4
        return str(row.open), str(row.partial), str(row.closed), str(row.no_answer)

    def day(self, value: date) -> str:
        """`06/12/2026` (French) or `2026-12-06`."""
        return value.strftime("%d/%m/%Y") if self.language == "fr" else value.isoformat()

    def percent(self, share: float | None) -> str:
        """`64 %` (French spacing) or `64%`; a dash when there is nothing to divide."""
        if share is None:
            return "—"
        value = round(share * 100)
        return f"{value}\u00a0%" if self.language == "fr" else f"{value}%"

    def _known(self, key: str, fallback: str) -> str:
        return self(key) if key in texts(self.language) or key in texts("fr") else fallback


def rate_line(bulletin: Bulletin, words: Words) -> str:
    """`Taux de réponse au pulse : 64 % (16 leaders sur 25)`, or that no pulse went out."""
    if not bulletin.asked:
        return words("rate.none")
    return words("rate", rate=words.percent(bulletin.response_rate), answered=bulletin.answered, asked=bulletin.asked)


def chart_labels(words: Words) -> ChartLabels:
    """The words on the chart in the bulletin's language (the charts' own French ones for French)."""
    from gateway.reports.charts import FRENCH, ChartLabels

    if words.language == "fr":
        return FRENCH
    return ChartLabels(
        open=words("col.open").lower(),
        partial=words("col.partial").lower(),
        closed=words("col.closed").lower(),
        too_few=words("too_few"),
        empty=words("charts.none"),
        services={kind.value: words.service(kind.value) for kind in ServiceKind},
    )


def bulletin_charts(bulletin: Bulletin, words: Words | None = None) -> list[bytes]:
    """The small multiples of the bulletin's weeks as PNG (none when no round went out in them)."""
    rows = list(bulletin.history)
    if not rows:
        return []
    if len({row.district for row in rows}) > 1:  # two districts may have communes of the same name
        rows = [replace(row, commune=f"{row.commune} ({row.district})") for row in rows]
    from gateway.reports.charts import service_multiples
    from gateway.reports.output import png_bytes

    weeks = week_window(bulletin.week.sunday, CHART_WEEKS)
    return [png_bytes(service_multiples(rows, weeks, chart_labels(words or Words())), dpi=BULLETIN_DPI)]
