"""The message log's queries: a date bound found by bisection on the primary key is the first message stamped at or
after it (gaps in the ids included), and the date filters answer exactly what a plain comparison of times does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from gateway.messaging.message_log import LogFilters, filtered, first_id_at
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


def test_the_bisection_finds_the_first_message_at_or_after_a_moment(runtime):
    ids = fill(runtime, list(range(0, 24 * 40, 5)))  # every 5 hours for 40 days
    with runtime.db.transaction() as db:
        db.execute(delete(Message).where(Message.id.in_(ids[10:30])))  # a gap in the ids (retention, say)
    with runtime.db.sessions() as db:
        stamps = dict(db.execute(select(Message.id, Message.created_at)).all())
        for hours in (-10, 0, 1, 49, 50, 51, 150, 151, 500, 24 * 40 - 5, 24 * 40 - 4):
            moment = START + timedelta(hours=hours)
            expected = min((i for i, at in stamps.items() if at >= moment), default=None)
            assert first_id_at(db, moment) == expected, hours


def test_nothing_to_bisect_in_an_empty_table(runtime):
    with runtime.db.sessions() as db:
        assert first_id_at(db, START) is None


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
