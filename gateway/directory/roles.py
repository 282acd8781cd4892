"""Who holds a role in a district: the people a district's notices go to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Contact, Role


def facilitators_of(session: Session, district_id: int) -> list[Contact]:
    """The district's active facilitators who still want our messages."""
    return list(
        session.scalars(
            select(Contact).where(
                Contact.district_id == district_id,
                Contact.role == Role.FACILITATOR,
                Contact.active.is_(True),
                Contact.opted_out.is_(False),
            )
        )
    )
