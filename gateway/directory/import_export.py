"""The directory CSV: validate a whole file, then upsert contacts by phone in one transaction (gateway.directory.
export writes it back).
The last column, `discreet`, is optional (files written before it still import)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.core.untrusted import from_csv_cell, read_csv_table
from gateway.directory.phones import InvalidPhone, to_e164
from gateway.models import Contact, District, Language, PreferredChannel, Role

COLUMNS = (
    "name",
    "phone",
    "telegram_id",
    "role",
    "region",
    "district",
    "commune",
    "village",
    "language",
    "channel",
    "escalation_level",
)
# Columns a file may leave out. `discreet`: `yes`/`oui` turns discreet mode on, `no`/`non` off; an empty cell (or no
# column) leaves a stored contact's setting alone, so an old spreadsheet never undoes a leader's own DISCRET.
OPTIONAL_COLUMNS = ("discreet",)
DISCREET_VALUES = {"yes": True, "oui": True, "no": False, "non": False}

# Columns that never begin with an apostrophe: a leading one is always the neutralising mark of an export.
UNQUOTED_COLUMNS = ("phone", "telegram_id")


class DirectoryError(ValueError):
    """The file as a whole is unusable (wrong columns, unreadable)."""


@dataclass(frozen=True)
class RowError:
    """Why one line of the file was refused."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ContactRow:
    """One valid line of the file, normalised."""

    line: int
    name: str
    phone: str
    telegram_id: int | None
    role: str
    region: str | None
    district: str | None
    commune: str | None
    village: str | None
    language: str
    channel: str
    escalation_level: int | None
    discreet: bool | None = None  # None: not said (the stored setting stays)


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    districts_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of contacts in the file."""
        return self.created + self.updated + self.unchanged


def _fold(text: str) -> str:
    """Upper-case ASCII form used to compare district codes and names (`Djenné` → `DJENNE`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper().strip()


def read_rows(text: str) -> list[dict[str, str]]:
    """Parse the CSV text (comma or semicolon separated, as spreadsheets write it) and check its columns."""
    rows = []
    for line, raw in read_csv_table(text, COLUMNS, OPTIONAL_COLUMNS, DirectoryError):
        if raw is None:
            rows.append({"__line__": str(line), "__error__": "more cells than columns"})
            continue
        # Undo export_rows' formula neutralising: `'+22376…` is the number +22376….
        row = {k: from_csv_cell((v or "").strip(), always=k in UNQUOTED_COLUMNS) for k, v in raw.items()}
        row["__line__"] = str(line)
        if any(row.get(c) for c in COLUMNS + OPTIONAL_COLUMNS):
            rows.append(row)
    return rows


def _optional(value: str) -> str | None:
    return value or None


def validate_row(row: dict[str, str]) -> ContactRow | RowError:
    """Normalise one line or say why it is refused."""
    line = int(row["__line__"])
    if "__error__" in row:
        return RowError(line, row["__error__"])
    if not row["name"]:
        return RowError(line, "name is empty")
    try:
        phone = to_e164(row["phone"])
    except InvalidPhone as exc:
        return RowError(line, f"phone {row['phone']!r}: {exc}")
    telegram_id = None
    if row["telegram_id"]:
        if not row["telegram_id"].isdigit():
            return RowError(line, f"telegram_id {row['telegram_id']!r} is not a number")
        telegram_id = int(row["telegram_id"])
    role = row["role"].lower()
    if role not in {r.value for r in Role}:
        return RowError(line, f"role {row['role']!r} is not one of leader, facilitator, officer")
    language = (row["language"] or Language.FR).lower()
    if language not in {lang.value for lang in Language}:
        return RowError(line, f"language {row['language']!r} is not one of fr, en, bm, ff")
    channel = (row["channel"] or PreferredChannel.SMS).lower()
    if channel not in {c.value for c in PreferredChannel}:
        return RowError(line, f"channel {row['channel']!r} is not one of sms, telegram")
    district = _fold(row["district"]) or None
    region = _optional(row["region"])
    level = None
    if row["escalation_level"]:
        if role != Role.OFFICER:
            return RowError(line, "escalation_level is only for officers")
        if row["escalation_level"] not in ("1", "2", "3"):
            return RowError(line, f"escalation_level {row['escalation_level']!r} is not 1, 2 or 3")
        level = int(row["escalation_level"])
    elif role == Role.OFFICER:
        level = 1 if district else 2 if region else 3
    if level == 1 and not district:
        return RowError(line, "a level-1 officer needs a district")
    if level == 2 and not region:
        return RowError(line, "a level-2 officer needs a region")
    if role in (Role.LEADER, Role.FACILITATOR) and not district:
        return RowError(line, f"a {role} needs a district")
    discreet_cell = row.get("discreet", "")
    discreet = DISCREET_VALUES.get(discreet_cell.lower()) if discreet_cell else None
    if discreet_cell and discreet is None:
        return RowError(line, f"discreet {discreet_cell!r} is not yes, oui, no, non or empty")
    return ContactRow(
        line=line,
        name=row["name"],
        phone=phone,
        telegram_id=telegram_id,
        role=role,
        region=region,
        district=district,
        commune=_optional(row["commune"]),
        village=_optional(row["village"]),
        language=language,
        channel=channel,
        escalation_level=level,
        discreet=discreet,
    )


def validate(rows: list[dict[str, str]]) -> tuple[list[ContactRow], list[RowError]]:
    """Validate every line, including duplicates within the file and districts split across regions."""
    valid: list[ContactRow] = []
    errors: list[RowError] = []
    phones: dict[str, int] = {}
    telegram_ids: dict[int, int] = {}
    regions: dict[str, tuple[str | None, int]] = {}
    for row in rows:
        result = validate_row(row)
        if isinstance(result, RowError):
            errors.append(result)
            continue
        if result.phone in phones:
            errors.append(RowError(result.line, f"same phone as line {phones[result.phone]}"))
            continue
        if result.telegram_id is not None and result.telegram_id in telegram_ids:
            errors.append(RowError(result.line, f"same telegram_id as line {telegram_ids[result.telegram_id]}"))
            continue
        if result.district:
            seen_region, seen_line = regions.setdefault(result.district, (result.region, result.line))
            if seen_region != result.region:
                errors.append(
                    RowError(result.line, f"district {result.district} is in region {seen_region} on line {seen_line}")
                )
                continue
        phones[result.phone] = result.line
        if result.telegram_id is not None:
            telegram_ids[result.telegram_id] = result.line
        valid.append(result)
    return valid, errors


def _district_name(code: str, rows: Iterable[ContactRow]) -> str:
    # The file only carries codes; a commune spelled like the code gives the proper name ("DJENNE" → "Djenné").
    for row in rows:
        if row.district == code and row.commune and _fold(row.commune) == code:
            return row.commune
    return code.title()


def apply_rows(session: Session, rows: list[ContactRow], progress: Callable[[int], None] | None = None) -> ImportReport:
    """Upsert the validated rows by phone. Raises nothing; conflicts with stored contacts become errors."""
    report = ImportReport()
    districts = {d.code: d for d in session.scalars(select(District))}
    for code in sorted({r.district for r in rows if r.district} - set(districts)):
        region = next(r.region for r in rows if r.district == code)
        districts[code] = District(code=code, name=_district_name(code, rows), region=region)
        session.add(districts[code])
        report.districts_created.append(code)
    by_phone = {c.phone: c for c in session.scalars(select(Contact))}
    by_telegram = {c.telegram_id: c for c in by_phone.values() if c.telegram_id is not None}
    file_phones = {r.phone for r in rows}
    # Telegram ids moving between contacts of the file (a swap) must be released before they are re-assigned,
    # or the unique constraint trips half-way through.
    moving = [
        by_phone[r.phone]
        for r in rows
        if r.phone in by_phone and by_phone[r.phone].telegram_id not in (None, r.telegram_id)
    ]
    for contact in moving:
        contact.telegram_id = None
    if moving:
        session.flush()
    for row in rows:
        owner = by_telegram.get(row.telegram_id) if row.telegram_id is not None else None
        if owner is not None and owner.phone != row.phone and owner.phone not in file_phones:
            report.errors.append(RowError(row.line, "telegram_id already belongs to another contact"))
            continue
        values = dict(
            name=row.name,
            telegram_id=row.telegram_id,
            role=row.role,
            region=row.region,
            district=districts.get(row.district) if row.district else None,
            commune=row.commune,
            village=row.village,
            language=row.language,
            channel=row.channel,
            escalation_level=row.escalation_level,
        )
        if row.discreet is not None:
            values["discreet"] = row.discreet
        contact = by_phone.get(row.phone)
        if contact is None:
            session.add(Contact(phone=row.phone, opted_out=False, active=True, **{"discreet": False, **values}))
            report.created += 1
        elif any(getattr(contact, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(contact, key, value)
            contact.active = True
            report.updated += 1
        else:
            report.unchanged += 1
        if progress:
            progress(1)
    return report
