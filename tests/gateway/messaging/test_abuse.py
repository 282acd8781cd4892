"""Amplification and loops (issue 13, point 4): a sender's replies are rationed, a machine loop is cut and the
desk told once, repeated alerts about one place are one alert with one ladder, an unknown Telegram account is
answered once a day on the bulk queue."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import func, select, update

from gateway.models import (
    Alert,
    AlertUpdate,
    Contact,
    Direction,
    Escalation,
    Message,
    MessageStatus,
    Notification,
    Priority,
    utcnow,
)
from tests.chat import Chat
from tests.gateway.alerts.test_alert_journey import chat_text
from workers.queues import QUEUE_BULK, QUEUE_URGENT, queue

LEADER = "+22371139685"  # Mamadou Dembélé, Konna (Kotaka), MOPTI, French
OTHER_LEADER = "+22378429376"  # Amadou Diallo, also Kotaka
MOPTI_FACILITATOR = "+22378863317"  # Moussa Guindo
STRANGER = "+22370000001"
NEWCOMER_TG = "987654321"  # a Telegram account outside the directory


def outbound(runtime, address: str | None = None, contact_phone: str | None = None) -> list[Message]:
    """Outbound rows to an address (or to a directory contact on any channel), oldest first."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.direction == Direction.OUT).order_by(Message.id)
        if address is not None:
            query = query.where(Message.address == address)
        if contact_phone is not None:
            query = query.join(Contact, Contact.id == Message.contact_id).where(Contact.phone == contact_phone)
        return list(session.scalars(query))


def inbound(runtime, address: str) -> list[Message]:
    """Inbound rows from an address, oldest first."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.direction == Direction.IN, Message.address == address)
        return list(session.scalars(query.order_by(Message.id)))


def all_alerts(runtime) -> list[Alert]:
    """Every alert, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def queued_job_ids(runtime) -> set[str]:
    """Ids of the jobs waiting on both queues."""
    return {j for name in (QUEUE_URGENT, QUEUE_BULK) for j in queue(runtime.redis, name).get_job_ids()}


def count(runtime, model) -> int:
    """Rows of a table."""
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def env_extra() -> dict[str, str]:
    """Settings a test changes (parametrized)."""
    return {}


@pytest.fixture
def env(base_env, env_extra) -> dict[str, str]:
    """The test gateway with the test's extra settings."""
    return {**base_env, **env_extra}


# --- Per-sender reply limit ---------------------------------------------------------------------------------


def test_two_hundred_messages_get_a_burst_of_replies_the_rest_held_all_stored(runtime, directory):
    chat = Chat(runtime, LEADER)
    for n in range(200):
        chat.send(f"Message numéro {n}: les jeunes se regroupent au marché")
    assert len(inbound(runtime, LEADER)) == 200, "every message is stored"
    assert all(m.processed_at is not None and m.alert_id is not None for m in inbound(runtime, LEADER))
    assert len(all_alerts(runtime)) == 200, "every message is still handled: 200 reports staff can see"
    rows = outbound(runtime, LEADER)
    assert len(rows) == 200
    going = [r for r in rows if r.status == MessageStatus.QUEUED]
    held = [r for r in rows if r.status == MessageStatus.HELD]
    burst = runtime.settings.sender_reply_burst
    assert burst <= len(going) <= burst + 1, "a burst (and maybe one refilled token) of replies"
    assert len(going) + len(held) == 200
    assert {r.error_code for r in held} == {"rate_limited"}
    jobs = queued_job_ids(runtime)
    assert not any(f"send-{r.id}-0" in jobs for r in held), "held replies are never enqueued"
    assert all(f"send-{r.id}-0" in jobs for r in going)


def test_the_limit_spares_escalations_to_officers(runtime, directory):
    chat = Chat(runtime, LEADER)
    for n in range(runtime.settings.sender_reply_burst + 2):
        chat.send(f"Bonjour {n}")
    assert chat.send("ALERTE 3 des hommes armés au marché de Kotaka") == [
        chat_text("alert.oneshot", ref=len(all_alerts(runtime)), severity=3)
    ]
    [confirmation] = outbound(runtime, LEADER)[-1:]
    assert (confirmation.status, confirmation.error_code) == (MessageStatus.HELD, "rate_limited")
    with runtime.db.transaction() as session:
        pages = session.scalars(select(Message).join(Notification, Notification.message_id == Message.id)).all()
    assert pages and {p.status for p in pages} == {MessageStatus.QUEUED}, "officers are paged as usual"


@pytest.mark.parametrize("env_extra", [{"SENDER_REPLY_BURST": "2", "SENDER_REPLY_REFILL_SECONDS": "1"}])
def test_a_token_comes_back_after_the_refill_time(runtime, directory, monkeypatch):
    from gateway.messaging import sender_limits

    chat = Chat(runtime, LEADER)
    answered = [bool(chat.send(f"Question {n}")) for n in range(3)]
    assert answered == [True, True, True], "replies are queued rows, held or not"
    statuses = [r.status for r in outbound(runtime, LEADER)]
    assert statuses == [MessageStatus.QUEUED, MessageStatus.QUEUED, MessageStatus.HELD]
    later = time.time() + 1.2  # one refill period on
    monkeypatch.setattr(sender_limits, "clock", lambda: later)
    chat.send("Question 3")
    assert outbound(runtime, LEADER)[-1].status == MessageStatus.QUEUED


def test_two_workers_never_both_take_the_last_token(redis_client):
    from gateway.messaging.sender_limits import ReplyBucket

    bucket = ReplyBucket(redis_client, burst=10, refill_seconds=3600)
    results: list[bool] = []
    lock = threading.Lock()

    def take():
        allowed = bucket.take("contact:1:twilio")
        with lock:
            results.append(allowed)

    threads = [threading.Thread(target=take) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 10 and len(results) == 60


def test_redis_down_fails_open_and_logs_once(caplog):
    from gateway.messaging.sender_limits import ReplyBucket

    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    bucket = ReplyBucket(dead, burst=1, refill_seconds=60)
    with caplog.at_level("WARNING", logger="gateway.messaging.sender_limits"):
        assert all(bucket.take("contact:1:twilio") for _ in range(3)), "replies go when Redis cannot count"
    assert len([r for r in caplog.records if "reply limit" in r.getMessage()]) == 1


# --- Unknown senders ----------------------------------------------------------------------------------------


@pytest.fixture
def telegram_runtime(base_env, fake_telegram):
    """A runtime with the Telegram channel pointed at the fake Bot API, and the sample directory."""
    from gateway.core.config import load_settings
    from gateway.core.runtime import build_runtime, set_process_runtime
    from gateway.directory.import_export import apply_rows, read_rows, validate
    from tests.conftest import SAMPLE_DIRECTORY

    runtime = build_runtime(load_settings(env={**base_env, **fake_telegram.env()}))
    set_process_runtime(runtime)
    rows, _ = validate(read_rows(SAMPLE_DIRECTORY.read_text(encoding="utf-8")))
    with runtime.db.transaction() as session:
        apply_rows(session, rows)
    yield runtime
    set_process_runtime(None)
    runtime.close()


def test_fifty_messages_from_an_unknown_telegram_account_get_one_answer_on_bulk(telegram_runtime):
    runtime = telegram_runtime
    chat = Chat(runtime, NEWCOMER_TG, channel="telegram")
    for n in range(50):
        chat.send(f"Bonjour, je veux signaler quelque chose ({n})")
    [answer] = outbound(runtime, NEWCOMER_TG)
    assert answer.kind == "identify" and answer.priority == Priority.BULK
    assert "partagez votre numéro" in answer.body
    assert len(inbound(runtime, NEWCOMER_TG)) == 50
    reports = all_alerts(runtime)
    assert len(reports) == 50 and {r.reporter_id for r in reports} == {None}, "their texts are still reports"


def test_unknown_sms_sender_gets_its_neutral_answer_on_bulk(runtime, directory):
    Chat(runtime, STRANGER).send("Allo, qui est-ce?")
    [answer] = outbound(runtime, STRANGER)
    assert answer.kind == "unknown_sender" and answer.priority == Priority.BULK


# --- Loop guard ---------------------------------------------------------------------------------------------

AUTO_REPLY = "Je suis absent pour le moment, je vous rappelle dès mon retour."


def test_identical_messages_at_machine_speed_stop_the_replies_and_tell_the_desk_once(runtime, directory):
    chat = Chat(runtime, LEADER)
    threshold = runtime.settings.loop_guard_count
    answered = [chat.send(AUTO_REPLY if n % 2 else AUTO_REPLY.upper() + "!") for n in range(15)]
    rows = outbound(runtime, LEADER)
    going = [r for r in rows if r.status == MessageStatus.QUEUED]
    assert len(going) == threshold - 1, "answered until the copies look like a machine"
    held = [r for r in rows if r.status == MessageStatus.HELD]
    assert {r.error_code for r in held} == {"loop_guard"} and len(held) == 15 - (threshold - 1)
    assert all(answered[: threshold - 1])
    [report] = all_alerts(runtime)
    assert all(m.alert_id == report.id for m in inbound(runtime, LEADER)), "copies are linked to the first report"
    [notice] = outbound(runtime, contact_phone=MOPTI_FACILITATOR)
    assert "annuaire" in notice.body and f"#{report.id}" in notice.body
    assert "Mamadou" not in notice.body and "Dembélé" not in notice.body, "the desk may not learn who reported"
    assert "+223" not in notice.body and "71139685" not in notice.body
    chat.send("ALERTE 3 des hommes armés au marché")
    assert len(outbound(runtime, contact_phone=MOPTI_FACILITATOR)) == 1, "told once per episode"
    assert outbound(runtime, LEADER)[-1].status == MessageStatus.HELD, "still quiet while the sender is not"
    assert len(all_alerts(runtime)) == 2, "a different message is still handled"


@pytest.mark.parametrize("env_extra", [{"LOOP_GUARD_SECONDS": "2", "LOOP_GUARD_COUNT": "3"}])
def test_replies_come_back_once_the_sender_has_been_quiet(runtime, directory):
    chat = Chat(runtime, LEADER)
    for _ in range(5):
        chat.send(AUTO_REPLY)
    assert [r.status for r in outbound(runtime, LEADER)][-1] == MessageStatus.HELD
    threading.Event().wait(2.5)  # the window passes quiet
    chat.send("Bonjour, c'est bien moi")
    assert outbound(runtime, LEADER)[-1].status == MessageStatus.QUEUED
    for _ in range(3):
        chat.send(AUTO_REPLY)
    assert len(outbound(runtime, contact_phone=MOPTI_FACILITATOR)) == 2, "a new episode is told again"


def test_copies_stored_minutes_apart_and_handled_together_are_no_loop(runtime, directory):
    from bots.base import InboundMessage
    from gateway.messaging.inbox import handle, store

    ids = [store(runtime, InboundMessage("console", f"late-{n}", LEADER, AUTO_REPLY)).message_id for n in range(6)]
    with runtime.db.transaction() as session:
        for n, message_id in enumerate(ids):  # one every 40 s, e.g. stored while the workers were down
            received = utcnow() - timedelta(seconds=40 * (len(ids) - n))
            session.execute(update(Message).where(Message.id == message_id).values(created_at=received))
    handle(runtime, ids[-1])  # the sweep handles them together, oldest first
    assert [r.status for r in outbound(runtime, LEADER)] == [MessageStatus.QUEUED] * 6
    assert outbound(runtime, contact_phone=MOPTI_FACILITATOR) == []


def test_a_loop_from_an_unknown_number_tells_the_coordinators_without_any_identity(runtime, directory):
    chat = Chat(runtime, STRANGER)
    for _ in range(8):
        chat.send(AUTO_REPLY)
    [report] = all_alerts(runtime)
    assert all(m.alert_id == report.id for m in inbound(runtime, STRANGER))
    with runtime.db.transaction() as session:
        coordinators = session.scalars(
            select(Contact.id).where(Contact.role == "officer", Contact.escalation_level == 2)
        ).all()
        notices = session.scalars(
            select(Message).where(Message.direction == Direction.OUT, Message.kind == "desk_notice")
        ).all()
    assert sorted(n.contact_id for n in notices) == sorted(coordinators)
    for notice in notices:
        assert "70000001" not in notice.body and "+223" not in notice.body
        assert f"#{report.id}" in notice.body


# --- Merging repeated alerts --------------------------------------------------------------------------------


def paging(runtime) -> tuple[int, int]:
    """(escalation rows, officer notifications)."""
    return count(runtime, Escalation), count(runtime, Notification)


def test_ten_alerts_about_one_place_in_a_minute_are_one_alert_paged_once(runtime, directory):
    chat = Chat(runtime, LEADER)
    first = chat.send("ALERTE 3 des coups de feu au marché de Kotaka")
    assert first == [chat_text("alert.oneshot", ref=1, severity=3)]
    once = paging(runtime)
    for n in range(9):
        assert chat.send(f"ALERTE 3 ça continue, {n + 2} blessés") == [chat_text("alert.merged", ref=1)]
    [alert] = all_alerts(runtime)
    assert paging(runtime) == once and once[0] == 1, "one ladder, officers paged once"
    assert all(m.alert_id == alert.id for m in inbound(runtime, LEADER))
    with runtime.db.transaction() as session:
        merged = session.scalars(select(AlertUpdate).where(AlertUpdate.kind == "merged")).all()
    assert [u.value for u in merged] == [f"ça continue, {n + 2} blessés" for n in range(9)]
    assert alert.description == "des coups de feu au marché de Kotaka"


def test_a_higher_severity_raises_the_alert_and_starts_its_ladder_once(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE 2 tension au marché")
    with runtime.db.transaction() as session:
        assert session.scalar(select(Escalation.ladder)) is False, "a tension is a notice, no ladder"
    assert chat.send("ALERTE 3 ils sortent les armes") == [chat_text("alert.merged", ref=1)]
    [alert] = all_alerts(runtime)
    assert alert.severity == 3
    with runtime.db.transaction() as session:
        [escalation] = session.scalars(select(Escalation)).all()
        assert escalation.ladder is True and escalation.status == "active"
    pages = paging(runtime)
    chat.send("ALERTE 3 toujours les armes")
    assert paging(runtime) == pages, "the ladder starts once"


def test_guided_alert_about_the_same_place_joins_the_open_one(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE 3 des coups de feu")
    for text in ("ALERTE", "1", "2", "3"):
        chat.send(text)
    assert chat.send("Des hommes armés au marché") == [chat_text("alert.merged", ref=1)]
    [alert] = all_alerts(runtime)
    assert alert.category == "armed_group", "what the guided flow adds fills the blanks"
    assert all(m.alert_id == alert.id for m in inbound(runtime, LEADER) if m.body != "ALERTE")
    assert paging(runtime)[0] == 1


def test_other_place_other_leader_or_after_the_window_is_a_new_alert(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE 3 des coups de feu")
    for text in ("ALERTE", "Konna marché", "2", "3"):
        chat.send(text)
    assert chat.send("Des hommes armés")[0].startswith("Alerte #2 enregistrée"), "another place"
    assert Chat(runtime, OTHER_LEADER).send("ALERTE 3 coups de feu")[0].startswith("Alerte #3"), "another leader"
    with runtime.db.transaction() as session:
        session.execute(update(Alert).values(created_at=utcnow() - timedelta(seconds=601)))
    assert chat.send("ALERTE 3 encore des tirs")[0].startswith("Alerte #4"), "after the merge window"
    assert paging(runtime)[0] == 4


def test_a_closed_alert_is_not_joined(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE 3 des coups de feu")
    with runtime.db.transaction() as session:
        session.execute(update(Alert).values(status="resolved"))
    assert chat.send("ALERTE 3 encore")[0].startswith("Alerte #2")


@pytest.mark.parametrize("env_extra", [{"ALERT_MERGE_SECONDS": "0"}])
def test_merging_off(runtime, directory):
    chat = Chat(runtime, LEADER)
    chat.send("ALERTE 3 des coups de feu")
    assert chat.send("ALERTE 3 encore")[0].startswith("Alerte #2")
