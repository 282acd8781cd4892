"""The broadcasts of the user's scope (newest first, each with its live delivery bar), one broadcast's delivery
page (failures by reason, the text for roles that read bodies, who sent it) and the retry of its failed messages."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from gateway.broadcasts.errors import BroadcastError
from gateway.broadcasts.retry import RETRYABLE_GROUPS, retry_failed, retryable_count
from gateway.console import console, login_required, runtime
from gateway.console.deliveries import POLL_SECONDS
from gateway.console.texts import t
from gateway.messaging.deliveries import FAILURE_GROUPS, delivery_counts
from gateway.models import Broadcast, StaffUser
from gateway.staff.roles import CONVENER_ROLES
from gateway.staff.scope import scoped_broadcasts, visible_broadcast

PAGE_SIZE = 30


def local_time(moment) -> str:
    """A UTC moment as the gateway's local date and time."""
    return moment.astimezone(ZoneInfo(runtime().settings.timezone)).strftime("%Y-%m-%d %H:%M") if moment else ""


def summary(broadcast: Broadcast, senders: dict[int, str], reads_bodies: bool) -> dict:
    """What the list and the page show of a broadcast (no text for the observer)."""
    try:
        filters = json.loads(broadcast.filters or "{}")
    except ValueError:
        filters = {}
    return {
        "id": broadcast.id,
        "kind": broadcast.kind,
        "at": local_time(broadcast.created_at),
        "filters": filters if isinstance(filters, dict) else {},
        "district": broadcast.district.code if broadcast.district else None,
        "region": broadcast.region,
        "meeting_id": broadcast.meeting_id,
        "recipients": broadcast.recipients,
        "segments": broadcast.segments,
        "text": broadcast.text if reads_bodies else None,
        "sender": senders.get(broadcast.created_by_id or 0),
    }


def _senders(db, broadcasts: list[Broadcast]) -> dict[int, str]:
    ids = {b.created_by_id for b in broadcasts if b.created_by_id}
    return dict(db.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids))).all()) if ids else {}


@console.get("/broadcasts")
@login_required
def broadcasts():
    """The scope's broadcasts and meeting sendings, newest first, PAGE_SIZE a page (`before=<id>`)."""
    before = request.args.get("before", "")
    if before and (not before.isascii() or not before.isdigit() or len(before) > 12):
        abort(400, description=t("broadcasts.bad_page"))
    query = scoped_broadcasts_query(before)
    with runtime().db.sessions() as db:
        rows = list(db.scalars(scoped_broadcasts(db, g.scope, query)))
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        senders = _senders(db, rows)
        items = [summary(b, senders, g.scope.reads_bodies) for b in rows]
        bars = {b.id: delivery_counts(db, [b.id]) for b in rows}
    return render_template(
        "console/broadcasts.html",
        items=items,
        bars=bars,
        poll=POLL_SECONDS,
        next_before=items[-1]["id"] if more else None,
        may_send=g.scope.role in CONVENER_ROLES,
    )


def scoped_broadcasts_query(before: str):
    """Newest first, one more than a page (to know whether there is a next one)."""
    query = select(Broadcast).order_by(Broadcast.id.desc()).limit(PAGE_SIZE + 1)
    return query.where(Broadcast.id < int(before)) if before else query


def render_broadcast(broadcast_id: int, status: int = 200, error: str | None = None):
    """The delivery page of one broadcast of the scope (404 otherwise)."""
    with runtime().db.sessions() as db:
        broadcast = visible_broadcast(db, g.scope, broadcast_id)
        if broadcast is None:
            return render_template("console/broadcast_missing.html"), 404
        item = summary(broadcast, _senders(db, [broadcast]), g.scope.reads_bodies)
        counts = delivery_counts(db, [broadcast.id])
        retryable = retryable_count(db, broadcast.id)
    return render_template(
        "console/broadcast.html",
        item=item,
        counts=counts,
        broadcast_id=broadcast_id,
        poll=POLL_SECONDS,
        retryable=retryable,
        may_retry=g.scope.role in CONVENER_ROLES,
        retried_groups=[g_ for g_ in FAILURE_GROUPS if g_ in RETRYABLE_GROUPS],
        kept_groups=[g_ for g_ in FAILURE_GROUPS if g_ not in RETRYABLE_GROUPS],
        error=error,
    ), status


@console.get("/broadcasts/<int:broadcast_id>")
@login_required
def broadcast_page(broadcast_id: int):
    """One broadcast's delivery: the live bar, failures by reason, the retry button, its text and sender."""
    return render_broadcast(broadcast_id)


@console.post("/broadcasts/<int:broadcast_id>/retry")
@login_required
def broadcast_retry(broadcast_id: int):
    """Queue the retryable failed messages again (convener roles of the scope), then back to the page."""
    rt = runtime()
    try:
        with rt.db.transaction() as db:
            broadcast = visible_broadcast(db, g.scope, broadcast_id)
            if broadcast is None:
                return render_template("console/broadcast_missing.html"), 404
            result = retry_failed(db, rt, g.scope, broadcast)
    except BroadcastError as refusal:  # rolled back: nothing changed
        return render_broadcast(broadcast_id, refusal.http_status, t(f"broadcasts.error.{refusal.code}"))
    flash(t("broadcasts.retried", count=result.requeued), "ok")
    return redirect(url_for("console.broadcast_page", broadcast_id=broadcast_id))
