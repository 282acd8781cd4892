"""Case 11: the database frozen for 20 s while 200 signed SMS webhooks arrive in parallel. PostgreSQL: a private
cluster of this case, every one of its processes SIGSTOPped (the kernel still accepts connections and acknowledges
queries, nothing answers: no server-side timeout can fire, and a pooled connection's read would wait for ever).
SQLite: the closest equivalent, an exclusive lock held for the 20 s (a writer waits its busy timeout, then fails).
Every webhook must answer 200 within 2 s with its message stored or spooled (fsynced), and once the database is
back every message is stored once (the spool replayed, deduplicated on the MessageSid) and answered once."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter

import pytest
from sqlalchemy.engine import make_url

from gateway.core.db import Database
from gateway.core.migrate import upgrade
from gateway.messaging import spool
from tests.faults import logscan
from tests.faults.freezes import (
    ANSWER_WITHIN_SECONDS,
    PrivatePostgres,
    deliver_spread,
    settle_and_count,
    worker_serving,
)
from tests.faults.population import add_leaders
from tests.faults.providers import inbound_form

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

CASE = 11
PHONES = 8  # the digit of this case's numbers (+2237<digit>…: one digit only, and case 8 sends no SMS)
MESSAGES, SENDERS = 200, 50
FREEZE_SECONDS, SPREAD_SECONDS = 20.0, 17.0


def report_text(index: int) -> str:
    """A leader's free-text report, unique, matching no keyword."""
    return f"Le pont de Sofara est bloque par des hommes en armes depuis ce matin, observation numero {index}"


class SqliteLock:
    """An exclusive lock on the SQLite file, held from `freeze` to `thaw`."""

    def __init__(self, path: str) -> None:
        """Nothing held yet."""
        self.path, self.connection = path, None
        self.kind = f"SQLite exclusive lock held {FREEZE_SECONDS:.0f} s"

    def freeze(self) -> None:
        """BEGIN EXCLUSIVE: no other connection reads or writes until `thaw`."""
        self.connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.connection.execute("BEGIN EXCLUSIVE")

    def thaw(self) -> None:
        """Release the lock."""
        if self.connection is not None:
            self.connection.execute("ROLLBACK")
            self.connection.close()
            self.connection = None

    def stop(self) -> None:
        """Release whatever is still held."""
        self.thaw()


@pytest.fixture
def frozen_database(database_url):
    """PostgreSQL runs: a private, migrated cluster; SQLite runs: the test's file, with a lock to take."""
    if make_url(database_url).get_backend_name() != "postgresql":
        lock = SqliteLock(make_url(database_url).database)
        yield lock
        lock.stop()
        return
    cluster = PrivatePostgres()
    cluster.kind = f"PostgreSQL cluster SIGSTOPped {FREEZE_SECONDS:.0f} s"
    try:
        database = Database(cluster.url)
        upgrade(database)
        database.dispose()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def env(env, frozen_database):
    """The gateway (and this process's runtime) on the database this case freezes."""
    url = getattr(frozen_database, "url", None)
    return {**env, "DATABASE_URL": url} if url else env


@pytest.mark.timeout(300)
def test_webhooks_answer_within_2_s_while_the_database_is_frozen(runtime, gateway, fake_twilio, frozen_database, row):
    """11. Database frozen 20 s while 200 SMS webhooks arrive."""
    leaders = add_leaders(runtime, PHONES, SENDERS)
    forms = [inbound_form(fake_twilio.account_sid, leaders[i % SENDERS].phone, report_text(i)) for i in range(MESSAGES)]
    logscan.remember(phones=[c.phone for c in leaders], bodies=[f["Body"] for f in forms])
    base = gateway.web()
    worker_serving(gateway.worker())

    frozen_database.freeze()
    frozen_at = time.monotonic()
    try:
        answers = deliver_spread(base, fake_twilio.auth_token, forms, frozen_at + 1, SPREAD_SECONDS)
        time.sleep(max(frozen_at + FREEZE_SECONDS - time.monotonic(), 0))
    finally:
        frozen_database.thaw()
    outcome = settle_and_count(runtime, fake_twilio, forms, answers)

    statuses = Counter(a.status for a in answers)
    late = sum(a.seconds >= ANSWER_WITHIN_SECONDS for a in answers)
    sent_twice = sum(n - 1 for n in outcome.sent.values())
    spooled = sum(p.output().count("spooled") for p in gateway.started if p.name.endswith("web"))
    row.set(
        sent=f"{MESSAGES} SMS webhooks; {frozen_database.kind}",
        stored=f"{outcome.stored} stored ({spooled} via the spool), {outcome.replies} replies, {len(outcome.sent)} "
        f"sent; answers max {outcome.slowest:.2f} s, p99 {outcome.p99:.2f} s",
        duplicates=outcome.stored_twice + sent_twice,
        lost=outcome.lost,
        five_xx=sum(n for s, n in statuses.items() if s != 200),
    )
    assert statuses == {200: MESSAGES}, f"answers: {statuses}"
    assert late == 0, f"{late} answers took {ANSWER_WITHIN_SECONDS} s or more (slowest {outcome.slowest:.2f} s)"
    assert outcome.lost == 0 and outcome.stored == MESSAGES, f"{outcome.stored} stored ({outcome.lost} lost)"
    assert outcome.stored_twice == 0, "a MessageSid was stored twice"
    assert outcome.replies == MESSAGES, f"{outcome.replies} replies for {MESSAGES} messages"
    assert len(outcome.sent) == MESSAGES, f"{MESSAGES - len(outcome.sent)} replies never reached the provider"
    assert sent_twice == 0, f"{sent_twice} replies sent twice"
    assert not spool.pending(runtime.settings.instance_path), "messages still wait in the spool"
