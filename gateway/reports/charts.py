"""Charts of a district, drawn on the server with matplotlib's object API (no pyplot: nothing global per figure,
so safe in threads): small multiples of service presence, the response rate, and roadmap progress.

Names come from the database (typed by staff or imported): control characters are removed and matplotlib escapes
the rest; mathtext is off so a `$` in a name is a dollar. Output as SVG text or PNG bytes (gateway.reports.output)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from gateway.core.untrusted import for_terminal
from gateway.pulse.results import SERVICE_ORDER, ServiceWeek

# Set once at import, never per figure (rc_context would change global state while other threads draw): text stays
# text in SVG (smaller, selectable), ids do not depend on a random salt, and `$` in a name is not mathtext.
matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "gateway-charts", "text.parse_math": False})

COLOURS = {"open": "#2e7d32", "partial": "#f9a825", "closed": "#c62828", "too_few": "#9e9e9e"}
PROGRESS_COLOURS = {"done": "#2e7d32", "in_progress": "#1565c0", "stalled": "#f9a825", "overdue": "#c62828",
                    "planned": "#90a4ae", "reversed": "#6d4c41"}  # fmt: skip
PANEL_WIDTH, PANEL_HEIGHT = 2.4, 1.7  # inches per small chart
FONT = "DejaVu Sans"  # ships with matplotlib: French accents render in PNG whatever the machine has


@dataclass(frozen=True)
class ChartLabels:
    """The words on the charts (French by default, the bulletin's language; the console passes its own)."""

    open: str = "ouvert"
    partial: str = "partiel"
    closed: str = "fermé"
    too_few: str = "trop peu de réponses"
    response_rate: str = "Taux de réponse"
    progress: str = "Feuille de route"
    empty: str = "Aucune donnée pour ces semaines"
    services: Mapping[str, str] = field(
        default_factory=lambda: {
            "school": "école",
            "health": "santé",
            "security": "sécurité",
            "administration": "administration",
            "justice": "justice",
            "water": "eau",
            "market": "marché",
            "other": "autre",
        }  # fmt: skip
    )
    statuses: Mapping[str, str] = field(
        default_factory=lambda: {
            "done": "réalisé",
            "in_progress": "en cours",
            "stalled": "bloqué",
            "overdue": "en retard",
            "planned": "prévu",
            "reversed": "annulé",
        }  # fmt: skip
    )


FRENCH = ChartLabels()


def clean(name: str | None, limit: int = 40) -> str:
    """An untrusted name fit for a chart: no control characters (invalid in SVG's XML), cut to `limit` characters."""
    text = " ".join(for_terminal(name or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _latest_per_week(rows: Sequence[ServiceWeek]) -> dict[tuple[str, str, str], ServiceWeek]:
    # Several rounds in one week (a resend): the chart shows the week's last round.
    latest: dict[tuple[str, str, str], ServiceWeek] = {}
    for row in sorted(rows, key=lambda r: r.round):
        latest[(row.commune, row.service, row.week)] = row
    return latest


def _week_ticks(ax, weeks: Sequence[str]) -> None:
    ax.set_xlim(-0.6, len(weeks) - 0.4)
    shown = sorted({0, len(weeks) // 2, len(weeks) - 1}) if weeks else []
    ax.set_xticks(shown, [weeks[i].split("-")[1] for i in shown], fontsize=7)


def _panel(ax, cells: Mapping[str, ServiceWeek], weeks: Sequence[str], title: str, first_column: bool) -> None:
    for x, week in enumerate(weeks):
        row = cells.get(week)
        if row is None:
            continue  # no question that week: an empty column
        if row.too_few:  # a hatched gap, never a number
            ax.bar(x, 1, width=0.8, color="white", edgecolor=COLOURS["too_few"], hatch="////", linewidth=0.5)
            continue
        answered = row.answered or 1
        bottom = 0.0
        for key, count in (("open", row.open), ("partial", row.partial), ("closed", row.closed)):
            share = (count or 0) / answered
            ax.bar(x, share, bottom=bottom, width=0.8, color=COLOURS[key], linewidth=0)
            bottom += share
    ax.set_ylim(0, 1)
    ax.set_yticks([0, 0.5, 1], ["0", "50 %", "100 %"] if first_column else ["", "", ""], fontsize=7)
    _week_ticks(ax, weeks)
    ax.set_title(title, fontsize=8, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _empty(labels: ChartLabels, width: float = 6.0, height: float = 1.2) -> Figure:
    figure = Figure(figsize=(width, height))
    figure.text(0.5, 0.5, labels.empty, ha="center", va="center", fontsize=10, family=FONT)
    return figure


def service_multiples(rows: Sequence[ServiceWeek], weeks: Sequence[str], labels: ChartLabels = FRENCH) -> Figure:
    """One small chart per commune × service (a row per commune): per week the shares open / partial / closed as
    stacked bars, a hatched bar where too few answered, nothing where no question went out."""
    latest = _latest_per_week(rows)
    communes: dict[str, set[str]] = {}
    for commune, service, _ in latest:
        communes.setdefault(commune, set()).add(service)
    if not communes:
        return _empty(labels)
    order = sorted(communes, key=lambda c: (c.casefold(), c))
    columns = max(len(s) for s in communes.values())
    figure = Figure(figsize=(PANEL_WIDTH * columns + 0.3, PANEL_HEIGHT * len(order) + 0.6), layout="constrained")
    grid = figure.add_gridspec(len(order), columns)
    for r, commune in enumerate(order):
        for c, service in enumerate(sorted(communes[commune], key=lambda s: (SERVICE_ORDER.get(s, 99), s))):
            cells = {week: row for (co, se, week), row in latest.items() if co == commune and se == service}
            title = f"{clean(commune, 28)} · {labels.services.get(service, clean(service, 14))}"
            _panel(figure.add_subplot(grid[r, c]), cells, weeks, title, c == 0)
    handles = [Patch(color=COLOURS[k], label=getattr(labels, k)) for k in ("open", "partial", "closed")]
    handles.append(Patch(facecolor="white", edgecolor=COLOURS["too_few"], hatch="////", label=labels.too_few))
    figure.legend(handles=handles, loc="outside upper center", ncols=4, fontsize=8, frameon=False)
    return figure


def response_rate(rows: Sequence[ServiceWeek], weeks: Sequence[str], labels: ChartLabels = FRENCH) -> Figure:
    """One line per commune: per week the mean response rate over its services (last round of the week); a gap
    where no question went out."""
    latest = _latest_per_week(rows)
    if not latest:
        return _empty(labels)
    by_commune: dict[str, dict[str, list[float]]] = {}
    for (commune, _, week), row in latest.items():
        by_commune.setdefault(commune, {}).setdefault(week, []).append(row.response_rate)
    figure = Figure(figsize=(7.0, 2.6), layout="constrained")
    ax = figure.add_subplot()
    for commune in sorted(by_commune, key=lambda c: (c.casefold(), c)):
        rates = by_commune[commune]
        values = [sum(rates[w]) / len(rates[w]) if w in rates else float("nan") for w in weeks]
        ax.plot(range(len(weeks)), values, marker="o", markersize=3, linewidth=1.2, label=clean(commune))
    ax.set_ylim(0, 1.05)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1], ["0", "25 %", "50 %", "75 %", "100 %"], fontsize=7)
    ax.set_xlim(-0.5, len(weeks) - 0.5)
    ax.set_xticks(range(len(weeks)), [w.split("-")[1] for w in weeks], fontsize=7)
    ax.set_title(labels.response_rate, fontsize=9, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(axis="y", linewidth=0.3)
    return figure


def roadmap_progress(counts: Mapping[str, int], labels: ChartLabels = FRENCH) -> Figure:
    """A district's roadmap items counted by state (done, in progress, stalled, overdue, then the others), as
    horizontal bars with their numbers."""
    keys = [k for k in PROGRESS_COLOURS if k in counts]
    if not keys or not any(counts[k] for k in keys):
        return _empty(labels)
    figure = Figure(figsize=(5.0, 0.35 * len(keys) + 0.8), layout="constrained")
    ax = figure.add_subplot()
    positions = list(range(len(keys)))[::-1]
    values = [counts[k] for k in keys]
    bars = ax.barh(positions, values, color=[PROGRESS_COLOURS[k] for k in keys], height=0.6)
    ax.bar_label(bars, labels=[str(v) for v in values], fontsize=7, padding=2)
    ax.set_yticks(positions, [labels.statuses.get(k, k) for k in keys], fontsize=8)
    ax.set_xlim(0, max(values) * 1.15 + 0.5)
    ax.set_xticks([])
    ax.set_title(labels.progress, fontsize=9, loc="left")
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    return figure
