"""Inbound webhooks answer once the message is stored; a job on the urgent queue handles it (invariant 1), one
message at a time per sender and in arrival order, once per provider id (invariant 2), even when Redis could not
take the job (the sweeper handles it) or the job runs twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from flows import conversations
from flows.conversations import address_key
from gateway.models import Alert, Direction, Message, utcnow
from tests.bots.twilio.test_webhooks import (
    ACCOUNT_SID,
    LEADER_PHONE,
    PUBLIC_BASE_URL,
    SMS_PATH,
    TOKEN,
    load_form,
    post_form,
    sign,
)
from tests.inbound_jobs import handle_job_ids, handle_queued
from workers.inbound import handle_message
from workers.queues import CONTACT_LOCK_KEY, QUEUE_URGENT, handle_job_id, queue
from workers.sweeper import sweep_once

ONESHOT = "ALERTE 3 des hommes armés au marché de Kotaka"
GUIDED = ["ALERTE", "1", "2", "3", "Des motos armées tournent autour du village depuis ce matin"]


@pytest.fixture
def env(base_env) -> dict[str, str]:
    """The test gateway with the Twilio channel."""
    twilio = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": "+15005550006"}
    return {**base_env, **twilio, "PUBLIC_BASE_URL": PUBLIC_BASE_URL}


def sms(client, text: str, sid: str):
    """Post one signed SMS from the leader, as Twilio does."""
    form = load_form("receive_freetext", Body=text, MessageSid=sid)
    return post_form(client, SMS_PATH, form, sign(PUBLIC_BASE_URL + SMS_PATH, form))


def inbound(runtime) -> list[Message]:
    """The inbound messages, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.direction == Direction.IN).order_by(Message.id)))


def replies(runtime) -> list[str]:
    """The texts queued to the leader, oldest first."""
    with runtime.db.transaction() as session:
        return list(
            session.scalars(
                select(Message.body)
                .where(Message.direction == Direction.OUT, Message.address == LEADER_PHONE)
                .order_by(Message.id)
            )
        )


def alerts(runtime) -> list[Alert]:
    """The alerts, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_the_webhook_answers_once_stored_and_the_reply_comes_from_the_job(client, runtime, directory):
    response = sms(client, ONESHOT, "SM" + "a1" * 16)
    assert response.status_code == 200
    [stored] = inbound(runtime)
    assert stored.body == ONESHOT and stored.processed_at is None, "stored, not handled in the request"
    assert replies(runtime) == [] and alerts(runtime) == [], "no worker ran yet: nothing to answer"
    assert handle_job_ids(runtime) == [handle_job_id(stored.id)] == [f"handle-{stored.id}"]

    assert handle_queued(runtime) == 1
    [alert] = alerts(runtime)
    assert [r.split(",")[0] for r in replies(runtime)] == [f"Alerte #{alert.id} enregistrée"]
    assert inbound(runtime)[0].processed_at is not None


def test_jobs_run_newest_first_still_handle_a_sender_in_arrival_order(client, runtime, directory):
    """Five answers of a guided alert, their jobs run in reverse: the conversation still goes step by step."""
    for number, text in enumerate(GUIDED):
        assert sms(client, text, f"SM{number:032x}").status_code == 200
    assert replies(runtime) == []
    assert handle_queued(runtime, reverse=True) == len(GUIDED)

    [alert] = alerts(runtime)
    assert (alert.category, alert.severity, alert.source, alert.place) == ("armed_group", 3, "guided", "Kotaka")
    assert alert.description == GUIDED[-1]
    texts = replies(runtime)
    assert [t.split(" ")[0] for t in texts] == ["Alerte:", "Quoi?", "Gravité?", "Décrivez", "Alerte"]
    assert all(m.processed_at is not None for m in inbound(runtime))


def test_a_replay_queues_no_second_job(client, runtime, directory):
    form_sid = "SM" + "b2" * 16
    first, again = sms(client, ONESHOT, form_sid), sms(client, ONESHOT, form_sid)
    assert (first.status_code, first.get_data()) == (again.status_code, again.get_data())
    [stored] = inbound(runtime)
    assert handle_job_ids(runtime) == [handle_job_id(stored.id)], "one job for one provider id"
    handle_queued(runtime)
    assert sms(client, ONESHOT, form_sid).status_code == 200  # Twilio retries once more, after the handling
    assert handle_job_ids(runtime) == [] and len(inbound(runtime)) == 1
    assert len(replies(runtime)) == 1 and len(alerts(runtime)) == 1


def test_redis_down_at_enqueue_still_answers_and_the_sweeper_handles_it(client, runtime, directory, monkeypatch):
    dead = redis.Redis.from_url("redis://127.0.0.1:1/9", socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    live = runtime.redis_handle.client
    monkeypatch.setattr(runtime.redis_handle, "client", dead)
    response = sms(client, ONESHOT, "SM" + "c3" * 16)
    monkeypatch.setattr(runtime.redis_handle, "client", live)

    assert response.status_code == 200, response.get_data(as_text=True)
    [stored] = inbound(runtime)
    assert stored.processed_at is None and handle_job_ids(runtime) == [], "stored; no job could be queued"
    assert replies(runtime) == []

    with runtime.db.transaction() as session:  # OUTBOX_STALE_SECONDS later
        session.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=1)))
    assert sweep_once(runtime) is not None
    assert len(alerts(runtime)) == 1 and len(replies(runtime)) == 1
    assert inbound(runtime)[0].processed_at is not None


def test_the_job_run_twice_handles_once(client, runtime, directory):
    assert sms(client, ONESHOT, "SM" + "d4" * 16).status_code == 200
    [stored] = inbound(runtime)
    assert handle_message(stored.id) == "1 handled"
    assert handle_message(stored.id) == "0 handled"
    assert handle_queued(runtime) == 1  # the queued job itself, after the message was handled
    assert len(replies(runtime)) == 1 and len(alerts(runtime)) == 1


def test_a_busy_sender_is_handled_again_shortly(client, runtime, directory, monkeypatch):
    monkeypatch.setattr(conversations, "LOCK_WAIT_SECONDS", 0.2)
    lock = runtime.redis.lock(CONTACT_LOCK_KEY + address_key(LEADER_PHONE), timeout=10)
    assert lock.acquire()
    assert sms(client, ONESHOT, "SM" + "e5" * 16).status_code == 200
    [stored] = inbound(runtime)
    assert handle_queued(runtime) == 1
    assert replies(runtime) == [] and stored.processed_at is None
    scheduled = ScheduledJobRegistry(queue=queue(runtime.redis, QUEUE_URGENT))
    assert scheduled.get_job_ids() == [handle_job_id(stored.id, 1)], "not lost: scheduled again"

    lock.release()
    assert handle_message(stored.id, 1) == "1 handled"
    assert len(replies(runtime)) == 1 and inbound(runtime)[0].processed_at is not None
