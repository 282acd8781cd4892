"""Reading roadmaps: references (`R12`), filters, the overdue query, progress counts and the alerts about an item."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gateway.models import Alert, District, RoadmapItem, RoadmapStatus, ServiceKind, utcnow

# The alert category of "school, health centre or public service closed" (flows/definitions.py).
SERVICE_DISRUPTION = "service_disruption"
# Keys of progress_counts, in the order a chart stacks them.
PROGRESS_KEYS = ("done", "in_progress", "stalled", "overdue", "planned", "reversed")

_REFERENCE = re.compile(r"#?\s*[rR]?\s*(\d{1,9})")


def fold(text: str | None) -> str:
    """A name compared without regard to case, accents or repeated spaces (`Djenné ` == `DJENNE`)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(bare.split())


def ref(item_id: int) -> str:
    """The reference staff quote for an item: `R12`."""
    return f"R{item_id}"


def parse_ref(text: str | None) -> int | None:
    """The item id in `R12`, `r12`, `#R12` or `12`; None for anything else."""
    found = _REFERENCE.fullmatch((text or "").strip())
    return int(found.group(1)) if found else None


def local_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date where the districts live (settings.timezone): a due date passes at local midnight."""
    return (now or utcnow()).astimezone(ZoneInfo(timezone)).date()


def is_overdue(item: RoadmapItem, today: date) -> bool:
    """Due date passed and not done."""
    return item.due is not None and item.due < today and item.status != RoadmapStatus.DONE


def _overdue_clause(today: date):
    return (RoadmapItem.due.is_not(None)) & (RoadmapItem.due < today) & (RoadmapItem.status != RoadmapStatus.DONE)


def items_query(
    district_ids: Iterable[int] | None = None,
    status: str | None = None,
    overdue_on: date | None = None,
) -> Select:
    """Items ordered by district, commune and id (the file's order); `district_ids` None means every district,
    `overdue_on` keeps only the items overdue on that day."""
    query = select(RoadmapItem)
    if district_ids is not None:
        query = query.where(RoadmapItem.district_id.in_(list(district_ids)))
    if status is not None:
        query = query.where(RoadmapItem.status == status)
    if overdue_on is not None:
        query = query.where(_overdue_clause(overdue_on))
    return query.order_by(RoadmapItem.district_id, RoadmapItem.commune, RoadmapItem.id)


def overdue_items(session: Session, today: date, district_ids: Iterable[int] | None = None) -> list[RoadmapItem]:
    """Items whose due date is before `today` (local) and that are not done, oldest due date first."""
    query = select(RoadmapItem).where(_overdue_clause(today))
    if district_ids is not None:
        query = query.where(RoadmapItem.district_id.in_(list(district_ids)))
    return list(session.scalars(query.order_by(RoadmapItem.due, RoadmapItem.id)))


def progress_counts(session: Session, district_id: int, today: date) -> dict[str, int]:
    """A district's items counted once each: `overdue` takes the items past due and not done whatever their status,
    the other keys count the rest by status (so the six numbers add up to the roadmap's size)."""
    counts = dict.fromkeys(PROGRESS_KEYS, 0)
    overdue = _overdue_clause(today)
    rows = session.execute(
        select(RoadmapItem.status, overdue.label("late"), func.count())
        .where(RoadmapItem.district_id == district_id)
        .group_by(RoadmapItem.status, overdue)
    )
    for status, late, number in rows:
        key = "overdue" if late else str(status)
        counts[key] = counts.get(key, 0) + number
    return counts


def alerts_about(session: Session, item: RoadmapItem, query: Select | None = None) -> list[Alert]:
    """Alerts of category service disruption in the item's district and commune (and village when the item has
    one), newest first; `query` lets the caller limit them to a staff scope first."""
    query = query if query is not None else select(Alert)
    query = query.where(Alert.category == SERVICE_DISRUPTION, Alert.district_id == item.district_id)
    candidates = session.scalars(query.order_by(Alert.created_at.desc(), Alert.id.desc()))
    # Places are typed by leaders and staff: compared folded, in Python (SQLite and PostgreSQL fold differently).
    return [
        alert
        for alert in candidates
        if fold(alert.commune) == fold(item.commune) and (not item.village or fold(alert.village) == fold(item.village))
    ]


def find_district_in(districts: Iterable[District], text: str | None) -> District | None:
    """The district whose code or name is `text`, compared folded (`djenne`, `Djenné`, `DJENNE`)."""
    wanted = fold(text)
    if not wanted:
        return None
    return next((d for d in districts if wanted in (fold(d.code), fold(d.name))), None)


def find_district(session: Session, text: str | None) -> District | None:
    """The stored district whose code or name is `text` (see find_district_in)."""
    return find_district_in(session.scalars(select(District)), text)


def statuses() -> list[str]:
    """Every status, in the CSV's words."""
    return [s.value for s in RoadmapStatus]


def is_status(value: str | None) -> bool:
    """Whether `value` is a roadmap status."""
    return value in statuses()


def as_record(item: RoadmapItem, today: date) -> dict:
    """An item as the CLI's JSON and the API show it (no reporter: roadmaps name none)."""
    return {
        "ref": ref(item.id),
        "district": item.district.code,
        "commune": item.commune,
        "village": item.village,
        "service": item.service,
        "commitment": item.commitment,
        "responsible": item.responsible,
        "due": item.due.isoformat() if item.due else None,
        "status": item.status,
        "overdue": is_overdue(item, today),
    }


def tracked_services(session: Session, district_ids: Iterable[int] | None = None) -> dict[tuple[int, str], list[str]]:
    """(district id, commune) → the services its roadmap items track, in ServiceKind's order (the pulse's): every
    item makes its service tracked in its commune, whatever its status."""
    query = select(RoadmapItem.district_id, RoadmapItem.commune, RoadmapItem.service).distinct()
    if district_ids is not None:
        query = query.where(RoadmapItem.district_id.in_(list(district_ids)))
    order = {kind.value: n for n, kind in enumerate(ServiceKind)}
    tracked: dict[tuple[int, str], list[str]] = {}
    for district_id, commune, service in session.execute(query):
        tracked.setdefault((district_id, commune), []).append(service)
    return {place: sorted(services, key=lambda s: order.get(s, len(order))) for place, services in tracked.items()}
