"""What the bulletin's cells say, the same in the HTML and the PDF: service, category, severity, status and trend
words, percentages, dates, and the counts of a service row or "trop peu de réponses" where they are withheld."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flows import catalogue
from gateway.pulse.results import ServiceWeek
from gateway.reports.bulletin import Bulletin
from gateway.reports.texts import text, texts


@dataclass(frozen=True)
class Words:
    """The bulletin's words in one language (French by default)."""

    language: str = "fr"

    def __call__(self, key: str, **params) -> str:
        """A heading or label by key."""
        return text(self.language, key, **params)

    def title(self, bulletin: Bulletin) -> str:
        """`Bulletin hebdomadaire — Koro — semaine 2026-W49`."""
        return self("title", scope=bulletin.scope.title, week=bulletin.week.label)

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
