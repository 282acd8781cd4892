"""`gateway status`: one screen telling an operator whether leaders' messages are getting through, and what needs a
person. Each check is ok, warn (worth a look) or problem (a person is needed: the command exits non-zero).

Counts, ages, codes and district codes only: never a reporter, a number or a message text."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.core.config import Settings
from gateway.core.db import Database
from gateway.core.redis_server import RedisHandle, connect
from gateway.messaging.channel_signals import read_signal
from gateway.messaging.channels import enabled_codes
from gateway.messaging.health import ORDER, state_of
from gateway.messaging.routing import sms_warning
from gateway.observability import readings
from gateway.observability.probes import Probe, probe_all
from workers import pacing
from workers.queues import QUEUES

OK, WARN, PROBLEM = "ok", "warn", "problem"
INBOUND_LATE_SECONDS = 300  # a stored message is handled within seconds; the sweep retries after OUTBOX_STALE_SECONDS
OUTBOX_LATE_SECONDS = 300  # a due outbox row is sent within seconds; the sweep re-queues after OUTBOX_STALE_SECONDS
SWEEP_STALE_MINIMUM_SECONDS = 120  # and at least 4 sweep intervals: no worker is sweeping
HARMLESS_FAILURES = ("unsubscribed", "blocked")  # a leader's choice, not a fault of the gateway
PING_TIMEOUT_SECONDS = 5.0  # the database's or Redis's answer to a trivial query


@dataclass(frozen=True)
class Check:
    """One line of the status: what was checked, its state, a short sentence, and facts for JSON."""

    name: str
    state: str
    summary: str
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """Every check, as of `checked_at`."""

    checked_at: datetime
    checks: tuple[Check, ...]

    @property
    def needs_person(self) -> bool:
        """Whether any check is a problem."""
        return any(check.state == PROBLEM for check in self.checks)

    def reasons(self) -> list[str]:
        """The problems' sentences, in the order of the checks."""
        return [f"{check.name}: {check.summary}" for check in self.checks if check.state == PROBLEM]

    def as_json(self) -> dict:
        """The JSON of `gateway status --format json`."""
        return {
            "status": "attention" if self.needs_person else "ok",
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
            "reasons": self.reasons(),
            "checks": [{"name": c.name, "state": c.state, "summary": c.summary, **c.facts} for c in self.checks],
        }


def ago(seconds: float) -> str:
    """A duration for a person: 45 s, 14 min, 3 h 05, 2 d 4 h."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def gather(settings: Settings, probe: Callable[[Settings, list[str]], dict[str, Probe]] = probe_all) -> Report:
    """Run every check; a database or Redis that does not answer is itself a problem, and the checks that need it
    are left out rather than failing the command."""
    now = datetime.now(UTC)
    codes = [c for c in ORDER if c in enabled_codes(settings)]
    codes += sorted(c for c in enabled_codes(settings) if c not in ORDER)
    checks: list[Check] = []
    database = Database(settings.database_url)
    handle: RedisHandle | None = None
    try:
        db_ok = _reachable(checks, "database", database.ping)
        try:
            handle = connect(settings.redis_url, settings.instance_path, check=False)
            redis_ok = _reachable(checks, "redis", handle.client.ping)
        except Exception as exc:  # noqa: BLE001 - an embedded Redis that cannot start
            checks.append(Check("redis", PROBLEM, f"not reachable ({type(exc).__name__})"))
            redis_ok = False
        checks += _channels(settings, codes, probe(settings, codes), handle.client if redis_ok else None)
        if redis_ok:
            checks += [_queues(handle.client), _sweep(settings, handle.client)]
        if db_ok:
            with database.sessions() as session:
                checks += [
                    _inbound(readings.oldest_unhandled_inbound(session)),
                    _outbox(readings.outbox_depth(session), readings.oldest_due_outbound(session)),
                    _failures(readings.failures_since(session, 24)),
                    _alerts(settings, readings.unacknowledged_alerts(session)),
                ]
        if redis_ok and "android" in codes:
            checks.append(_pace(settings, handle.client))
    finally:
        database.dispose()
        if handle is not None:
            handle.client.close()  # never the embedded server itself: the running gateway shares it
    return Report(now, tuple(checks))


def _reachable(checks: list[Check], name: str, ping: Callable[[], object]) -> bool:
    """Ping in a daemon thread, waiting at most PING_TIMEOUT_SECONDS: a server that accepts the connection and then
    says nothing (a frozen PostgreSQL) makes a problem of it instead of holding the operator's terminal."""
    failure: list[BaseException] = []

    def attempt() -> None:
        """The ping, its failure kept for the caller."""
        try:
            ping()
        except Exception as exc:  # noqa: BLE001 - reported below
            failure.append(exc)

    thread = threading.Thread(target=attempt, name=f"ping-{name}", daemon=True)
    thread.start()
    thread.join(PING_TIMEOUT_SECONDS)
    if thread.is_alive():
        checks.append(Check(name, PROBLEM, f"no answer within {PING_TIMEOUT_SECONDS:.0f} s"))
        return False
    if failure:  # the class of failure, never a URL (it may hold a password)
        checks.append(Check(name, PROBLEM, f"not reachable ({type(failure[0]).__name__})"))
        return False
    checks.append(Check(name, OK, "reachable"))
    return True


def _channels(settings: Settings, codes: list[str], probes: dict[str, Probe], connection) -> list[Check]:
    out = []
    warning = sms_warning(settings, set(codes))
    if warning:
        out.append(Check("sms", WARN, warning))
    for code in codes:
        facts: dict = {}
        found = probes.get(code)
        state, parts = OK, []
        if found is not None:
            facts.update(found.facts, reachable=found.reachable)
            parts += [found.summary] + ([found.problem] if found.problem not in (None, found.summary) else [])
            state = PROBLEM if found.problem else OK
        if connection is not None:
            signal = read_signal(connection, code)
            facts["last_send"] = state_of(signal)
            if facts["last_send"] == "unreachable":
                parts.append(f"the last {signal.failures_in_a_row} send(s) failed ({signal.failure_code})")
                # The provider answers the probe now: the sends will be retried; without a probe, trust the sends.
                state = PROBLEM if found is None or found.problem else max(state, WARN, key=_rank)
        out.append(Check(f"channel {code}", state, "; ".join(p for p in parts if p) or "configured", facts))
    return out


def _rank(state: str) -> int:
    return (OK, WARN, PROBLEM).index(state)


def _queues(connection) -> Check:
    jobs = readings.queue_jobs(connection)
    facts = {name: {state: n for (q, state), n in jobs.items() if q == name} for name in QUEUES}
    failed = sum(n for (_, state), n in jobs.items() if state == "failed")
    summary = "; ".join(
        f"{name}: {f['waiting']} waiting, {f['scheduled']} scheduled, {f['failed']} failed" for name, f in facts.items()
    )
    handed = jobs[(readings.INTAKE_QUEUE, "waiting")]
    if handed:  # a moment's worth is normal; many means no worker reads the intake (the sweep handles them later)
        summary += f"; {handed} stored message(s) not yet picked up by a worker"
    facts[readings.INTAKE_QUEUE] = {"waiting": handed}
    return Check("queues", WARN if failed else OK, summary, {"queues": facts})


def _sweep(settings: Settings, connection) -> Check:
    swept = readings.last_sweep(connection)
    stale = max(4 * settings.sweep_interval_seconds, SWEEP_STALE_MINIMUM_SECONDS)
    if swept is None:
        return Check("sweep", PROBLEM, "no sweep recorded: is a worker running?", {"age_seconds": None})
    age = max(time.time() - swept, 0.0)
    facts = {"age_seconds": round(age), "last_at": datetime.fromtimestamp(swept, UTC).isoformat(timespec="seconds")}
    if age > stale:
        return Check("sweep", PROBLEM, f"last sweep {ago(age)} ago: is a worker running?", facts)
    return Check("sweep", OK, f"last sweep {ago(age)} ago", facts)


def _inbound(oldest: float | None) -> Check:
    facts = {"oldest_unhandled_seconds": None if oldest is None else round(oldest)}
    if oldest is None:
        return Check("inbound", OK, "every received message handled", facts)
    state = PROBLEM if oldest > INBOUND_LATE_SECONDS else OK
    return Check("inbound", state, f"oldest unhandled message received {ago(oldest)} ago", facts)


def _outbox(depth: dict, oldest: float | None) -> Check:
    pending = {f"{q}/{s}": n for (q, s), n in sorted(depth.items())}
    facts = {"pending": pending, "oldest_due_seconds": None if oldest is None else round(oldest)}
    waiting = sum(pending.values())
    if oldest is None:
        return Check("outbox", OK, f"{waiting} message(s) pending, none overdue", facts)
    state = PROBLEM if oldest > OUTBOX_LATE_SECONDS else OK
    return Check("outbox", state, f"{waiting} pending; the longest due for {ago(oldest)}", facts)


def _failures(groups: dict[str, int]) -> Check:
    facts = {"failed_24h": groups}
    if not groups:
        return Check("failures", OK, "no message failed in 24 h", facts)
    text = ", ".join(f"{group} {n}" for group, n in sorted(groups.items()))
    state = OK if all(group in HARMLESS_FAILURES for group in groups) else WARN
    return Check("failures", state, f"failed in 24 h: {text}", facts)


def _alerts(settings: Settings, waiting: list[readings.Unacknowledged]) -> Check:
    facts = {
        "unacknowledged": [
            {"district": w.district, "count": w.count, "oldest_seconds": round(w.oldest_seconds)} for w in waiting
        ]
    }
    if not waiting:
        return Check("alerts", OK, "no alert waiting to be taken", facts)
    late = [w for w in waiting if w.oldest_seconds > settings.escalation_step_seconds]
    text = ", ".join(f"{w.district} {w.count} (oldest {ago(w.oldest_seconds)})" for w in waiting)
    return Check("alerts", PROBLEM if late else WARN, f"not taken yet: {text}", facts)


def _pace(settings: Settings, connection) -> Check:
    used = pacing.used(connection, "android")
    rate, headroom = settings.android_segments_per_minute, settings.android_urgent_headroom
    facts = {"used": used, "bulk_left": max(rate - used, 0), "urgent_left": max(rate + headroom - used, 0)}
    summary = f"{used} SMS part(s) this minute; {facts['bulk_left']} left for bulk, {facts['urgent_left']} for urgent"
    return Check("pace", OK, summary, facts)
