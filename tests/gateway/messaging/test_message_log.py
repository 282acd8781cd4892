"""The message log's date filters answer exactly what a plain comparison of times does (local days, Africa/Bamako)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gateway.messaging.message_log import LogFilters, filtered
from gateway.models import Message
from gateway.staff.roles import StaffRole
from gateway.staff.scope import Scope

START = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
ADMIN = Scope(user_id=1, email="boss@example.org", name="Boss", role=StaffRole.ADMIN)


def fill(runtime, hours: list[int]) -> list[int]:
    """Inbound messages stamped START + each number of hours, in that order; their ids."""
    with runtime.db.transaction() as db:
        rows = [
            Message(direction="in", channel="twilio", address="+22370000001", body=f"m{h}", status="received",
                    created_at=START + timedelta(hours=h))
            for h in hours
        ]  # fmt: skip
        db.add_all(rows)
        db.flush()
        return [row.id for row in rows]


def test_date_filters_match_a_plain_comparison_of_times(runtime):
    fill(runtime, list(range(0, 24 * 20, 3)))
    zone = ZoneInfo("Africa/Bamako")
    with runtime.db.sessions() as db:
        stamps = dict(db.execute(select(Message.id, Message.created_at)).all())
        for since, until in (("2026-01-03", "2026-01-05"), ("2026-01-19", ""), ("", "2026-01-02"), ("2026-02-01", "")):
            query = filtered(db, ADMIN, LogFilters(since=since, until=until), zone).limit(10_000)
            got = list(db.scalars(query.with_only_columns(Message.id)))
            low = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
            high = datetime.fromisoformat(until).replace(tzinfo=UTC) + timedelta(days=1) if until else None
            expected = sorted(
                (i for i, at in stamps.items() if (low is None or at >= low) and (high is None or at < high)),
                reverse=True,
            )
            assert got == expected, (since, until)
