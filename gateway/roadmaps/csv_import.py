"""The roadmap CSV: validate a whole file against the districts, then upsert items by their natural key in one
transaction (the directory import's rules: every bad line reported, nothing written unless all are valid)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.core.untrusted import from_csv_cell, read_csv_table
from gateway.directory.import_export import RowError
from gateway.models import Contact, District, RoadmapItem, RoadmapStatus, RoadmapStatusChange, ServiceKind
from gateway.roadmaps.items import find_district_in, fold

COLUMNS = ("district", "commune", "village", "service", "commitment", "responsible", "due", "status")
# The actor of the history rows an import writes.
IMPORT_ACTOR = "import"
# French words a spreadsheet may use for a service, folded.
SERVICE_ALIASES = {
    "ecole": ServiceKind.SCHOOL,
    "sante": ServiceKind.HEALTH,
    "securite": ServiceKind.SECURITY,
    "eau": ServiceKind.WATER,
    "marche": ServiceKind.MARKET,
    "autre": ServiceKind.OTHER,
}
# Longest cells the columns hold (the model's sizes; a commitment is a sentence, not a report).
MAX_LENGTH = {"commune": 120, "village": 120, "responsible": 200, "commitment": 1000}


class RoadmapFileError(ValueError):
    """The file as a whole is unusable (empty, wrong columns)."""


@dataclass(frozen=True)
class ItemRow:
    """One valid line of the file, normalised."""

    line: int
    district_id: int
    commune: str
    village: str | None
    service: str
    commitment: str
    responsible: str | None
    due: date | None
    status: str | None  # None: the cell was empty (planned for a new item; an existing item keeps its status)
    natural_key: str


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    # Communes no contact of the directory lives in: imported, but no leader will be asked about them.
    unknown_communes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of items in the file."""
        return self.created + self.updated + self.unchanged


def natural_key(district_code: str, commune: str, village: str | None, service: str, commitment: str) -> str:
    """sha256 of the folded district, commune, village, service and commitment: the same line imported twice is the
    same item, whatever its case, accents or spacing."""
    parts = [fold(district_code), fold(commune), fold(village), fold(service), fold(commitment)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def read_rows(text: str) -> list[dict[str, str]]:
    """Parse the CSV text (comma or semicolon separated, as spreadsheets write it) and check its columns."""
    rows = []
    for line, raw in read_csv_table(text, COLUMNS, error=RoadmapFileError):
        if raw is None:
            rows.append({"__line__": str(line), "__error__": "more cells than columns"})
            continue
        row = {k: " ".join(from_csv_cell((v or "").strip()).split()) for k, v in raw.items()}
        row["__line__"] = str(line)
        if any(row.get(c) for c in COLUMNS):
            rows.append(row)
    return rows


def _service(cell: str) -> str | None:
    folded = fold(cell)
    if folded in {s.value for s in ServiceKind}:
        return folded
    alias = SERVICE_ALIASES.get(folded)
    return alias.value if alias else None


def _status(cell: str) -> str | None:
    folded = fold(cell).replace(" ", "_").replace("-", "_")
    return folded if folded in {s.value for s in RoadmapStatus} else None


def _due(cell: str) -> date | None:
    if len(cell) != 10:
        raise ValueError(cell)
    return date.fromisoformat(cell)


def validate_row(row: dict[str, str], districts: list[District]) -> ItemRow | RowError:
    """Normalise one line or say why it is refused."""
    line = int(row["__line__"])
    if "__error__" in row:
        return RowError(line, row["__error__"])
    district = find_district_in(districts, row["district"])
    if district is None:
        known = ", ".join(sorted(d.code for d in districts)) or "none imported yet"
        return RowError(line, f"unknown district {row['district']!r} (known: {known})")
    if not row["commune"]:
        return RowError(line, "commune is empty")
    if not row["commitment"]:
        return RowError(line, "commitment is empty")
    for column, limit in MAX_LENGTH.items():
        if len(row[column]) > limit:
            return RowError(line, f"{column} is longer than {limit} characters")
    service = _service(row["service"])
    if service is None:
        known = ", ".join(s.value for s in ServiceKind)
        return RowError(line, f"service {row['service']!r} is not one of {known}")
    due = None
    if row["due"]:
        try:
            due = _due(row["due"])
        except ValueError:
            return RowError(line, f"due {row['due']!r} is not a date YYYY-MM-DD")
    status = None
    if row["status"]:
        status = _status(row["status"])
        if status is None:
            known = ", ".join(s.value for s in RoadmapStatus)
            return RowError(line, f"status {row['status']!r} is not one of {known} (or empty: planned)")
    village = row["village"] or None
    return ItemRow(
        line=line,
        district_id=district.id,
        commune=row["commune"],
        village=village,
        service=service,
        commitment=row["commitment"],
        responsible=row["responsible"] or None,
        due=due,
        status=status,
        natural_key=natural_key(district.code, row["commune"], village, service, row["commitment"]),
    )


def validate(session: Session, rows: list[dict[str, str]]) -> tuple[list[ItemRow], list[RowError]]:
    """Validate every line against the stored districts, duplicates within the file included."""
    districts = list(session.scalars(select(District)))
    valid: list[ItemRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row in rows:
        result = validate_row(row, districts)
        if isinstance(result, RowError):
            errors.append(result)
        elif result.natural_key in seen:
            errors.append(RowError(result.line, f"same commitment as line {seen[result.natural_key]} (duplicate)"))
        else:
            seen[result.natural_key] = result.line
            valid.append(result)
    return valid, errors


def _directory_communes(session: Session) -> dict[tuple[int, str], str]:
    """(district id, folded commune) → the directory's spelling of the commune."""
    pairs = session.execute(select(Contact.district_id, Contact.commune).where(Contact.commune.is_not(None)))
    return {(district_id, fold(commune)): commune for district_id, commune in pairs if district_id is not None}


def apply_rows(session: Session, rows: list[ItemRow]) -> ImportReport:
    """Upsert the validated rows by natural key; a status changed by the file is recorded in the history."""
    report = ImportReport()
    stored = {item.natural_key: item for item in session.scalars(select(RoadmapItem))}
    communes = _directory_communes(session)
    unknown: set[str] = set()
    for row in rows:
        # The directory's spelling wins, so that the pulse finds the leaders of the commune by name.
        commune = communes.get((row.district_id, fold(row.commune)))
        if commune is None:
            unknown.add(row.commune)
        values = dict(
            commune=commune or row.commune,
            village=row.village,
            service=row.service,
            commitment=row.commitment,
            responsible=row.responsible,
            due=row.due,
        )
        item = stored.get(row.natural_key)
        if item is None:
            status = row.status or RoadmapStatus.PLANNED
            item = RoadmapItem(natural_key=row.natural_key, district_id=row.district_id, status=status, **values)
            session.add(item)
            item.history.append(RoadmapStatusChange(status=status, previous=None, actor=IMPORT_ACTOR))
            stored[row.natural_key] = item
            report.created += 1
            continue
        status_changed = row.status is not None and row.status != item.status
        if not status_changed and all(getattr(item, k) == v for k, v in values.items()):
            report.unchanged += 1
            continue
        for key, value in values.items():
            setattr(item, key, value)
        if status_changed:
            item.history.append(RoadmapStatusChange(status=row.status, previous=item.status, actor=IMPORT_ACTOR))
            item.status = row.status
            report.status_changes += 1
        report.updated += 1
    report.unknown_communes = sorted(unknown, key=fold)
    return report
