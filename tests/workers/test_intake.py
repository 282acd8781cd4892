"""The intake: a webhook hands the stored message's id over with one Redis write; a worker's thread turns it into the
handling job, with RQ's policy; an id lost between the two (a worker killed) still gets its message handled."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bots.base import InboundMessage
from gateway.messaging.inbox import accept, process_pending
from gateway.models import Direction, Message
from tests.bots.twilio.test_webhooks import LEADER_PHONE
from tests.inbound_jobs import handle_queued
from tests.processes import wait_for
from workers import intake
from workers.queues import HANDLE_CRASH_RETRY, QUEUE_URGENT, handle_job_id, queue

LEADER = LEADER_PHONE  # a leader of the sample directory


def stored(runtime, text: str = "ALERTE 3 des hommes armés au marché", sid: str = "SM1") -> int:
    return accept(runtime, InboundMessage("twilio", sid, LEADER, text)).message_id


def urgent_ids(runtime) -> list[str]:
    return queue(runtime.redis, QUEUE_URGENT).get_job_ids()


def test_a_stored_message_waits_in_the_intake_until_a_worker_queues_its_handling(runtime, directory):
    message_id = stored(runtime)
    assert urgent_ids(runtime) == [] and intake.waiting(runtime.redis) == 1
    assert intake.move(runtime.redis) == 1
    assert urgent_ids(runtime) == [handle_job_id(message_id)] and intake.waiting(runtime.redis) == 0
    job = queue(runtime.redis, QUEUE_URGENT).fetch_job(handle_job_id(message_id))
    assert job.func_name == "workers.inbound.handle_message" and job.args == [message_id, 0]
    assert job.retries_left == HANDLE_CRASH_RETRY.max, "the handling job keeps RQ's crash retries"


def test_an_id_handed_over_twice_queues_one_job(runtime, directory):
    message_id = stored(runtime)
    intake.push(runtime.redis, message_id)
    assert intake.move(runtime.redis) == 2
    assert urgent_ids(runtime) == [handle_job_id(message_id)]


def test_an_entry_that_is_not_an_id_is_dropped_with_a_warning(runtime, directory, caplog):
    runtime.redis.rpush(intake.INTAKE_KEY, "not-a-number")
    message_id = stored(runtime)
    with caplog.at_level(logging.WARNING, logger="workers.intake"):
        assert intake.move(runtime.redis) == 2
    assert urgent_ids(runtime) == [handle_job_id(message_id)]
    assert "not a message id" in caplog.text and "not-a-number" not in caplog.text


def test_the_worker_thread_queues_the_handling_as_ids_arrive(runtime, directory):
    thread = intake.IntakeThread(runtime.redis)
    thread.start()
    try:
        message_id = stored(runtime)
        wait_for(lambda: urgent_ids(runtime) == [handle_job_id(message_id)], message="the handling job queued")
    finally:
        thread.stop()
        thread.join(intake.WAIT_SECONDS + 2)
    assert not thread.is_alive(), "the thread stops after its current wait"
    assert handle_queued(runtime) == 1
    with runtime.db.transaction() as session:
        assert session.scalar(select(Message.processed_at).where(Message.id == message_id)) is not None


def test_a_message_whose_id_was_lost_after_the_pop_is_handled_by_the_sweep(runtime, directory):
    message_id = stored(runtime)
    runtime.redis.lpop(intake.INTAKE_KEY)  # the worker that popped it died before queueing the job
    assert process_pending(runtime, older_than_seconds=0) == 1
    with runtime.db.transaction() as session:
        handled = session.scalar(select(Message.processed_at).where(Message.id == message_id))
        reply = session.scalar(select(Message.body).where(Message.direction == Direction.OUT))
    assert handled is not None and reply and "#" in reply, "the leader still gets the alert's reference"
