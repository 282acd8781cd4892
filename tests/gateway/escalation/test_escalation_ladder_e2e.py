"""The escalation ladder against the clock: a real worker process (RQ's scheduler fires the steps, its sweep
re-schedules lost ones) with one- or two-second steps, the console channel as the officers' phones, and a fake
Telegram Bot API for the officer who blocked the bot."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bots.console import read_console_outbox
from gateway.models import Direction, Escalation, Message, MessageStatus, Notification
from tests.chat import Chat
from tests.fakes.telegram_api import blocked
from tests.processes import wait_for

pytestmark = pytest.mark.e2e
LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI)
ALIOU, ALIOU_TG = "+22365639508", 1041918565  # MOPTI duty officer, level 1
BAKARY, BAKARY_TG = "+22376375098", 5970412568  # Mopti region coordinator, level 2
SALIMATA = "+22365293966"  # head office, level 3
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"


@pytest.fixture
def step_seconds() -> int:
    """The ladder's step (a test may parametrize it)."""
    return 1


@pytest.fixture
def env(base_env, step_seconds, request):
    """Short steps and a single repeat, for this process (which starts ladders) and the worker alike."""
    ladder = {"ESCALATION_STEP_SECONDS": str(step_seconds), "ESCALATION_MAX_REPEATS": "1"}
    if "fake_telegram" in request.fixturenames:
        ladder.update(request.getfixturevalue("fake_telegram").env())
    return {**base_env, **ladder}


@pytest.fixture
def worker(start_process, env):
    """A real `gateway worker` with its scheduler and sweeps."""
    return start_process("worker", extra_env={k: env[k] for k in ("ESCALATION_STEP_SECONDS", "ESCALATION_MAX_REPEATS")})


def texts_to(redis_client, phone: str, prefix: str = "URGENT #1") -> list[str]:
    """Console messages to one phone that start with `prefix`, oldest first."""
    return [
        m["text"] for m in read_console_outbox(redis_client) if m["address"] == phone and m["text"].startswith(prefix)
    ]


def first_index(redis_client, phone: str) -> int:
    """Where the first urgent notification to a phone sits in the console outbox."""
    outbox = read_console_outbox(redis_client)
    return next(i for i, m in enumerate(outbox) if m["address"] == phone and m["text"].startswith("URGENT #1"))


def escalation_status(runtime) -> tuple[str, int] | None:
    """(status, level) of alert #1's escalation."""
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation).where(Escalation.alert_id == 1))
        return (esc.status, esc.level) if esc else None


def all_sent(runtime) -> bool:
    """True when no outbound message waits in the outbox or is being sent."""
    with runtime.db.transaction() as session:
        waiting = session.scalars(
            select(Message.id).where(
                Message.direction == Direction.OUT, Message.status.in_([MessageStatus.QUEUED, MessageStatus.SENDING])
            )
        ).all()
    return not waiting


def wait_level(redis_client, phone: str, count: int = 1, what: str = "") -> None:
    """Wait until `count` urgent notifications reached `phone` on the console."""
    wait_for(lambda: len(texts_to(redis_client, phone)) >= count, timeout=30, message=what or f"URGENT to {phone}")


def test_full_ladder_without_acknowledgement(runtime, directory, redis_client, worker, step_seconds):
    assert Chat(runtime, LEADER).send(URGENT)[0].startswith("Alerte #1 enregistr")
    wait_level(redis_client, ALIOU, what="level 1")
    wait_level(redis_client, BAKARY, what="level 2")
    wait_level(redis_client, SALIMATA, what="level 3")
    wait_level(redis_client, SALIMATA, 2, what="one repeat of level 3")
    wait_for(lambda: escalation_status(runtime) == ("exhausted", 3), timeout=30, message="the ladder's end")
    wait_for(lambda: all_sent(runtime), timeout=30, message="the outbox to empty")
    time.sleep(3 * step_seconds)  # a few more step lengths: nothing else may come
    assert first_index(redis_client, ALIOU) < first_index(redis_client, BAKARY) < first_index(redis_client, SALIMATA)
    assert [len(texts_to(redis_client, p)) for p in (ALIOU, BAKARY, SALIMATA)] == [1, 1, 2]
    assert [len(texts_to(redis_client, p, "RAPPEL #1")) for p in (ALIOU, BAKARY, SALIMATA)] == [2, 1, 0]
    assert escalation_status(runtime) == ("exhausted", 3)
    assert "Traceback" not in worker.output()


@pytest.mark.parametrize("step_seconds", [2])
def test_acknowledgement_at_level_2_stops_the_ladder(runtime, directory, redis_client, worker, step_seconds):
    reporter = Chat(runtime, LEADER)
    reporter.send(URGENT)
    wait_level(redis_client, BAKARY, what="level 2")
    assert Chat(runtime, ALIOU).send("OK 1")[0].startswith("Merci, vous prenez en charge #1")
    wait_for(lambda: texts_to(redis_client, BAKARY, "#1 est pris en charge par Aliou"), message="Bakary told")
    wait_for(lambda: texts_to(redis_client, LEADER, "Votre alerte #1 est prise en charge"), message="reporter told")
    time.sleep(3 * step_seconds)  # level 3 would have come by now
    wait_for(lambda: all_sent(runtime), timeout=30, message="the outbox to empty")
    assert escalation_status(runtime) == ("stopped", 2)
    with runtime.db.transaction() as session:
        assert session.scalars(select(Notification).where(Notification.level == 3)).all() == []
    assert texts_to(redis_client, SALIMATA, "") == []


def test_redis_flushed_right_after_the_alert_the_ladder_goes_on(runtime, directory, redis_client, worker):
    Chat(runtime, LEADER).send(URGENT)
    redis_client.flushdb()  # the scheduled step and the queued sends are lost
    wait_level(redis_client, ALIOU, what="level 1, re-enqueued by the outbox sweep")
    wait_level(redis_client, BAKARY, what="level 2, re-scheduled by the timer sweep")
    assert escalation_status(runtime)[1] >= 2
    assert "timer sweep: 1 overdue step(s) or reminder(s) re-scheduled" in worker.output()


def test_blocked_telegram_leaves_sms_only(runtime, directory, redis_client, fake_telegram, worker):
    fake_telegram.script("sendMessage", blocked())  # the first Telegram message is Aliou's level-1 alert
    Chat(runtime, LEADER).send(URGENT)
    wait_for(lambda: escalation_status(runtime) == ("exhausted", 3), timeout=30, message="the ladder's end")
    wait_for(lambda: all_sent(runtime), timeout=30, message="the outbox to empty")
    to_aliou = [c for c in fake_telegram.calls_to("sendMessage") if c.chat_id == ALIOU_TG]
    assert len(to_aliou) == 1, "after the block, Aliou gets nothing more on Telegram"
    assert len(texts_to(redis_client, ALIOU)) == 1, "one SMS of the alert, not two"
    assert len(texts_to(redis_client, ALIOU, "RAPPEL #1")) == 2
    [to_bakary] = [c for c in fake_telegram.calls_to("sendMessage") if c.chat_id == BAKARY_TG and "URGENT" in c.text]
    buttons = [b["callback_data"] for row in to_bakary.reply_markup["inline_keyboard"] for b in row]
    assert buttons == ["OK 1", "FIN 1"]
    assert len(texts_to(redis_client, BAKARY)) == 1, "Bakary still gets the SMS floor"
