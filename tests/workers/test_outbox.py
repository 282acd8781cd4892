"""Invariant 3, the transactional outbox: a row per message, enqueued only after commit, sent once, swept back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select, update

from bots.console import read_console_outbox
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Message, MessageStatus, Priority, utcnow
from tests.processes import wait_for
from workers.outbound import send_batch, send_message
from workers.queues import QUEUE_BULK, QUEUE_URGENT, SEND_BATCH_SIZE, queue, send_batch_job_id, send_job_id
from workers.sweeper import sweep_outbox
from workers.worker import run_worker


def _leader(session) -> Contact:
    return session.scalars(select(Contact).where(Contact.role == "leader").order_by(Contact.id)).first()


def _queued_ids(redis_client, name=QUEUE_URGENT) -> list[str]:
    return queue(redis_client, name).job_ids


def test_message_is_enqueued_only_after_the_commit(runtime, directory, redis_client):
    with runtime.db.transaction() as session:
        message = queue_message(session, runtime, contact=_leader(session), body="Bonjour")
        assert _queued_ids(redis_client) == [], "enqueued before the commit"
    assert _queued_ids(redis_client) == [send_job_id(message.id, 0)]


def test_rolled_back_message_is_never_enqueued(runtime, directory, redis_client):
    with pytest.raises(RuntimeError):
        with runtime.db.transaction() as session:
            queue_message(session, runtime, contact=_leader(session), body="Bonjour")
            raise RuntimeError("the record that caused it failed")
    assert _queued_ids(redis_client) == []
    with runtime.db.transaction() as session:
        assert session.scalars(select(Message)).all() == []


def test_send_job_run_twice_sends_once(runtime, directory, redis_client):
    with runtime.db.transaction() as session:
        message = queue_message(session, runtime, contact=_leader(session), body="Une fois")
    assert send_message(message.id) == "sent"
    assert send_message(message.id) == "skipped"
    sent = read_console_outbox(redis_client)
    assert [m["message_id"] for m in sent] == [message.id]
    with runtime.db.transaction() as session:
        row = session.get(Message, message.id)
        assert row.status == MessageStatus.SENT and row.attempts == 1 and row.provider_id == sent[0]["provider_id"]


def test_redis_down_at_commit_keeps_the_row_and_the_sweeper_sends_it(runtime, directory, redis_client):
    real = runtime.redis_handle.client
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    runtime.redis_handle.client = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    try:
        with runtime.db.transaction() as session:
            message = queue_message(session, runtime, contact=_leader(session), body="Malgré tout")
    finally:
        runtime.redis_handle.client = real
    assert _queued_ids(redis_client) == []
    with runtime.db.transaction() as session:
        row = session.get(Message, message.id)
        assert row.status == MessageStatus.QUEUED
    # Not yet stale: the sweeper leaves fresh rows to their own job.
    assert sweep_outbox(runtime, now=row.updated_at + timedelta(seconds=1)).requeued == 0
    report = sweep_outbox(runtime, now=utcnow() + timedelta(seconds=runtime.settings.outbox_stale_seconds + 1))
    assert report.requeued == 1
    assert _queued_ids(redis_client) == [send_job_id(message.id, 0)]


def test_sweeper_does_not_double_enqueue_a_pending_job(runtime, directory, redis_client):
    with runtime.db.transaction() as session:
        message = queue_message(session, runtime, contact=_leader(session), body="Patience")
    later = utcnow() + timedelta(seconds=runtime.settings.outbox_stale_seconds + 1)
    assert sweep_outbox(runtime, now=later).requeued == 0
    assert _queued_ids(redis_client) == [send_job_id(message.id, 0)]


def test_a_backlog_sweep_enqueues_only_the_rows_whose_job_was_lost(runtime, directory, redis_client):
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == "leader").limit(4)).all()
        ids = [queue_message(session, runtime, contact=c, body="Réunion demain").id for c in leaders]
    Job.fetch(send_job_id(ids[1], 0), connection=redis_client, serializer=JSONSerializer).delete()  # lost job
    later = utcnow() + timedelta(seconds=runtime.settings.outbox_stale_seconds + 1)
    assert sweep_outbox(runtime, now=later).requeued == 1
    assert sorted(_queued_ids(redis_client)) == sorted(send_job_id(i, 0) for i in ids), "one job per row, no more"


def test_redis_flushed_then_swept_sends_every_message_once(runtime, directory, redis_client):
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == "leader").limit(5)).all()
        ids = [queue_message(session, runtime, contact=c, body="Réunion", priority=Priority.BULK).id for c in leaders]
    redis_client.flushdb()  # the queue is lost; the rows are not
    later = utcnow() + timedelta(seconds=runtime.settings.outbox_stale_seconds + 1)
    assert sweep_outbox(runtime, now=later).requeued == 5
    run_worker(runtime, burst=True)
    assert sorted(m["message_id"] for m in read_console_outbox(redis_client)) == ids


def test_row_stranded_in_sending_by_a_dead_worker_is_sent_again(runtime, directory, redis_client):
    with runtime.db.transaction() as session:
        message = queue_message(session, runtime, contact=_leader(session), body="Reprise")
    long_ago = utcnow() - timedelta(hours=1)
    with runtime.db.transaction() as session:  # a worker claimed it, then died before calling the provider
        session.execute(
            update(Message).where(Message.id == message.id).values(status=MessageStatus.SENDING, updated_at=long_ago)
        )
    redis_client.flushdb()
    assert send_message(message.id) == "skipped"  # still claimed: not sent by a second worker
    report = sweep_outbox(runtime, now=utcnow() + timedelta(seconds=runtime.settings.outbox_stale_seconds + 1))
    assert report.unstuck == 1
    later = utcnow() + timedelta(seconds=2 * runtime.settings.outbox_stale_seconds + 2)
    assert sweep_outbox(runtime, now=later).requeued == 1
    run_worker(runtime, burst=True)
    assert [m["message_id"] for m in read_console_outbox(redis_client)] == [message.id]


def test_urgent_messages_are_served_before_bulk(runtime, directory, redis_client):
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == "leader").limit(6)).all()
        bulk = [queue_message(session, runtime, contact=c, body="Avis", priority=Priority.BULK).id for c in leaders]
        urgent = queue_message(session, runtime, contact=leaders[0], body="Urgent", priority=Priority.URGENT).id
    assert len(queue(redis_client, QUEUE_BULK).job_ids) == 6
    run_worker(runtime, burst=True)
    order = [m["message_id"] for m in read_console_outbox(redis_client)]
    assert order[0] == urgent and sorted(order[1:]) == bulk


def _queue_bulk(runtime, count: int) -> list[int]:
    """One transaction queueing a bulk text to `count` leaders (a broadcast); their ids."""
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == "leader").order_by(Contact.id)).all()
        assert len(leaders) >= count
        rows = [queue_message(session, runtime, contact=c, body="Avis", priority=Priority.BULK, flush=False)
                for c in leaders[:count]]  # fmt: skip
    return [row.id for row in rows]


def test_broadcast_travels_in_batch_jobs_and_a_batch_run_twice_sends_each_once(runtime, directory, redis_client):
    ids = _queue_bulk(runtime, SEND_BATCH_SIZE + 5)
    assert _queued_ids(redis_client, QUEUE_BULK) == [
        send_batch_job_id(ids[:SEND_BATCH_SIZE]),
        send_batch_job_id(ids[SEND_BATCH_SIZE:]),
    ]
    job = Job.fetch(send_batch_job_id(ids[SEND_BATCH_SIZE:]), connection=redis_client, serializer=JSONSerializer)
    assert job.args == [ids[SEND_BATCH_SIZE:], QUEUE_BULK]  # ids only, never texts or numbers
    assert send_batch(ids[:SEND_BATCH_SIZE], QUEUE_BULK) == f"sent {SEND_BATCH_SIZE}"
    assert send_batch(ids[:SEND_BATCH_SIZE], QUEUE_BULK) == f"skipped {SEND_BATCH_SIZE}"
    run_worker(runtime, burst=True)
    sent = [m["message_id"] for m in read_console_outbox(redis_client)]
    assert sorted(sent) == ids, "each leader once"


def test_a_bulk_batch_yields_to_urgent_work_and_hands_on_the_rest(runtime, directory, redis_client):
    ids = _queue_bulk(runtime, 25)
    queue(redis_client, QUEUE_BULK).empty()  # this test runs the batch itself
    with runtime.db.transaction() as session:
        urgent = queue_message(session, runtime, contact=_leader(session), body="Urgent").id
    assert send_batch(ids, QUEUE_BULK) == "handed on 24, sent 1"
    assert _queued_ids(redis_client, QUEUE_BULK) == [send_batch_job_id(ids[1:])]
    run_worker(runtime, burst=True)
    order = [m["message_id"] for m in read_console_outbox(redis_client)]
    assert order[:2] == [ids[0], urgent] and sorted(order[2:]) == ids[1:]


def test_jobs_carry_only_the_message_id_as_json(runtime, directory, redis_client):
    with runtime.db.transaction() as session:
        message = queue_message(session, runtime, contact=_leader(session), body="Contenu privé")
    job = Job.fetch(send_job_id(message.id, 0), connection=redis_client, serializer=JSONSerializer)
    assert job.args == [message.id]
    raw = b"".join(v for v in redis_client.hgetall(job.key).values())
    assert "Contenu privé".encode() not in raw and _leader_phone(runtime).encode() not in raw


def _leader_phone(runtime) -> str:
    with runtime.db.transaction() as session:
        return _leader(session).phone


@pytest.mark.e2e
def test_real_worker_process_sends_the_outbox(runtime, directory, redis_client, start_process):
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == "leader").limit(3)).all()
        ids = [queue_message(session, runtime, contact=c, body="Bonjour").id for c in leaders]
    worker = start_process("worker")
    wait_for(lambda: len(read_console_outbox(redis_client)) == 3, message="3 console messages")
    assert worker.stop() == 0
    with runtime.db.transaction() as session:
        statuses = session.scalars(select(Message.status).where(Message.id.in_(ids))).all()
    assert statuses == [MessageStatus.SENT] * 3
