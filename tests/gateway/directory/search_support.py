"""Helpers of the directory's tests: meetings of a district with answers, for "no answer to the last N notices"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.models import Contact, District, Invitation, Meeting, MeetingStatus, utcnow


def meetings_with_answers(runtime, code: str, count: int) -> tuple[set[int], set[int]]:
    """`count` meetings of the district inviting its first four leaders, plus an older and a cancelled one: the
    first two leaders answer nothing, the third answers the last meeting, the fourth is not invited to the oldest
    of the last `count` (he joined later). Returns (silent ids, others' ids)."""
    with runtime.db.transaction() as db:
        district = db.scalar(select(District).where(District.code == code))
        leaders = list(db.scalars(
            select(Contact).where(Contact.district_id == district.id, Contact.role == "leader").order_by(Contact.id)
        ))[:4]  # fmt: skip
        now = utcnow()
        older = Meeting(district=district, starts_at=now - timedelta(days=60), place="Mairie")
        cancelled = Meeting(district=district, starts_at=now, place="Mairie", status=MeetingStatus.CANCELLED)
        recent = [Meeting(district=district, starts_at=now - timedelta(days=n), place="Mairie") for n in range(count)]
        db.add_all([older, cancelled, *recent])
        db.flush()
        db.add(Invitation(meeting_id=older.id, contact_id=leaders[0].id, answer=True))
        for leader in leaders:
            db.add(Invitation(meeting_id=cancelled.id, contact_id=leader.id))
        for n, meeting in enumerate(recent):
            for index, leader in enumerate(leaders):
                if index == 3 and n == count - 1:
                    continue
                answer = True if index == 2 and n == 0 else None
                db.add(Invitation(meeting_id=meeting.id, contact_id=leader.id, answer=answer))
        return {leaders[0].id, leaders[1].id}, {leaders[2].id, leaders[3].id}
