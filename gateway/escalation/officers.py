"""Who is paged for an alert at each level of the ladder, from the directory."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.keywords import normalise
from gateway.models import Alert, Contact, District, Notification, Role

LEVELS = (1, 2, 3)


def officers_for(session: Session, level: int, district_id: int | None, region: str | None) -> list[Contact]:
    """Active officers of a level: 1 → the district's duty officers, 2 → the region's coordinators, 3 → head office.

    An officer who sent STOP is still paged: they can be replaced in the directory, not silenced by one SMS."""
    query = select(Contact).where(
        Contact.role == Role.OFFICER,
        Contact.escalation_level == level,
        Contact.active.is_(True),
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
    return officers_for(session, level, alert.district_id, alert_region(alert))


def alert_region(alert: Alert) -> str | None:
    """The alert's region: its own, or its district's."""
    return alert.region or (alert.district.region if alert.district else None)


def same_region(a: str | None, b: str | None) -> bool:
    """Region names as in the directory, compared without regard to case or accents (`Ségou` = `SEGOU`)."""
    return bool(a and b) and normalise(a) == normalise(b)


def in_scope(session: Session, officer: Contact, alert: Alert) -> bool:
    """May this officer act on this alert: level 1 its district, level 2 its region, level 3 all, or paged for it."""
    level = officer.escalation_level or 1
    if level >= 3:
        return True
    if level == 2 and same_region(officer.region, alert_region(alert)):
        return True
    if level == 1 and officer.district_id is not None and officer.district_id == alert.district_id:
        return True
    paged = select(Notification.id).where(Notification.alert_id == alert.id, Notification.officer_id == officer.id)
    return session.scalar(paged.limit(1)) is not None


def coordinators_of(session: Session, contact: Contact) -> list[Contact]:
    """Who can replace a staff member: their region's level-2 officers, else head office (never themselves)."""
    region = contact.region or (contact.district.region if contact.district else None)
    for level in (2, 3):
        people = [o for o in officers_for(session, level, None, region) if o.id != contact.id]
        if people:
            return people
    return []


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
