"""The directory in the console: the contacts of the user's scope, searched and filtered, a page at a time, and
their CSV export (the import format; numbers only for the roles that see them). The observer never sees
identities: every directory page answers it 403."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, g, render_template, request
from sqlalchemy import func, select

from gateway.console import console, login_required, runtime
from gateway.core import audit
from gateway.core.privacy import mask_address, mask_phone_numbers
from gateway.directory import search
from gateway.directory.export import write_contacts
from gateway.models import Contact
from gateway.staff.roles import PHONE_ROLES, StaffRole

PAGE_SIZE = 50
MAX_PAGE = 100_000


def directory_reader() -> None:
    """403 for the observer, who may count things but never see who is in the directory."""
    if g.scope.role == StaffRole.OBSERVER:
        abort(403)


def sees_numbers() -> bool:
    """Whether the user sees contacts' numbers and Telegram ids in full (admin, coordinator)."""
    return g.scope.role in PHONE_ROLES


def shown_phone(contact: Contact) -> str:
    """The number as this user may see it."""
    return contact.phone if sees_numbers() else mask_address(contact.phone)


def shown_telegram(contact: Contact) -> str:
    """The Telegram id as this user may see it ('' when none)."""
    if contact.telegram_id is None:
        return ""
    return str(contact.telegram_id) if sees_numbers() else mask_address(contact.telegram_id)


def _row(contact: Contact) -> dict:
    return {
        "id": contact.id,
        "name": contact.name,
        "phone": shown_phone(contact),
        "role": contact.role,
        "district": contact.district.code if contact.district else "",
        "commune": contact.commune or "",
        "language": contact.language,
        "channel": contact.channel,
        "telegram": contact.telegram_id is not None,
        "opted_out": contact.opted_out,
        "sms_unreachable": contact.sms_unreachable,
        "telegram_unreachable": contact.telegram_unreachable,
        "active": contact.active,
    }


def _page(text: str) -> int:
    if not text:
        return 1
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        abort(400, description="page: a whole number from 1")
    return int(text)


@console.route("/contacts")
@login_required
def contacts():
    """The directory of the user's scope: search, filters, PAGE_SIZE contacts a page, by name."""
    directory_reader()
    page = _page(request.args.get("page", "").strip())
    with runtime().db.sessions() as db:
        districts = search.scope_district_codes(db, g.scope)
        filters, bad = search.read_filters(request.args, districts)
        query = search.filtered_contacts(db, g.scope, filters)
        total = db.scalar(select(func.count()).select_from(query.subquery()))
        ordered = query.order_by(func.lower(Contact.name), Contact.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        rows = [_row(contact) for contact in db.scalars(ordered)]
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "more": page * PAGE_SIZE < total,
        "filters": filters,
        "bad": bad,
        "districts": districts,
        "choices": search,
        "may_edit": g.scope.role == StaffRole.ADMIN,
    }
    return render_template("console/contacts.html", **context), 400 if bad else 200


@console.route("/contacts/export.csv")
@login_required
def contacts_export():
    """The listed contacts (scope and filters) as CSV in the import format; audited before it leaves."""
    directory_reader()
    identity = sees_numbers()
    with runtime().db.transaction() as db:
        districts = search.scope_district_codes(db, g.scope)
        filters, bad = search.read_filters(request.args, districts)
        if bad:
            abort(400, description="unknown filter value: " + ", ".join(bad))
        query = search.filtered_contacts(db, g.scope, filters).order_by(Contact.id)
        found = list(db.scalars(query))
        text = write_contacts(found, identity=identity)
        shown = ", ".join(f"{k}={v}" for k, v in filters.args().items())
        detail = f"{len(found)} contacts, {'with' if identity else 'without'} numbers" + (f"; {shown}" if shown else "")
        # Recorded in the transaction of the read: no export leaves without its audit row.
        audit.record(db, g.scope.email, "contacts_export", "directory", mask_phone_numbers(detail)[:500])
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="directory-{stamp}.csv"'},
    )
