"""Compose a broadcast: the selection fields the scope allows, a text box with a live GSM-7 counter
(static/broadcasts.js), a server preview (htmx, debounced: recipients, segments, cost, the phone's time, quiet
hours, characters that force UCS-2 and the text that will really be sent), a confirmation step, then the sending.

The confirmation re-validates everything; a one-time form token kept in Redis makes a double submit send once."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from gateway.broadcasts import service
from gateway.broadcasts.errors import BroadcastError
from gateway.broadcasts.selection import FIELDS, LANGUAGE_CHOICES, ROLE_CHOICES, parse_selection, resolve
from gateway.console import console, login_required, runtime
from gateway.console.texts import t
from gateway.models import Contact, District
from gateway.staff.roles import CONVENER_ROLES, StaffRole, fold
from gateway.staff.scope import region_district_ids
from workers.queues import KEY_PREFIX

FORM_KEY = KEY_PREFIX + "broadcast-form:"  # + user id + token: a compose form not sent yet
SENT_KEY = KEY_PREFIX + "broadcast-sent:"  # + user id + token: the broadcast that form sent
FORM_TTL = 6 * 3600
SENT_TTL = 24 * 3600


def _choices(db) -> dict:
    """The selection fields' options, limited to the scope."""
    scope = g.scope
    districts = list(db.scalars(select(District).order_by(District.code)))
    if scope.role == StaffRole.COORDINATOR:
        ids = set(region_district_ids(db, scope.region))
        districts = [d for d in districts if d.id in ids]
    elif scope.role != StaffRole.ADMIN:
        districts = [d for d in districts if d.id == scope.district_id]
    regions = sorted({d.region for d in districts if d.region}) if scope.role == StaffRole.ADMIN else []
    ids = [d.id for d in districts]
    communes = db.scalars(select(Contact.commune).where(Contact.district_id.in_(ids)).distinct()) if ids else []
    unique = {fold(c): c for c in communes if c}
    return {
        "districts": [d.code for d in districts],
        "regions": regions,
        "communes": sorted(unique.values(), key=fold),
        "roles": ROLE_CHOICES,
        "languages": LANGUAGE_CHOICES,
    }


def _form() -> dict:
    """The posted fields (selection, text, one-time token) as strings."""
    form = {name: request.form.get(name, "") for name in (*FIELDS, "text", "form_token")}
    form["role"] = form["role"] or "leader"
    return form


def _new_token() -> str:
    token = secrets.token_urlsafe(16)
    runtime().redis.set(f"{FORM_KEY}{g.scope.user_id}:{token}", "1", ex=FORM_TTL)
    return token


def _shown(preview: service.Preview) -> dict:
    """The preview's numbers as the templates show them (local times)."""
    est = preview.estimate
    zone = ZoneInfo(runtime().settings.timezone)
    minutes = None if est.duration is None else max(1, round(est.duration.total_seconds() / 60))
    return {
        "recipients": preview.recipients,
        "channels": est.channels,
        "not_sent": est.not_sent,
        "sms_recipients": est.sms_recipients,
        "segments": preview.text.segments,
        "segments_total": est.segments_total,
        "cost": est.cost,
        "minutes": minutes,
        "leaves_at": est.leaves_at.astimezone(zone).strftime("%H:%M") if est.leaves_at else None,
        "text": preview.text,
    }


def _compose(form: dict, status: int = 200, error: str | None = None):
    if g.scope.role not in CONVENER_ROLES:
        return render_template("console/error.html", code=403, key="error.403",
                               reason=t("broadcasts.error.forbidden")), 403  # fmt: skip
    with runtime().db.sessions() as db:
        choices = _choices(db)
    return render_template("console/broadcast_new.html", form=form, choices=choices, error=error), status


def _refusal(error: BroadcastError) -> str:
    return t(f"broadcasts.error.{error.code}", **error.params)


@console.get("/broadcasts/new")
@login_required
def broadcast_new():
    """The empty composer (403 for roles that may not broadcast)."""
    form = {name: "" for name in (*FIELDS, "text")}
    form["role"] = "leader"
    if g.scope.role in CONVENER_ROLES:
        form["form_token"] = _new_token()
    return _compose(form)


@console.post("/broadcasts/preview")
@login_required
def broadcast_preview():
    """The server's preview of the form as typed (htmx fragment; nothing is written). Refusals are shown in the
    fragment: status 200 for htmx (it swaps only successes), the refusal's own status otherwise."""
    form = _form()
    reached = None
    try:
        with runtime().db.sessions() as db:
            reached = len(resolve(db, g.scope, parse_selection(form)).contacts)  # shown while the text is empty
            shown = _shown(service.preview(db, runtime(), g.scope, form))
        error, code, status = None, None, 200
    except BroadcastError as refusal:
        shown, error, code, status = None, _refusal(refusal), refusal.code, refusal.http_status
    if request.headers.get("HX-Request"):
        status = 200
    page = render_template("console/broadcast_preview.html", shown=shown, error=error, code=code, reached=reached)
    return page, status


@console.post("/broadcasts/new")
@login_required
def broadcast_submit():
    """`step=review`: the confirmation page (checked, nothing written); `step=edit`: back to the composer;
    `step=send`: check again and send once."""
    form = _form()
    if request.form.get("step") == "edit":
        return _compose(form)
    try:
        with runtime().db.sessions() as db:
            shown = _shown(service.preview(db, runtime(), g.scope, form))
    except BroadcastError as refusal:
        return _compose(form, refusal.http_status, _refusal(refusal))
    if request.form.get("step") != "send":
        return render_template("console/broadcast_confirm.html", form=form, shown=shown)
    return _send(form)


def _send(form: dict):
    """Send once per form token: the token is taken from Redis before the sending, put back if it is refused."""
    rt, scope = runtime(), g.scope
    token = form["form_token"][:64]
    key, sent_key = f"{FORM_KEY}{scope.user_id}:{token}", f"{SENT_KEY}{scope.user_id}:{token}"
    if not token or not rt.redis.delete(key):
        done = rt.redis.get(sent_key) if token else None
        if done is not None:
            flash(t("broadcasts.already_sent"), "ok")
            return redirect(url_for("console.broadcast_page", broadcast_id=int(done)))
        return _compose({**form, "form_token": _new_token()}, 409, t("broadcasts.error.stale_form"))
    try:
        with rt.db.transaction() as db:
            broadcast, _ = service.send(db, rt, scope, form)
            broadcast_id = broadcast.id
    except BroadcastError as refusal:  # rolled back: nothing written; the form may be sent once corrected
        rt.redis.set(key, "1", ex=FORM_TTL)
        return _compose(form, refusal.http_status, _refusal(refusal))
    except Exception:
        rt.redis.set(key, "1", ex=FORM_TTL)
        raise
    rt.redis.set(sent_key, str(broadcast_id), ex=SENT_TTL)
    flash(t("broadcasts.sent", ref=broadcast_id), "ok")
    return redirect(url_for("console.broadcast_page", broadcast_id=broadcast_id))
