"""The message log (admins and coordinators): filters, newest first, a page at a time; bodies escaped and
shortened; numbers, chat ids and senders' names masked unless revealed for one message, with a reason (audited)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, g, render_template, request
from sqlalchemy.orm import Session, selectinload

from gateway.console import console, login_required, runtime
from gateway.core import audit
from gateway.core.privacy import mask_address, mask_phone_numbers
from gateway.messaging.message_log import (
    CHANNELS,
    DIRECTIONS,
    KINDS,
    LOG_ROLES,
    PAGE_SIZE,
    STATUSES,
    filtered,
    read_filters,
    scope_districts,
    visible_message,
)
from gateway.models import Contact, Message

EXCERPT = 120  # characters of a body shown in the list
MAX_REASON = 500  # as the alert page's reveal


def mask_name(name: str | None) -> str:
    """A sender's name reduced to each word's initial (`Awa Traoré` → `A••• T•••`): a name next to a body is an
    identity, shown only on a reveal. Fixed-length dots tell nothing of the name's length."""
    return " ".join(f"{word[0]}•••" for word in (name or "").split()) or "—"


def message_view(message: Message, revealed: bool = False, excerpt: bool = True) -> dict:
    """One message as the log shows it: masked unless `revealed`; a discreet contact's body only on a reveal."""
    contact = message.contact
    discreet = bool(contact is not None and contact.discreet)
    body = None
    if message.purged_at is None and message.body is not None and (revealed or not discreet):
        text = " ".join(message.body.split()) if excerpt else message.body
        body = text if not excerpt or len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
    return {
        "id": message.id,
        "at": message.created_at,
        "direction": message.direction,
        "channel": message.channel,
        "status": message.status,
        "kind": message.kind,
        "error_code": message.error_code or "",
        "address": (message.address or "—") if revealed else mask_address(message.address),
        "name": (contact.name if revealed else mask_name(contact.name)) if contact else None,
        "contact_id": contact.id if contact else None,
        "district": contact.district.code if contact and contact.district else "",
        "role": contact.role if contact else "",
        "purged": message.purged_at is not None,
        "discreet_hidden": discreet and not revealed and message.purged_at is None,
        "body": body,
    }


def _with_contacts(query):
    return query.options(selectinload(Message.contact).selectinload(Contact.district))


def _allowed() -> None:
    if g.scope.role not in LOG_ROLES:
        abort(403)


def _zone() -> ZoneInfo:
    return ZoneInfo(runtime().settings.timezone)


def _local(moment, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


@console.get("/messages")
@login_required
def message_log():
    """The log of the user's scope, PAGE_SIZE a page (`before=<id>`: the next page); 400 on a bad filter."""
    _allowed()
    zone = _zone()
    with runtime().db.sessions() as db:
        districts = scope_districts(db, g.scope)
        filters = read_filters(request.args, districts)
        rows = [] if filters.errors else [message_view(m) for m in db.scalars(_with_contacts(
            filtered(db, g.scope, filters, zone)))]  # fmt: skip
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    context = {
        "rows": rows,
        "filters": filters,
        "districts": districts,
        "choices": {"channel": CHANNELS, "direction": DIRECTIONS, "status": STATUSES, "kind": KINDS},
        "next_before": rows[-1]["id"] if more else None,
        "local": lambda moment: _local(moment, zone),
        "scoped_to_directory": g.scope.role != "admin",
    }
    return render_template("console/messages.html", **context), 400 if filters.errors else 200


def _render_one(db: Session, message: Message, revealed: bool, error: str | None = None, reason: str = ""):
    zone = _zone()
    view = message_view(message, revealed=revealed, excerpt=False)
    page = render_template(
        "console/message.html",
        message=view,
        revealed=revealed,
        error=error,
        reason=reason,
        max_reason=MAX_REASON,
        local=lambda moment: _local(moment, zone),
    )
    return page, 422 if error else 200


@console.get("/messages/<int:message_id>")
@login_required
def message_page(message_id: int):
    """One message of the scope, masked, with the form to reveal its number and sender; 404 outside the scope."""
    _allowed()
    with runtime().db.sessions() as db:
        message = visible_message(db, g.scope, message_id)
        if message is None:
            return render_template("console/not_found.html"), 404
        return _render_one(db, message, revealed=False)


@console.post("/messages/<int:message_id>/reveal")
@login_required
def reveal_message(message_id: int):
    """The message's full number, sender's name (and a discreet contact's body), in this response only, for a
    reason recorded in the audit log (masked there: the audit never holds a full number)."""
    _allowed()
    reason = " ".join("".join(ch if ch.isprintable() else " " for ch in request.form.get("reason", "")).split())
    with runtime().db.transaction() as db:
        message = visible_message(db, g.scope, message_id)
        if message is None:
            return render_template("console/not_found.html"), 404
        if not reason:
            return _render_one(db, message, revealed=False, error="messages.reason_needed")
        if len(reason) > MAX_REASON:
            return _render_one(db, message, revealed=False, error="messages.reason_too_long", reason=reason)
        audit.record(db, g.scope.email, "reveal_message", f"message:{message.id}", mask_phone_numbers(reason))
        return _render_one(db, message, revealed=True)
