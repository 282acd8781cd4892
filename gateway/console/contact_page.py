"""One contact of the directory: who they are (numbers in full only for admin and coordinators), why a channel
does not reach them, in words; and for the admin the edit form, deactivate / reactivate, and a Telegram link code
with its QR code. Every change is audited."""

from __future__ import annotations

import segno
from flask import abort, flash, g, redirect, render_template, request, url_for

from bots.twilio_sms import ERRORS as TWILIO_ERRORS
from flows import catalogue
from gateway.console import console, login_required, runtime
from gateway.console.contacts import directory_reader, shown_phone, shown_telegram
from gateway.console.texts import t
from gateway.core import audit
from gateway.core.privacy import mask_address
from gateway.directory import search
from gateway.directory.edit import ContactEditError, apply_change, read_change, set_active
from gateway.directory.export import profile_cells
from gateway.directory.telegram_identity import LINK_CODE_TTL_SECONDS, create_link_code
from gateway.models import Contact, Language, PreferredChannel, Role
from gateway.staff.roles import StaffRole

MAX_ID = 2**31 - 1
# Provider codes with an explanation of their own in the console's texts (`reach.sms.<code>`).
EXPLAINED_SMS = frozenset({"21610", "21612", "21614", "30006"})
FORM_FIELDS = ("name", "phone", "role", "district", "commune", "village", "language", "channel", "escalation_level")


def reachability(contact: Contact) -> list[str]:
    """Why the gateway cannot (or may not) write to this contact, one sentence each, in the user's language."""
    reasons = []
    if contact.opted_out:
        reasons.append(t("reach.opted_out"))
    if contact.sms_unreachable:
        code = contact.sms_unreachable_reason or ""
        if code in EXPLAINED_SMS:
            reasons.append(t(f"reach.sms.{code}"))
        else:
            meaning = TWILIO_ERRORS.get(code, {}).get("meaning", "")
            reasons.append(t("reach.sms.other", code=code or "?", meaning=meaning or "-"))
    if contact.telegram_unreachable:
        code = contact.telegram_unreachable_reason or ""
        key = "reach.telegram.forbidden" if code == "telegram:forbidden" else "reach.telegram.other"
        reasons.append(t(key, code=code or "?"))
    if not contact.active:
        reasons.append(t("reach.inactive"))
    return reasons


def language_note(language: str) -> str | None:
    """For a language whose texts a speaker reviews: how many are reviewed (the others are sent in French)."""
    if language in catalogue.REFERENCE_LANGUAGES:
        return None
    total = len(catalogue.load(catalogue.DEFAULT_LANGUAGE))
    return t("contact.language_reviewed", reviewed=len(catalogue.load(language)), total=total)


def _contact_id(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
        abort(404)
    return int(text)


def _visible(db, contact_id: str) -> Contact:
    contact = search.visible_contact(db, g.scope, _contact_id(contact_id))
    if contact is None:
        abort(404)  # unknown or outside the scope: the same answer
    return contact


def _admin() -> None:
    if g.scope.role != StaffRole.ADMIN:
        abort(403)


def _facts(contact: Contact) -> dict:
    return {
        "id": contact.id,
        "name": contact.name,
        "phone": shown_phone(contact),
        "telegram": shown_telegram(contact),
        **profile_cells(contact),
        "discreet": contact.discreet,
        "active": contact.active,
    }


def _render(db, contact: Contact, status: int = 200, error: ContactEditError | None = None, form=None, link=None):
    admin = g.scope.role == StaffRole.ADMIN
    facts = _facts(contact)
    values = dict(facts, phone=contact.phone) if admin else facts
    if form is not None:
        values = {**values, **{name: form.get(name, "") for name in FORM_FIELDS}}
        values["discreet"] = form.get("discreet") in ("1", "on", "yes")
    context = {
        "contact": facts,
        "values": values,
        "reasons": reachability(contact),
        "language_note": language_note(contact.language),
        "may_edit": admin,
        "error": error,
        "link": link,
        "districts": search.scope_district_codes(db, g.scope),
        "roles": [r.value for r in Role],
        "languages": [lang.value for lang in Language],
        "channels": [c.value for c in PreferredChannel],
    }
    return render_template("console/contact.html", **context), status


@console.route("/contacts/<contact_id>")
@login_required
def contact_page(contact_id: str):
    """One contact of the user's scope (404 otherwise)."""
    directory_reader()
    with runtime().db.sessions() as db:
        return _render(db, _visible(db, contact_id))


@console.route("/contacts/<contact_id>/edit", methods=["POST"])
@login_required
def contact_edit(contact_id: str):
    """The admin's edit: checked like a CSV line, the changed fields audited; a refusal shows the form again."""
    directory_reader()
    try:
        with runtime().db.transaction() as db:
            contact = _visible(db, contact_id)
            _admin()
            changed = apply_change(db, g.scope.email, contact, read_change(db, contact, request.form))
    except ContactEditError as exc:  # raised before anything was written; the transaction is rolled back
        with runtime().db.sessions() as db:
            return _render(db, _visible(db, contact_id), 400, error=exc, form=request.form)
    flash(t("contact.saved", fields=", ".join(changed)) if changed else t("contact.unchanged"), "ok")
    return redirect(url_for("console.contact_page", contact_id=contact_id))


@console.route("/contacts/<contact_id>/active", methods=["POST"])
@login_required
def contact_active(contact_id: str):
    """Deactivate (`active=0`) or reactivate (`active=1`); never a delete."""
    directory_reader()
    wanted = request.form.get("active")
    with runtime().db.transaction() as db:
        contact = _visible(db, contact_id)
        _admin()
        if wanted not in ("0", "1"):
            abort(400, description="active: 0 or 1")
        done = set_active(db, g.scope.email, contact, wanted == "1")
    if done:
        flash(t("contact.reactivated" if wanted == "1" else "contact.deactivated"), "ok")
    return redirect(url_for("console.contact_page", contact_id=contact_id))


@console.route("/contacts/<contact_id>/telegram-link", methods=["POST"])
@login_required
def contact_telegram_link(contact_id: str):
    """A one-time Telegram link code (as `gateway contacts telegram-link`) shown with a QR code to scan; the audit
    says for whom, never the code (it is a credential)."""
    directory_reader()
    with runtime().db.transaction() as db:
        contact = _visible(db, contact_id)
        _admin()
        audit.record(db, g.scope.email, "telegram_link_code", f"contact #{contact.id}", mask_address(contact.phone))
        # Created before the audit row commits: a Redis failure rolls the row back (no code, no record).
        code = create_link_code(runtime(), contact.id)
        command = f"/start {code}"
        qr = segno.make(command, error="m").svg_data_uri(scale=6, border=4, light="#fff")
        link = {"code": code, "command": command, "qr": qr, "days": LINK_CODE_TTL_SECONDS // 86400}
        return _render(db, contact, link=link)
