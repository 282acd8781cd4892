"""Who is paged for an alert at each level of the ladder, from the directory."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.models import Alert, Contact, District, Role

LEVELS = (1, 2, 3)


def officers_for(session: Session, level: int, district_id: int | None, region: str | None) -> list[Contact]:
    """Active officers of a level: 1 → the district's duty officers, 2 → the region's coordinators, 3 → head office."""
    query = select(Contact).where(
        Contact.role == Role.OFFICER,
        Contact.escalation_level == level,
        Contact.active.is_(True),
        Contact.opted_out.is_(False),
    )
    if level == 1:
        if district_id is None:
            return []
        query = query.where(Contact.district_id == district_id)
    elif level == 2:
        if not region:
            return []
        query = query.where(func.lower(Contact.region) == region.lower())
    return list(session.scalars(query.order_by(Contact.id)))


def officers_for_alert(session: Session, alert: Alert, level: int) -> list[Contact]:
    """The officers of one level for an alert's district and region."""
    region = alert.region or (alert.district.region if alert.district else None)
    return officers_for(session, level, alert.district_id, region)


def first_staffed_level(session: Session, alert: Alert, above: int = 0) -> int | None:
    """The lowest level above `above` that has at least one officer for this alert."""
    return next((lvl for lvl in LEVELS if lvl > above and officers_for_alert(session, alert, lvl)), None)


def paging_table(session: Session, telegram_enabled: bool) -> list[dict]:
    """For each district and level, who would be paged and on which channels (for `gateway officers`)."""
    rows = []
    for district in session.scalars(select(District).order_by(District.code)):
        for level in LEVELS:
            for officer in officers_for(session, level, district.id, district.region):
                telegram = telegram_enabled and officer.telegram_id and not officer.telegram_unreachable
                channels = ["sms"] + (["telegram"] if telegram else [])
                rows.append(
                    {
                        "district": district.code,
                        "level": level,
                        "officer": officer.name,
                        "region": officer.region or "",
                        "channels": "+".join(channels),
                    }
                )
    return rows
