"""The web process with a hung dependency: a Redis that accepts and never answers, a database store that never
returns. The webhook still answers 200 with the message stored (or spooled), and nothing is lost or doubled."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select, update

from gateway.core import failfast
from gateway.core.redis_server import client_options
from gateway.core.runtime import build_runtime
from gateway.messaging import inbox, receiving, spool
from gateway.models import Direction, Message, utcnow
from tests.gateway.messaging.test_inbound_jobs import ONESHOT, inbound, replies, sms
from tests.gateway.messaging.test_inbound_jobs import env as env  # noqa: F401 - the Twilio channel's settings
from tests.inbound_jobs import handle_job_ids
from workers.sweeper import sweep_once


@pytest.fixture(autouse=True)
def closed_breakers():
    """Every test starts, and leaves, with both breakers closed (they are per process)."""
    failfast.DATABASE.reset()
    failfast.REDIS.reset()
    yield
    failfast.DATABASE.reset()
    failfast.REDIS.reset()


@pytest.fixture
def web_runtime(settings, runtime):
    """A runtime built as the web process builds its own (short deadlines), beside the test's."""
    web = build_runtime(settings, web=True)
    yield web
    web.close()


@pytest.fixture
def web_client(web_runtime, runtime):
    """A test client of the app on the web runtime (the test's runtime stays the process's one)."""
    from gateway.core.runtime import set_process_runtime
    from gateway.web.app import create_app

    app = create_app(runtime=web_runtime)
    set_process_runtime(runtime)
    return app.test_client()


@pytest.fixture
def frozen_redis(web_runtime, monkeypatch):
    """The web runtime's Redis replaced by a socket that accepts connections and never answers (SIGSTOP-like)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        client = redis.Redis(host="127.0.0.1", port=silent.getsockname()[1], **client_options(web=True))
        monkeypatch.setattr(web_runtime.redis_handle, "client", client)
        yield client
        client.close()


def test_a_frozen_redis_costs_one_timeout_and_the_sweep_queues_what_the_webhooks_could_not(
    web_client, runtime, directory, frozen_redis
):
    first = sms(web_client, ONESHOT, "SM" + "d1" * 16)
    assert failfast.REDIS.is_open(), "the timeout opened the breaker"
    second = sms(web_client, "Les routes vers Dinangourou sont coupees depuis hier", "SM" + "d2" * 16)

    assert (first.status_code, second.status_code) == (200, 200)
    assert [m.processed_at for m in inbound(runtime)] == [None, None], "both stored, neither handled yet"
    assert handle_job_ids(runtime) == [] and replies(runtime) == []
    with runtime.db.transaction() as session:  # OUTBOX_STALE_SECONDS later, Redis back (the test's own client)
        session.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=1)))
    assert sweep_once(runtime) is not None
    assert all(m.processed_at for m in inbound(runtime)) and len(replies(runtime)) == 2


def test_a_store_that_hangs_is_spooled_in_time_and_stored_once_when_it_finally_returns(
    web_client, web_runtime, runtime, directory, monkeypatch
):
    """A hung PostgreSQL holds the store's socket read for ever: the webhook stops waiting, spools, answers 200;
    the abandoned store commits after the thaw and the replay finds it there (one row)."""
    monkeypatch.setattr(failfast, "STORE_DEADLINE_SECONDS", 0.2)
    thaw, real_store, calls = threading.Event(), inbox.store, []

    def frozen_store(*args, **kwargs):
        calls.append(1)
        thaw.wait(30)
        return real_store(*args, **kwargs)

    monkeypatch.setattr(inbox, "store", frozen_store)
    first = sms(web_client, ONESHOT, "SM" + "e1" * 16)
    assert failfast.DATABASE.is_open()
    second = sms(web_client, "Les routes vers Dinangourou sont coupees depuis hier", "SM" + "e2" * 16)

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(calls) == 1, "the second webhook went straight to the spool"
    assert inbound(runtime) == [] and spool.pending(runtime.settings.instance_path)
    thaw.set()  # the database answers again: the abandoned store commits the first message
    monkeypatch.setattr(inbox, "store", real_store)
    assert receiving.replay_spool(runtime) == 2
    with runtime.db.transaction() as session:
        sids = session.scalars(select(Message.provider_id).where(Message.direction == Direction.IN)).all()
    assert sorted(sids) == ["SM" + "e1" * 16, "SM" + "e2" * 16], "each message stored once"
    assert not spool.pending(runtime.settings.instance_path)
