"""Benchmark 5 — the office console at a district's size: broadcasts, meeting previews, delivery counts, the message
log, the directory list and channel health, in the benchmark's process with the product's runtime.

A fresh database with a district of 10,000 leaders (bench/gen_directory.py), three past meetings of it (every
leader invited, 55 % answering each), and a message log of --messages rows over --days days (bench/office_data.py).
Measured, each the median wall time of several runs (the 1-minute load average at each measure in the table):
1. broadcast preview and send (gateway/broadcasts/service.py; send = persist + commit + after-commit enqueues, as
   bench/fanout.py measures the meeting notice), 3 runs; target ≤ 2 s each;
2. meeting notice preview (gateway/meetings/desk.py preview and service.py preview_meeting), 3 runs;
3. delivery_counts of one 10,000-row broadcast, 5 runs;
4. the message log's first page (message_log.filtered + the page's eager loads) for an admin and a coordinator,
   with each filter, 5 runs; target ≤ 200 ms;
5. the directory list's first page (count + page, as gateway/console/contacts.py), 5 runs; target ≤ 200 ms;
6. channel health (gateway/messaging/health.py gather), 5 runs, before and after the broadcasts are queued.
Every measure over its target is explained in the notes: the plan of its slowest SELECT (PostgreSQL: EXPLAIN
ANALYZE, BUFFERS; SQLite: EXPLAIN QUERY PLAN).

    BENCH_REDIS_URL=redis://127.0.0.1:6379/8 python -m bench.office --db sqlite
    BENCH_REDIS_URL=redis://127.0.0.1:6379/8 BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/h_bench \
        python -m bench.office --db postgres
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.orm import selectinload

from bench.common import REDIS_URL, record, verdict
from bench.gen_directory import generate
from bench.office_data import RARE_KIND, message_log, past_meetings, staff_scopes
from bench.stack import Stack, import_directory, runtime_for

TEXT = "Le bureau informe : la foire de Koro est reportée à samedi. Restez prudents sur la route de Bondo."
WRITE_TARGET = 2.0
CHANNELS_ON = {"TELEGRAM_BOT_TOKEN": "123456:bench", "TELEGRAM_WEBHOOK_SECRET": "bench", "TELEGRAM_API_BASE_URL":
               "http://127.0.0.1:9", "ANDROID_GATEWAY_URL": "http://127.0.0.1:9"}  # fmt: skip


class Statements:
    """The SQL statements a measured call runs (SQLAlchemy's cursor events), to explain the slowest one."""

    def __init__(self, engine) -> None:
        self.engine, self.seen, self._start = engine, [], 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn, _cursor, _statement, _params, _context, _many) -> None:
        self._start = time.perf_counter()

    def _after(self, _conn, _cursor, statement, params, _context, _many) -> None:
        self.seen.append((time.perf_counter() - self._start, statement, params))

    def explain(self) -> str:
        """The plan of the slowest SELECT seen: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL (rolled back), EXPLAIN
        QUERY PLAN on SQLite."""
        selects = [s for s in self.seen if s[1].lstrip().upper().startswith("SELECT")]
        if not selects:
            return ""
        seconds, statement, params = max(selects, key=lambda s: s[0])
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            sqlite = self.engine.dialect.name == "sqlite"
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) ") + statement, params)
            plan = "\n".join(str(row[-1] if sqlite else row[0]) for row in cursor.fetchall())
            raw.rollback()
        finally:
            raw.close()
        return f"Slowest statement ({seconds * 1000:.0f} ms):\n\n```sql\n{statement}\n```\n\n```\n{plan}\n```"


def measure(runtime, watch: Statements, runs: int, work) -> tuple[float, object]:
    """Median wall seconds of `runs` calls of work(session) (a fresh session each), and the last result; the
    statements of the last run stay in `watch`."""
    times, result = [], None
    for _ in range(runs):
        watch.seen = []
        with runtime.db.sessions() as session:
            start = time.perf_counter()
            result = work(session)
            times.append(time.perf_counter() - start)
    return statistics.median(times), result


class Table:
    """The rows of the results table, each with the load average at its measure, and the explained slow reads."""

    def __init__(self, db: str, watch: Statements) -> None:
        self.db, self.watch, self.rows, self.plans = db, watch, [], []

    def add(self, what: str, seconds: float, runs: int, detail: str, target: float, read: bool = True) -> None:
        """A row; a read over its target is explained (a write's time is its inserts, not a plan)."""
        value = f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
        slow = seconds > target
        limit = f"≤ {target * 1000:.0f} ms" if target < 1 else f"≤ {target:g} s"
        load = f"{os.getloadavg()[0]:.2f}"
        self.rows.append((what, value, runs, detail, load, limit, verdict(not slow)))
        print(self.rows[-1], flush=True)
        if slow and read:
            self.plans.append(f"**{what}** ({value}). {self.watch.explain()}")


def seed(stack: Stack, runtime, args) -> dict:
    """The directory, staff, meetings and message log; what the filters need."""
    rng = random.Random(2026)
    import_directory(stack, generate(leaders=args.leaders, districts=["KORO"]))
    start = time.perf_counter()
    with runtime.db.transaction() as session:
        admin, coordinator = staff_scopes(session)
        invitations = past_meetings(session, rng)
        found = message_log(session, rng, args.messages, args.days)
    if args.db == "postgres":
        with runtime.db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")  # what autovacuum would have done after such inserts
            conn.commit()  # the statistics are transactional: a rolled-back ANALYZE leaves none
    print(f"seeded {args.messages} messages, {invitations} invitations in {time.perf_counter() - start:.0f} s")
    return found | {"admin": admin, "coordinator": coordinator}


def log_page(scope, zone, **given):
    """The message log's first page as the console reads it (gateway/console/message_log.py)."""
    from gateway.messaging.message_log import filtered, read_filters, scope_districts
    from gateway.models import Contact, Message

    def work(session):
        filters = read_filters(given, scope_districts(session, scope))
        assert not filters.errors, filters.errors
        query = filtered(session, scope, filters, zone)
        query = query.options(selectinload(Message.contact).selectinload(Contact.district))
        return len(session.scalars(query).all())

    return work


def directory_page(scope, **given):
    """The directory list's first page as gateway/console/contacts.py reads it: the count, then 50 by name."""
    from gateway.directory import search
    from gateway.models import Contact

    def work(session):
        filters, bad = search.read_filters(given, search.scope_district_codes(session, scope))
        assert not bad, bad
        query = search.filtered_contacts(session, scope, filters)
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        session.scalars(query.order_by(func.lower(Contact.name), Contact.id).limit(50)).all()
        return total

    return work


def reads(table: Table, runtime, found: dict, args) -> None:
    """Parts 4, 5, 6: the message log, the directory list, channel health."""
    from gateway.messaging.health import gather

    zone = ZoneInfo(runtime.settings.timezone)
    day = (found["oldest"] + timedelta(hours=1)).astimezone(zone).date().isoformat()
    filters = {
        "no filter": {},
        "channel=telegram": {"channel": "telegram"},
        "status=failed": {"status": "failed"},
        f"since=until={day} (the oldest day)": {"since": day, "until": day},
        f"kind={RARE_KIND} (rare)": {"kind": str(RARE_KIND)},
        f"contact={found['contact_id']}": {"contact": str(found["contact_id"])},
    }
    for who in ("admin", "coordinator"):
        for label, given in filters.items():
            seconds, rows = measure(runtime, table.watch, 5, log_page(found[who], zone, **given))
            table.add(f"message log page 1, {who}, {label}", seconds, 5, f"{min(rows, 50)} rows", args.page_target)
    for who in ("admin", "coordinator"):
        for label, given in {"no filter": {}, "name search `toure`": {"q": "toure"},
                             "no answer to the last 3 notices": {"silent": "3"}}.items():  # fmt: skip
            seconds, total = measure(runtime, table.watch, 5, directory_page(found[who], **given))
            table.add(f"directory page 1, {who}, {label}", seconds, 5, f"{total} matching", args.page_target)
    health(table, runtime, gather, "before the broadcasts", args.page_target)


def health(table: Table, runtime, gather, when: str, target: float) -> None:
    """Channel health, measured outside a session of ours (gather opens its own)."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        result = gather(runtime)
        times.append(time.perf_counter() - start)
    backlog = ", ".join(f"{q.name} {q.queued_rows} rows / {q.jobs_waiting} jobs" for q in result.queues)
    table.add(f"channel health gather(), {when}", statistics.median(times), 5, backlog, target)


def writes(table: Table, runtime, found: dict, args) -> None:
    """Parts 1, 2, 3: meeting previews, broadcast preview and send, delivery counts."""
    import gateway.messaging.outbox as outbox
    from gateway.broadcasts.service import preview, send
    from gateway.meetings import desk
    from gateway.meetings.service import preview_meeting
    from gateway.messaging.deliveries import delivery_counts
    from gateway.models import District, utcnow

    admin, fields = found["admin"], {"district": "KORO", "text": TEXT}

    def request(session):
        district = session.scalar(select(District).where(District.code == "KORO"))
        return desk.MeetingRequest(district, utcnow() + timedelta(days=3), "Mairie de Koro", "Transhumance")

    seconds, plan = measure(runtime, table.watch, 3, lambda s: desk.preview(s, runtime, request(s)))
    detail = f"{plan.invitees} invitees, {plan.estimate.segments_total} SMS segments"
    table.add("meeting notice preview (meetings/desk.py preview)", seconds, 3, detail, WRITE_TARGET)

    def by_service(session):
        asked = request(session)
        return preview_meeting(session, runtime, district=asked.district, starts_at=asked.starts_at, place=asked.place)

    seconds, summary = measure(runtime, table.watch, 3, by_service)
    detail = f"{summary.invitees} invitees, {summary.segments_total} SMS segments"
    table.add("meeting notice preview (meetings/service.py preview_meeting)", seconds, 3, detail, WRITE_TARGET)
    seconds, shown = measure(runtime, table.watch, 3, lambda s: preview(s, runtime, admin, fields))
    table.add("broadcast preview, admin, district KORO", seconds, 3, f"{shown.recipients} recipients", WRITE_TARGET)
    spent, totals, ids = {"enqueue": 0.0}, [], []
    original = outbox.enqueue_new

    def timed_enqueue(*args, **kwargs):  # bench-only instrumentation of the after-commit hook, as fanout.py
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["enqueue"] += time.perf_counter() - start

    outbox.enqueue_new = timed_enqueue
    try:
        for _ in range(3):
            start = time.perf_counter()
            with runtime.db.transaction() as session:
                broadcast, _ = send(session, runtime, admin, fields)
            totals.append(time.perf_counter() - start)
            ids.append(broadcast.id)
    finally:
        outbox.enqueue_new = original
    detail = f"{broadcast.recipients} rows each; after-commit enqueues {spent['enqueue'] / 3:.2f} s of it on average"
    table.add("broadcast send: persist + commit + enqueue, district KORO", statistics.median(totals), 3, detail,
              WRITE_TARGET, read=False)  # fmt: skip
    seconds, counts = measure(runtime, table.watch, 5, lambda s: delivery_counts(s, [ids[-1]]))
    table.add("delivery_counts of one broadcast", seconds, 5, f"{counts.messages} messages", args.page_target)


def main() -> None:
    """Seed, measure, record the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--leaders", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--days", type=int, default=300)
    parser.add_argument("--page-target", type=float, default=200, help="ms; reads over it are explained")
    args = parser.parse_args()
    args.page_target /= 1000
    from gateway.messaging.health import gather

    stack = Stack(args.db, "office")
    try:
        stack.reset()
        runtime = runtime_for(stack, **CHANNELS_ON)
        found = seed(stack, runtime, args)
        table = Table(args.db, Statements(runtime.db.engine))
        reads(table, runtime, found, args)
        writes(table, runtime, found, args)
        health(table, runtime, gather, "with the 3 broadcasts queued", args.page_target)
        channels = list(runtime.channels)
        runtime.close()
    finally:
        stack.stop_all()
    notes = f"Database: {args.db}. {args.leaders} leaders in KORO; {args.messages} messages over {args.days} days; "
    notes += f"3 past meetings. Redis {REDIS_URL}. Channels: {', '.join(sorted(channels))} (no worker runs)."
    if table.plans:
        notes += "\n\nReads over their target, explained:\n\n" + "\n\n".join(table.plans)
    header = ("measure", "median", "runs", "detail", "load (1 min)", "target", "met")
    record(f"Office console ({args.db})", table.rows, notes, header)


if __name__ == "__main__":
    main()
