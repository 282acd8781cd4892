"""Taking and closing an alert lock two rows, its escalation and the alert itself. On PostgreSQL a take from the
desk and an officer's FIN by Telegram, interleaved so that each holds one row, must not deadlock: one waits for
the other, the alert ends closed once and the take is refused as a conflict."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, BrokenBarrierError

import pytest

from flows.catalogue import text as catalogue_text
from gateway.alerts import desk
from gateway.escalation import commands
from tests.chat import Chat
from tests.gateway.alerts.desk_helpers import ALIOU_TG, LEADER, URGENT, act, escalation_of
from tests.staff_users import make_user

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="SQLite has one writer at a time: the interleaving cannot happen"
)


@pytest.fixture
def env(base_env, fake_telegram):
    return {**base_env, **fake_telegram.env()}


def test_a_take_from_the_desk_and_a_fin_by_telegram_interleaved(runtime, directory, monkeypatch):
    Chat(runtime, LEADER).send(URGENT)
    scope = make_user(runtime, "awa@example.org", "admin", name="Awa Diallo")
    aliou = Chat(runtime, str(ALIOU_TG), channel="telegram")
    barrier = Barrier(2, timeout=5)

    def after(real):
        def step(*args, **kwargs):
            result = real(*args, **kwargs)
            try:
                barrier.wait()  # each transaction now holds the first row it wrote
            except BrokenBarrierError:  # the other one waits for the row this one holds: fine, go on
                pass
            return result

        return step

    monkeypatch.setattr(desk, "acknowledge", after(desk.acknowledge))  # the take: escalation first
    monkeypatch.setattr(commands, "move", after(commands.move))  # FIN: the alert first

    def take():
        try:
            act(runtime, lambda s, a: desk.set_status(s, runtime, scope, a, "acknowledged", None))
        except desk.DeskRefusal as refused:
            return refused.code
        return "taken"

    with ThreadPoolExecutor(2) as pool:
        taken, replies = pool.submit(take), pool.submit(aliou.send, "FIN 1 calme")
        taken, replies = taken.result(), replies.result()
    esc = escalation_of(runtime)
    assert esc.alert.status == "resolved" and esc.resolution_note == "calme"
    done = catalogue_text("fr", "escalation.resolved_done", ref=1)
    assert (taken, replies) in [("conflict", [done]), ("taken", [done])]
