"""Invariant 1 when the database is down: a verified inbound message is spooled to disk, then stored once and
its handling queued like any other."""

from __future__ import annotations

import stat
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bots.base import InboundMessage
from gateway.core.db import Database
from gateway.messaging import spool
from gateway.messaging.receiving import receive_or_spool, replay_spool
from gateway.models import Alert, Message
from tests.inbound_jobs import handle_job_ids, handle_queued

LEADER = "+22371139685"


def inbound_count(runtime) -> int:
    """Inbound messages stored."""
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in"))


@pytest.fixture
def database_down(runtime):
    """Swap the runtime's database for one that cannot be reached, and give it back afterwards."""
    real = runtime.db
    runtime.db = Database("postgresql+psycopg://gateway@127.0.0.1:1/none?connect_timeout=1")

    def restore():
        runtime.db.dispose()
        runtime.db = real

    yield restore
    if runtime.db is not real:
        restore()


def test_message_is_spooled_while_the_database_is_down_and_stored_once_after(runtime, directory, database_down):
    first = InboundMessage("twilio", "SMspool1", LEADER, "ALERTE 3 des tirs au marché")
    assert receive_or_spool(runtime, first) is None
    assert receive_or_spool(runtime, first) is None  # the provider retried meanwhile: spooled twice
    assert spool.pending(runtime.settings.instance_path)
    database_down()
    assert inbound_count(runtime) == 0
    second = InboundMessage("twilio", "SMspool2", LEADER, "bonjour")
    assert receive_or_spool(runtime, second) is not None  # the next message replays the spool
    assert not spool.pending(runtime.settings.instance_path)
    assert len(handle_job_ids(runtime)) == 2, "the replayed message's handling is queued too"
    handle_queued(runtime)
    with runtime.db.transaction() as session:
        bodies = session.scalars(select(Message.body).where(Message.direction == "in").order_by(Message.id)).all()
        alerts = session.scalar(select(func.count()).select_from(Alert).where(Alert.severity == 3))
    assert sorted(bodies) == sorted(["ALERTE 3 des tirs au marché", "bonjour"]), "each message stored once"
    assert alerts == 1, "the spooled alert was handled like any other"


def test_replay_that_fails_again_keeps_every_message(runtime, directory, database_down):
    for number in range(3):
        receive_or_spool(runtime, InboundMessage("twilio", f"SMkeep{number}", LEADER, f"message {number}"))
    assert replay_spool(runtime) == 0  # still down
    assert spool.pending(runtime.settings.instance_path)
    database_down()
    assert replay_spool(runtime) == 3
    assert inbound_count(runtime) == 3 and not spool.pending(runtime.settings.instance_path)


def test_spool_files_hold_no_more_than_the_message(runtime, directory, database_down):
    receive_or_spool(runtime, InboundMessage("twilio", "SMfile", LEADER, "texte"))
    [path] = list(spool.spool_dir(runtime.settings.instance_path).glob("*.jsonl"))
    assert len([line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]) == 1
    assert runtime.settings.twilio_auth_token is None or runtime.settings.twilio_auth_token not in path.read_text()


def test_a_torn_line_is_set_aside_and_every_other_message_is_stored(runtime, directory, database_down):
    receive_or_spool(runtime, InboundMessage("twilio", "SMtorn1", LEADER, "premier"))
    [path] = list(spool.spool_dir(runtime.settings.instance_path).glob("*.jsonl"))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"address_kind": "phone", "channel": "twi')  # the disk filled up mid-write
    receive_or_spool(runtime, InboundMessage("twilio", "SMtorn2", LEADER, "deuxième"))
    database_down()
    assert replay_spool(runtime) == 2
    assert inbound_count(runtime) == 2 and not spool.pending(runtime.settings.instance_path)
    unreadable = spool.spool_dir(runtime.settings.instance_path) / "unreadable.txt"
    assert '"channel": "twi' in unreadable.read_text(encoding="utf-8"), "kept for a person to read"


def test_messages_spooled_while_another_thread_replays_are_never_lost(tmp_path):
    """The web process spools in one thread while another replays the same file (the database is flapping):
    a line appended between the replayer's claim and its read must still be stored, not unlinked with the file."""
    runtime = SimpleNamespace(settings=SimpleNamespace(instance_path=tmp_path))
    stored: set[str] = set()
    writers_done = threading.Event()

    def accept(_runtime, inbound, address_kind):
        stored.add(inbound.provider_id)

    def replay_until_writers_finish():
        while not writers_done.is_set():
            spool.replay(runtime, accept)

    def write_many(worker: int):
        for n in range(300):
            spool.write(tmp_path, InboundMessage("twilio", f"SM{worker}-{n}", LEADER, "texte"), "phone")

    replayers = [threading.Thread(target=replay_until_writers_finish) for _ in range(2)]
    writers = [threading.Thread(target=write_many, args=(w,)) for w in range(4)]
    for thread in replayers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    writers_done.set()
    for thread in replayers:
        thread.join()
    spool.replay(runtime, accept)
    missing = {f"SM{w}-{n}" for w in range(4) for n in range(300)} - stored
    assert not missing, f"{len(missing)} spooled message(s) lost"


def test_spool_files_are_readable_by_the_gateway_user_only(runtime, directory, database_down):
    """A spool file holds message bodies: no other account on the server may read it."""
    receive_or_spool(runtime, InboundMessage("twilio", "SMmode1", LEADER, "texte"))
    [path] = list(spool.spool_dir(runtime.settings.instance_path).glob("*.jsonl"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("claim_suffix", [".replaying-{pid}-0a1b2c3d4e5f", ".replaying-{pid}"])
def test_a_file_claimed_by_a_replayer_that_died_is_replayed(tmp_path, claim_suffix):
    """A replayer killed between its claim and its unlink (or by an older version's name) leaves nothing behind."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    runtime = SimpleNamespace(settings=SimpleNamespace(instance_path=tmp_path))
    spool.write(tmp_path, InboundMessage("twilio", "SMorphan", LEADER, "texte"), "phone")
    [path] = list(spool.spool_dir(tmp_path).glob("*.jsonl"))
    path.rename(path.with_suffix(claim_suffix.format(pid=dead.stdout.strip())))
    stored = []
    assert spool.replay(runtime, lambda _rt, inbound, address_kind: stored.append(inbound.provider_id)) == 1
    assert stored == ["SMorphan"] and not list(spool.spool_dir(tmp_path).iterdir())
