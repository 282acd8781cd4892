"""Changing one contact from the console: the same rules as a line of the directory CSV (gateway.directory.
import_export.validate_row: E.164 phone, roles, languages, channels, escalation levels), but a district must
already exist (the import may create one; a form typo must not). Deactivating never deletes: alerts keep their
reporter."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.core import audit
from gateway.core.privacy import mask_address
from gateway.directory.phones import InvalidPhone, to_e164
from gateway.models import Contact, District, Language, PreferredChannel, Role

# The fields of the console's edit form, in the order the audit lists them.
FIELDS = (
    "name",
    "phone",
    "role",
    "district",
    "commune",
    "village",
    "language",
    "channel",
    "escalation_level",
    "discreet",
)
MAX_LENGTHS = {"name": 200, "commune": 120, "village": 120}


class ContactEditError(ValueError):
    """A refused change: `code` names the reason (a console text `contacts.error.<code>`), `field` the field."""

    def __init__(self, code: str, field: str) -> None:
        super().__init__(f"{field}: {code}")
        self.code, self.field = code, field


@dataclass(frozen=True)
class ContactChange:
    """The values the form asks for, normalised."""

    name: str
    phone: str
    role: str
    district: District | None
    commune: str | None
    village: str | None
    language: str
    channel: str
    escalation_level: int | None
    discreet: bool


def _text(form, name: str) -> str:
    return " ".join((form.get(name) or "").split())


def read_change(session: Session, contact: Contact, form) -> ContactChange:
    """The form's values checked and normalised; ContactEditError for the first wrong one."""
    name = _text(form, "name")
    if not name:
        raise ContactEditError("name_empty", "name")
    for field, limit in MAX_LENGTHS.items():
        if len(_text(form, field)) > limit:
            raise ContactEditError("too_long", field)
    try:
        phone = to_e164(_text(form, "phone"))
    except InvalidPhone:
        raise ContactEditError("bad_phone", "phone") from None
    taken = session.scalar(select(Contact.id).where(Contact.phone == phone, Contact.id != contact.id))
    if taken is not None:
        raise ContactEditError("phone_taken", "phone")
    role = _text(form, "role").lower()
    if role not in {r.value for r in Role}:
        raise ContactEditError("bad_role", "role")
    language = _text(form, "language").lower()
    if language not in {lang.value for lang in Language}:
        raise ContactEditError("bad_language", "language")
    channel = _text(form, "channel").lower()
    if channel not in {c.value for c in PreferredChannel}:
        raise ContactEditError("bad_channel", "channel")
    code = _text(form, "district").upper()
    district = session.scalar(select(District).where(District.code == code)) if code else None
    if code and district is None:
        raise ContactEditError("unknown_district", "district")
    level = _level(_text(form, "escalation_level"), role, district, contact.region)
    if role in (Role.LEADER, Role.FACILITATOR) and district is None:
        raise ContactEditError("needs_district", "district")
    return ContactChange(
        name=name,
        phone=phone,
        role=role,
        district=district,
        commune=_text(form, "commune") or None,
        village=_text(form, "village") or None,
        language=language,
        channel=channel,
        escalation_level=level,
        discreet=form.get("discreet") in ("1", "on", "yes"),
    )


def _level(text: str, role: str, district: District | None, region: str | None) -> int | None:
    """The escalation level, by the import's rules: officers only; 1 needs a district, 2 a region."""
    if role != Role.OFFICER:
        if text:
            raise ContactEditError("level_only_officers", "escalation_level")
        return None
    if not text:
        return 1 if district else 2 if region else 3
    if text not in ("1", "2", "3"):
        raise ContactEditError("bad_level", "escalation_level")
    level = int(text)
    if level == 1 and district is None:
        raise ContactEditError("needs_district", "district")
    if level == 2 and not (district and district.region) and not region:
        raise ContactEditError("needs_region", "escalation_level")
    return level


def apply_change(session: Session, actor: str, contact: Contact, change: ContactChange) -> list[str]:
    """Write the change and audit the names of the fields that changed (a new number masked); [] when nothing did
    (then nothing is written, not even an audit row)."""
    current = {
        "name": contact.name,
        "phone": contact.phone,
        "role": contact.role,
        "district": contact.district_id,
        "commune": contact.commune,
        "village": contact.village,
        "language": contact.language,
        "channel": contact.channel,
        "escalation_level": contact.escalation_level,
        "discreet": bool(contact.discreet),
    }
    wanted = {**change.__dict__, "district": change.district.id if change.district else None}
    changed = [field for field in FIELDS if current[field] != wanted[field]]
    if not changed:
        return []
    for field in changed:
        if field == "district":
            contact.district = change.district
            if change.district is not None and change.district.region:
                contact.region = change.district.region  # a contact's region is its district's
        else:
            setattr(contact, field, getattr(change, field))
    detail = ", ".join(changed)
    if "phone" in changed:
        detail += f" (phone now {mask_address(change.phone)})"
        if contact.sms_unreachable:
            # What the provider said was about the old number (a typo, a changed SIM): the new one gets its chance.
            # A STOP the person sent (opted_out) is theirs, not the number's: it stays.
            contact.sms_unreachable, contact.sms_unreachable_reason = False, None
            detail += "; SMS reachable again"
    audit.record(session, actor, "contact_edit", f"contact #{contact.id}", detail)
    return changed


def set_active(session: Session, actor: str, contact: Contact, active: bool) -> bool:
    """Deactivate (no message goes to them any more; their alerts keep them as reporter) or reactivate; audited.
    False when it already was so (nothing written)."""
    if bool(contact.active) == active:
        return False
    contact.active = active
    audit.record(session, actor, "contact_reactivate" if active else "contact_deactivate", f"contact #{contact.id}")
    return True
