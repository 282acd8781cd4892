"""The roadmaps of the user's scope: the districts with their counts, one district's roadmap as a table, and one
item's page (history, linked meetings, alerts about its service and place) with the status form and the meeting
links for those who may edit (admin, the region's coordinator, the district's facilitators); changes go through
gateway.roadmaps.desk in one transaction, audited."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from gateway.console import console, login_required, runtime
from gateway.console.texts import t
from gateway.meetings.attendance import local_text
from gateway.meetings.desk import scoped_meetings
from gateway.models import Meeting, RoadmapItem
from gateway.roadmaps import desk
from gateway.roadmaps.changes import RoadmapError, may_edit, scoped_districts, visible_item
from gateway.roadmaps.items import (
    alerts_about,
    is_overdue,
    items_query,
    local_today,
    parse_ref,
    ref,
    statuses,
)
from gateway.staff.scope import scoped_alerts

# Meetings offered in the link form: the district's latest.
LINKABLE_MEETINGS = 30


def _today():
    return local_today(runtime().settings.timezone)


@console.get("/roadmaps")
@login_required
def roadmaps():
    """The districts of the scope, each with its items counted by status and the overdue ones."""
    today = _today()
    with runtime().db.sessions() as db:
        rows = []
        for district in scoped_districts(db, g.scope):
            items = list(db.scalars(items_query([district.id])))
            counts = {status: sum(1 for i in items if i.status == status) for status in statuses()}
            overdue = sum(1 for i in items if is_overdue(i, today))
            rows.append({"code": district.code, "name": district.name, "region": district.region,
                         "counts": counts, "overdue": overdue, "total": len(items)})  # fmt: skip
    return render_template("console/roadmaps.html", rows=rows, statuses=statuses())


def _row(item: RoadmapItem, today) -> dict:
    return {
        "ref": ref(item.id),
        "id": item.id,
        "commune": item.commune,
        "village": item.village,
        "service": item.service,
        "commitment": item.commitment,
        "responsible": item.responsible,
        "due": item.due.isoformat() if item.due else "",
        "status": item.status,
        "overdue": is_overdue(item, today),
    }


@console.get("/roadmaps/<code>")
@login_required
def roadmap_district(code: str):
    """One district's roadmap as a table; another district than the scope's is not found."""
    today = _today()
    with runtime().db.sessions() as db:
        district = next((d for d in scoped_districts(db, g.scope) if d.code == code.upper()), None)
        if district is None:
            abort(404)
        rows = [_row(item, today) for item in db.scalars(items_query([district.id]))]
        view = {"code": district.code, "name": district.name, "region": district.region}
    return render_template("console/roadmap_district.html", district=view, rows=rows)


def _item_context(db, item: RoadmapItem) -> dict:
    zone = runtime().settings.timezone
    linked_ids = {m.id for m in item.meetings}
    in_scope = scoped_meetings(db, g.scope, select(Meeting).where(Meeting.district_id == item.district_id))
    district_meetings = list(db.scalars(in_scope.order_by(Meeting.starts_at.desc()).limit(LINKABLE_MEETINGS)))
    full = g.scope.reads_bodies
    return {
        "item": {**_row(item, _today()), "district": item.district.name, "code": item.district.code},
        # Free text and staff names are not for the observer (as on an alert's page).
        "history": [
            {
                "at": local_text(c.created_at, zone),
                "status": c.status,
                "previous": c.previous,
                "note": c.note if full else None,
                "actor": c.actor if full else None,
            }
            for c in reversed(item.history)
        ],
        "meetings": [
            {"ref": m.id, "at": local_text(m.starts_at, zone), "place": m.place, "status": m.status}
            for m in item.meetings
        ],
        "linkable": [
            {"ref": m.id, "at": local_text(m.starts_at, zone), "place": m.place}
            for m in district_meetings
            if m.id not in linked_ids
        ],
        "alerts": [
            {"ref": a.id, "status": a.status, "severity": a.severity, "at": local_text(a.created_at, zone)}
            for a in alerts_about(db, item, scoped_alerts(db, g.scope))
        ],
        "may_edit": may_edit(g.scope, item),
        "statuses": statuses(),
    }


def render_item(ref_text: str, error: str | None = None, status: int = 200, form: dict | None = None):
    """The item's page (404 outside the scope), with a refusal's reason when a form was refused."""
    with runtime().db.sessions() as db:
        item = visible_item(db, g.scope, parse_ref(ref_text))
        if item is None:
            abort(404)
        context = _item_context(db, item)
    return render_template("console/roadmap_item.html", error=error, form=form or {}, **context), status


@console.get("/roadmaps/item/<ref_text>")
@login_required
def roadmap_item(ref_text: str):
    """One item: facts, status form (editors), history newest first, meetings, alerts."""
    return render_item(ref_text)


def _change(ref_text: str, work, done_key: str, form: dict):
    """Run one change in a transaction: back to the page with a flash, or the page with the refusal (4xx)."""
    number = parse_ref(ref_text)
    try:
        with runtime().db.transaction() as db:
            item = visible_item(db, g.scope, number)
            if item is None:
                abort(404)
            params = work(db, item)
    except RoadmapError as refusal:  # rolled back: nothing changed
        return render_item(ref_text, t(f"roadmaps.refusal.{refusal.code}"), desk.HTTP_STATUS[refusal.code], form)
    flash(t(done_key, ref=ref(number), **params), "ok")
    return redirect(url_for("console.roadmap_item", ref_text=ref(number)))


@console.post("/roadmaps/item/<ref_text>/status")
@login_required
def roadmap_status(ref_text: str):
    """The status form: `status`, `note`."""
    status, note = request.form.get("status", ""), request.form.get("note", "")

    def work(db, item):
        desk.change_status(db, g.scope, item, status, note)
        return {"status": t(f"roadmaps.status.{status}")}

    return _change(ref_text, work, "roadmaps.status_done", {"status": status, "note": note})


@console.post("/roadmaps/item/<ref_text>/meetings")
@login_required
def roadmap_meetings(ref_text: str):
    """Link (`action=link`) or unlink (`action=unlink`) the meeting `meeting` of the item's district."""
    action, meeting_ref = request.form.get("action"), request.form.get("meeting", "")
    if action not in ("link", "unlink"):
        abort(400)

    def work(db, item):
        number = parse_ref(meeting_ref)
        meeting = db.scalar(scoped_meetings(db, g.scope, select(Meeting).where(Meeting.id == number)))
        desk.staff_link(db, g.scope, item, meeting, linked=action == "link")
        return {"meeting": number}

    return _change(ref_text, work, f"roadmaps.{action}ed", {})
