"""The pulse's pages: the districts of the user's scope (`/console/pulse`) and one district's indicators
(`/console/pulse/<code>`): small multiples of the last 12 weeks, the response rate, roadmap progress, and the latest
round per commune × service, with "too few answers" instead of numbers below PULSE_MIN_ANSWERS."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import abort, g, render_template

from gateway.console import console, login_required, runtime
from gateway.console.texts import t
from gateway.models import ServiceKind
from gateway.pulse.results import pulse_results, trend, week_window
from gateway.pulse.visibility import visible_district, visible_districts
from gateway.reports import charts
from gateway.reports.output import svg_data_uri, svg_text
from gateway.roadmaps.items import PROGRESS_KEYS, progress_counts

WEEKS = 12


def _today():
    return datetime.now(UTC).astimezone(ZoneInfo(runtime().settings.timezone)).date()


def chart_labels() -> charts.ChartLabels:
    """The charts' words in the page's language (console texts)."""
    return charts.ChartLabels(
        open=t("pulse.open"),
        partial=t("pulse.partial"),
        closed=t("pulse.closed"),
        too_few=t("pulse.too_few"),
        response_rate=t("pulse.response_rate"),
        progress=t("pulse.progress"),
        empty=t("pulse.empty"),
        services={kind.value: t(f"pulse.service.{kind.value}") for kind in ServiceKind},
        statuses={key: t(f"pulse.status.{key}") for key in PROGRESS_KEYS},
    )


@console.get("/pulse")
@login_required
def pulse_districts():
    """The districts whose indicators the user may see, with the week of their latest round."""
    settings = runtime().settings
    with runtime().db.sessions() as db:
        districts = visible_districts(db, g.scope)
        rows = pulse_results(db, district_ids=[d.id for d in districts], weeks=WEEKS,
                             min_answers=settings.pulse_min_answers, today=_today())  # fmt: skip
        listed = []
        for district in districts:
            own = [r for r in rows if r.district == district.code]
            communes, latest = len({r.commune for r in own}), max((r.week for r in own), default=None)
            listed.append({"code": district.code, "name": district.name, "region": district.region,
                           "communes": communes, "latest": latest})  # fmt: skip
    return render_template("console/pulse.html", districts=listed, weeks=WEEKS)


@console.get("/pulse/<code>")
@login_required
def pulse_district(code: str):
    """One district of the user's scope (404 for any other): its charts and its latest rounds."""
    settings = runtime().settings
    today = _today()
    with runtime().db.sessions() as db:
        district = visible_district(db, g.scope, code)
        if district is None:
            abort(404)
        rows = pulse_results(db, district_ids=[district.id], weeks=WEEKS, min_answers=settings.pulse_min_answers,
                             today=today)  # fmt: skip
        progress = progress_counts(db, district.id, today)
        name = district.name
    weeks = week_window(today, WEEKS)
    labels = chart_labels()
    images = {
        "multiples": svg_data_uri(svg_text(charts.service_multiples(rows, weeks, labels))),
        "rate": svg_data_uri(svg_text(charts.response_rate(rows, weeks, labels))),
        "progress": svg_data_uri(svg_text(charts.roadmap_progress(progress, labels))),
    }
    return render_template("console/pulse_district.html", code=district.code, name=name, trends=trend(rows),
                           images=images, progress=progress, weeks=weeks,
                           min_answers=settings.pulse_min_answers)  # fmt: skip
