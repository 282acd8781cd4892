"""The directory CSV written out (the import format, gateway.directory.import_export), every cell neutralised
against spreadsheet formulas; the identity columns (phone, telegram_id) left out for roles that may not see them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.core.untrusted import csv_row
from gateway.directory.import_export import COLUMNS, OPTIONAL_COLUMNS
from gateway.models import Contact

IDENTITY_COLUMNS = ("phone", "telegram_id")


def export_columns(identity: bool) -> tuple[str, ...]:
    """The header: every column of the import format, without phone and telegram_id unless `identity`."""
    columns = COLUMNS + OPTIONAL_COLUMNS
    return columns if identity else tuple(c for c in columns if c not in IDENTITY_COLUMNS)


def profile_cells(contact: Contact) -> dict[str, object]:
    """The contact's role, place, language, channel and escalation level as the directory shows them ("" for none):
    the columns of the export that are no identity, and the facts of the console's contact page."""
    return {
        "role": contact.role,
        "region": contact.region or "",
        "district": contact.district.code if contact.district else "",
        "commune": contact.commune or "",
        "village": contact.village or "",
        "language": contact.language,
        "channel": contact.channel,
        "escalation_level": contact.escalation_level or "",
    }


def _cells(contact: Contact) -> dict[str, object]:
    return {
        "name": contact.name,
        "phone": contact.phone,
        "telegram_id": contact.telegram_id or "",
        **profile_cells(contact),
        "discreet": "yes" if contact.discreet else "",
    }


def write_contacts(contacts: Iterable[Contact], identity: bool = True) -> str:
    """CSV text of these contacts; a name like `=HYPERLINK(…)` comes out as `'=HYPERLINK(…)`, a number `+223…` as
    `'+223…` (read_rows takes the apostrophe off again, so an export imports back unchanged)."""
    columns = export_columns(identity)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for contact in contacts:
        cells = _cells(contact)
        writer.writerow(csv_row(cells[column] for column in columns))
    return out.getvalue()


def export_rows(session: Session) -> str:
    """The whole directory as CSV text in the import format, with its numbers (the CLI's `gateway contacts
    export`)."""
    return write_contacts(session.scalars(select(Contact).order_by(Contact.id)), identity=True)
