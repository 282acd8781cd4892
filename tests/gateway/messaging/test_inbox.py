"""Invariants 1 and 2 below the webhooks: every message stored before handling, once per provider id,
handled one at a time per sender, and handled later if handling failed the first time."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from bots.base import InboundMessage
from flows import router
from flows.conversations import address_key
from gateway.messaging.inbox import process_pending, receive
from gateway.models import Alert, Message
from tests.chat import Chat
from workers.queues import CONTACT_LOCK_KEY

LEADER = "+22371139685"


def count(runtime, model) -> int:
    """Rows of a table."""
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_same_provider_id_twice_is_one_message_and_one_reply(runtime, directory):
    chat = Chat(runtime, LEADER)
    first = chat.send("ALERTE 3 incendie au marché", provider_id="SMdup")
    again = chat.send("ALERTE 3 incendie au marché", provider_id="SMdup")
    assert len(first) == 1 and again == []
    assert count(runtime, Alert) == 1
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).where(Message.direction == "in")) == 1


def test_same_provider_id_on_another_channel_is_another_message(runtime, directory):
    receive(runtime, InboundMessage("console", "X1", LEADER, "bonjour"))
    receive(runtime, InboundMessage("twilio", "X1", LEADER, "bonjour"))
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).where(Message.direction == "in")) == 2


def test_a_message_whose_handling_fails_is_kept_and_handled_by_the_sweep(runtime, directory, monkeypatch):
    def broken(*_args):
        raise RuntimeError("flow bug")

    monkeypatch.setattr(router, "route_message", broken)
    receipt = receive(runtime, InboundMessage("console", "SMlate", LEADER, "ALERTE 3 des tirs"))
    with runtime.db.transaction() as session:
        stored = session.get(Message, receipt.message_id)
        assert stored.body == "ALERTE 3 des tirs" and stored.processed_at is None
    assert count(runtime, Alert) == 0
    monkeypatch.undo()
    assert process_pending(runtime, older_than_seconds=0) == 1
    assert count(runtime, Alert) == 1
    assert process_pending(runtime, older_than_seconds=0) == 0, "handled once"


def test_recent_unprocessed_messages_are_left_to_their_own_request(runtime, directory, monkeypatch):
    monkeypatch.setattr(router, "route_message", lambda *a: (_ for _ in ()).throw(RuntimeError("x")))
    receive(runtime, InboundMessage("console", "SMnew", LEADER, "bonjour"))
    assert process_pending(runtime, older_than_seconds=int(timedelta(minutes=5).total_seconds())) == 0


def test_messages_of_one_sender_are_handled_one_at_a_time(runtime, directory):
    lock = runtime.redis.lock(CONTACT_LOCK_KEY + address_key(LEADER), timeout=10)
    assert lock.acquire()
    done = threading.Event()

    def deliver():
        receive(runtime, InboundMessage("console", "SMwait", LEADER, "ALERTE 3 des tirs"))
        done.set()

    worker = threading.Thread(target=deliver)
    worker.start()
    assert not done.wait(1.0), "handled while the sender's previous message still held the lock"
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).where(Message.direction == "in")) == 1, "stored meanwhile"
    assert count(runtime, Alert) == 0
    lock.release()
    assert done.wait(10)
    worker.join()
    assert count(runtime, Alert) == 1
