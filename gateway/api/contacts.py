"""`GET /api/v1/contacts`: the directory of the caller's scope, a page at a time (signed cursors, as the alerts),
filtered by district, commune, role, language, channel, opted_out, unreachable. `phone` and `telegram_id` only for
the roles that see numbers (admin, coordinator); the observer, who never sees identities, gets 403."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from gateway.api import ApiError, api, runtime
from gateway.api.openapi import _error, _json, _query, _ref, document
from gateway.api.pages import next_cursor, page_request
from gateway.directory import search
from gateway.models import Contact
from gateway.staff.roles import PHONE_ROLES, StaffRole

CURSOR_SALT = "gateway-api-contacts-cursor"
FILTERS = ("district", "commune", "role", "language", "channel", "opted_out", "unreachable")
# The API's yes/no filters take JSON-ish booleans too.
BOOLEANS = {"true": "yes", "false": "no", "yes": "yes", "no": "no", "1": "yes", "0": "no"}


def _filters(db, args) -> dict:
    """The filters given, checked against the caller's scope (422 naming a value that cannot match)."""
    given = {name: args[name].strip() for name in FILTERS if args.get(name, "").strip()}
    if "opted_out" in given:
        if given["opted_out"].lower() not in BOOLEANS:
            raise ApiError(422, "opted_out is true or false")
        given["opted_out"] = BOOLEANS[given["opted_out"].lower()]
    districts = search.scope_district_codes(db, g.scope)
    filters, bad = search.read_filters(given, districts)
    if bad:
        name = bad[0]
        choices = {
            "district": "a district code of your scope",
            "role": ", ".join(search.ROLES),
            "language": ", ".join(search.LANGUAGES),
            "channel": ", ".join(search.CHANNELS),
            "unreachable": ", ".join(search.UNREACHABLE),
        }.get(name, "true or false")
        raise ApiError(422, f"{name}: {given[name][:40]!r} is not one of: {choices}")
    filters.active = "all"  # the API lists deactivated contacts too, with `active`
    return filters.args()


def contact_object(contact: Contact, identity: bool) -> dict:
    """The contact as the API shows it; `phone` and `telegram_id` only when `identity`."""
    out = {
        "id": contact.id,
        "name": contact.name,
        "role": contact.role,
        "region": contact.region,
        "district": contact.district.code if contact.district else None,
        "commune": contact.commune,
        "village": contact.village,
        "language": contact.language,
        "channel": contact.channel,
        "escalation_level": contact.escalation_level,
        "telegram_linked": contact.telegram_id is not None,
        "opted_out": contact.opted_out,
        "sms_unreachable": contact.sms_unreachable,
        "sms_unreachable_reason": contact.sms_unreachable_reason,
        "telegram_unreachable": contact.telegram_unreachable,
        "telegram_unreachable_reason": contact.telegram_unreachable_reason,
        "active": contact.active,
    }
    if identity:
        out["phone"] = contact.phone
        out["telegram_id"] = contact.telegram_id
    return out


@api.get("/contacts")
def list_contacts():
    """Contacts of the caller's scope, by id, a page at a time."""
    if g.scope.role == StaffRole.OBSERVER:
        raise ApiError(403, "an observer never sees who is in the directory")
    identity = g.scope.role in PHONE_ROLES
    with runtime().db.transaction() as db:
        filters, limit, after = page_request(CURSOR_SALT, lambda: _filters(db, request.args))
        query = search.filtered_contacts(db, g.scope, search.ContactFilters(**filters), select(Contact))
        if after is not None:
            query = query.where(Contact.id > after)
        rows = list(db.scalars(query.order_by(Contact.id).limit(limit + 1)))
        page = rows[:limit]
        items = [contact_object(c, identity) for c in page]
    return jsonify(contacts=items, next=next_cursor(CURSOR_SALT, filters, rows, limit))


NULLABLE_TEXT = {"type": ["string", "null"]}
CONTACT = {
    "type": "object",
    "required": ["id", "name", "role", "district", "language", "channel", "opted_out", "active"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "role": {"type": "string", "enum": list(search.ROLES)},
        "region": NULLABLE_TEXT,
        "district": NULLABLE_TEXT,
        "commune": NULLABLE_TEXT,
        "village": NULLABLE_TEXT,
        "language": {"type": "string", "enum": list(search.LANGUAGES)},
        "channel": {"type": "string", "enum": list(search.CHANNELS)},
        "escalation_level": {"type": ["integer", "null"]},
        "telegram_linked": {"type": "boolean"},
        "opted_out": {"type": "boolean", "description": "the contact sent STOP"},
        "sms_unreachable": {"type": "boolean"},
        "sms_unreachable_reason": {**NULLABLE_TEXT, "description": "the provider's code, e.g. 21610 (unsubscribed)"},
        "telegram_unreachable": {"type": "boolean"},
        "telegram_unreachable_reason": {**NULLABLE_TEXT, "description": "telegram:forbidden: blocked the bot"},
        "active": {"type": "boolean"},
        "phone": {"type": "string", "description": "E.164; only for admin and coordinator"},
        "telegram_id": {"type": ["integer", "null"], "description": "only for admin and coordinator"},
    },
}
document(
    {
        "/api/v1/contacts": {
            "get": {
                "summary": "Contacts of the caller's scope, by id (phone and telegram_id for admin and coordinator)",
                "parameters": [
                    _query("district", {"type": "string"}, "district code of the caller's scope"),
                    _query("commune", {"type": "string"}, "commune name (case ignored)"),
                    _query("role", {"type": "string", "enum": list(search.ROLES)}, "contact role"),
                    _query("language", {"type": "string", "enum": list(search.LANGUAGES)}, "language"),
                    _query("channel", {"type": "string", "enum": list(search.CHANNELS)}, "preferred channel"),
                    _query("opted_out", {"type": "boolean"}, "sent STOP (true) or not (false)"),
                    _query("unreachable", {"type": "string", "enum": list(search.UNREACHABLE)}, "unreachable on"),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "page size"),
                    _query("cursor", {"type": "string"}, "the `next` of the previous page; it carries its filters"),
                ],
                "responses": {
                    "200": _json(_ref("ContactPage"), "a page"),
                    "400": _error("a cursor the API did not give (code bad_cursor)"),
                    "401": _error("no token, a bad or revoked token, a disabled account"),
                    "403": _error("an observer: it never sees who is in the directory"),
                    "422": _error("a filter that cannot match (a district outside the scope, an unknown role…)"),
                },
            }
        }
    },
    {
        "Contact": CONTACT,
        "ContactPage": {
            "type": "object",
            "required": ["contacts", "next"],
            "properties": {"contacts": {"type": "array", "items": _ref("Contact")}, "next": NULLABLE_TEXT},
        },
    },
)
