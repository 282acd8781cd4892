"""The alert desk's inbox: open alerts and untriaged reports of the user's scope, most serious then newest first,
filtered by GET parameters, with counts per status; its list refreshes itself (htmx polling of `/console/rows`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import g, render_template, request
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from flows.definitions import CATEGORIES
from gateway.alerts.status import FINAL, OPEN
from gateway.console import console, login_required, runtime
from gateway.models import TRIAGE_SOURCES, Alert, AlertStatus, District
from gateway.staff.scope import Scope, region_district_ids, scoped_alerts

INBOX_LIMIT = 200  # a duty officer reads the top of the list; filters narrow the rest
EXCERPT = 120  # characters of a description shown in the list
CHANNELS = ("twilio", "android", "telegram", "console")
STATUS_CHOICES = ("open", "closed", "all", *(s.value for s in AlertStatus))
STATUS_ORDER = tuple(s.value for s in AlertStatus)


@dataclass
class Filters:
    """The inbox's filters as given in the query string, and what was wrong with them."""

    district: str = ""
    status: str = "open"
    severity: str = ""
    category: str = ""
    channel: str = ""
    since: str = ""
    until: str = ""
    errors: list[str] = field(default_factory=list)

    def args(self) -> dict[str, str]:
        """The filters that are set, for links and the polling URL."""
        names = ("district", "status", "severity", "category", "channel", "since", "until")
        return {name: getattr(self, name) for name in names if getattr(self, name)}


def _day(text: str, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or day == date.max:  # `until` reads up to the next day's midnight: 9999-12-31 has none
        errors.append("inbox.bad_date")
        return None
    return day


def read_filters(args, districts: list[str]) -> Filters:
    """The filters of a request; an unknown value is dropped and named in `errors` (the page answers 400)."""
    given = {k: (args.get(k) or "").strip()[:40] for k in ("district", "status", "severity", "category", "channel")}
    filters = Filters(since=(args.get("since") or "").strip()[:10], until=(args.get("until") or "").strip()[:10])
    allowed = {
        "district": districts,
        "status": STATUS_CHOICES,
        "severity": ("1", "2", "3", "none"),
        "category": (*(c.value for c in CATEGORIES), "none"),
        "channel": CHANNELS,
    }
    for name, value in given.items():
        if name == "district":
            value = value.upper()
        if value and value not in allowed[name]:
            filters.errors.append(f"inbox.bad_{name}")
        elif value:
            setattr(filters, name, value)
    for name in ("since", "until"):
        if _day(getattr(filters, name), filters.errors) is None:
            setattr(filters, name, "")
    return filters


def _status_clause(status: str):
    if status == "open":
        return Alert.status.in_(OPEN)
    if status == "closed":
        return Alert.status.in_(FINAL)
    if status == "all":
        return None
    return Alert.status == status


def _filtered(session: Session, scope: Scope, filters: Filters, query, with_status: bool = True):
    """`query` with the scope first (every read goes through it), then the filters."""
    query = scoped_alerts(session, scope, query)
    if filters.district:
        query = query.where(Alert.district_id.in_(select(District.id).where(District.code == filters.district)))
    if with_status and (clause := _status_clause(filters.status)) is not None:
        query = query.where(clause)
    if filters.severity:
        severity = None if filters.severity == "none" else int(filters.severity)
        query = query.where(Alert.severity.is_(None) if severity is None else Alert.severity == severity)
    if filters.category:
        category = None if filters.category == "none" else filters.category
        query = query.where(Alert.category.is_(None) if category is None else Alert.category == category)
    if filters.channel:
        query = query.where(Alert.channel == filters.channel)
    if filters.since:
        query = query.where(Alert.created_at >= datetime.combine(date.fromisoformat(filters.since), time(), UTC))
    if filters.until:  # the whole day named: Bamako keeps UTC all year
        end = datetime.combine(date.fromisoformat(filters.until), time(), UTC) + timedelta(days=1)
        query = query.where(Alert.created_at < end)
    return query


def _row(alert: Alert, scope: Scope) -> dict:
    description = None
    if scope.reads_bodies and alert.description:  # the observer never sees free text
        text = " ".join(alert.description.split())
        description = text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
    return {
        "ref": alert.id,
        "at": alert.created_at.strftime("%Y-%m-%d %H:%M"),
        "district": alert.district.code if alert.district else "",
        "commune": alert.commune or "",
        "category": alert.category,
        "severity": alert.severity,
        "status": alert.status,
        "channel": alert.channel,
        "untriaged": alert.source in TRIAGE_SOURCES and alert.triaged_at is None,
        "description": description,
    }


def inbox_data(session: Session, scope: Scope, filters: Filters) -> dict:
    """Rows (most serious first: severity 3, 2, 1, then none; newest first within each) and counts per status, both
    within the scope and the filters."""
    unknown_last = case((Alert.severity.is_(None), 1), else_=0)  # portable NULLS LAST
    order = (unknown_last, Alert.severity.desc(), Alert.id.desc())
    query = _filtered(session, scope, filters, select(Alert)).order_by(*order)
    rows = [_row(alert, scope) for alert in session.scalars(query.limit(INBOX_LIMIT))]
    counted = _filtered(session, scope, filters, select(Alert.status, func.count(Alert.id)), with_status=False)
    counts = dict(session.execute(counted.group_by(Alert.status)).all())
    return {
        "rows": rows,
        "counts": [(status, counts.get(status, 0)) for status in STATUS_ORDER],
        "truncated": len(rows) == INBOX_LIMIT,
    }


def scope_districts(session: Session, scope: Scope) -> list[str]:
    """The district codes the user may filter on: those of the scope."""
    if scope.district_code:
        return [scope.district_code]
    query = select(District).order_by(District.code)
    if scope.region:
        query = query.where(District.id.in_(region_district_ids(session, scope.region)))
    return [district.code for district in session.scalars(query)]


def _render(template: str):
    with runtime().db.sessions() as db:
        districts = scope_districts(db, g.scope)
        filters = read_filters(request.args, districts)
        data = inbox_data(db, g.scope, filters)
    context = {
        **data,
        "filters": filters,
        "districts": districts,
        "categories": [c.value for c in CATEGORIES],
        "channels": CHANNELS,
        "statuses": STATUS_CHOICES,
    }
    return render_template(template, **context), 400 if filters.errors else 200


@console.route("/")
@login_required
def inbox():
    """The inbox page: filters, counts, the list (which then refreshes itself every 10 s)."""
    return _render("console/inbox.html")


@console.route("/rows")
@login_required
def inbox_rows():
    """The list alone (counts and rows), for the page's htmx polling."""
    return _render("console/inbox_rows.html")
