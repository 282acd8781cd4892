"""Media from storage to purge: a message's files go with its body (retention); a file still waiting when Redis
was down is queued by the sweep; a message spooled during a database outage keeps its inline files; settings."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from bots.base import InboundMessage, MediaRef
from gateway.core.config import ConfigError, load_settings
from gateway.media.keeping import keep, sweep
from gateway.media.records import add_items
from gateway.media.store import media_store, sniff
from gateway.messaging import spool
from gateway.messaging.receiving import replay_spool
from gateway.models import MediaItem, MediaStatus, Message
from gateway.retention.purge import purge
from tests import media_samples as files
from tests.gateway.retention.aged_rows import seed
from tests.inbound_jobs import media_job_ids
from workers.queues import QUEUE_BULK, enqueue_media, queue


def items(runtime) -> list[MediaItem]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(MediaItem).order_by(MediaItem.id)))


def message_with_photo(runtime, days: float, known: bool = True) -> tuple[int, str]:
    """An inbound message `days` old with a photo kept; (message id, storage key)."""
    store = media_store(runtime.settings)
    with runtime.db.transaction() as session:
        message_id = seed(session, f"photo {days}", "in", days, known)
        encoded = base64.b64encode(files.JPEG).decode()
        [media_id] = add_items(session, message_id, [MediaRef("photo", data=encoded)], store, 2**20)
    assert keep(runtime, media_id) == "fetched"
    return message_id, items(runtime)[-1].storage_key


def test_retention_purges_the_files_with_the_bodies(runtime, directory):
    old_id, old_key = message_with_photo(runtime, 181)
    stranger_id, stranger_key = message_with_photo(runtime, 31, known=False)
    recent_id, recent_key = message_with_photo(runtime, 10)
    store = media_store(runtime.settings)

    dry = purge(runtime.db, runtime.settings, dry_run=True)
    assert dry.counts["media"] == 2 and store.read(old_key) == files.JPEG, "a dry run removed a file"
    report = purge(runtime.db, runtime.settings)

    assert report.counts["media"] == 2
    by_message = {item.message_id: item for item in items(runtime)}
    assert (by_message[old_id].status, by_message[old_id].provider_ref) == (MediaStatus.PURGED, None)
    assert by_message[stranger_id].status == MediaStatus.PURGED
    assert by_message[recent_id].status == MediaStatus.FETCHED
    assert (store.read(old_key), store.read(stranger_key), store.read(recent_key)) == (None, None, files.JPEG)
    assert purge(runtime.db, runtime.settings).counts["media"] == 0, "a second purge found media again"
    assert keep(runtime, by_message[old_id].id) == "skipped", "a late job brought a purged file back"


def test_the_sweep_queues_media_left_pending(runtime, directory):
    with runtime.db.transaction() as session:
        message_id = seed(session, "photo", "in", 1, True)
        [media_id] = add_items(session, message_id, [MediaRef("photo", "AgACfile")], media_store(runtime.settings), 10)
    assert sweep(runtime, older_than_seconds=3600) == 0, "a fresh item was queued twice"
    with runtime.db.transaction() as session:
        session.get(MediaItem, media_id).created_at = session.get(Message, message_id).created_at
    assert sweep(runtime, older_than_seconds=3600) == 1
    assert media_job_ids(runtime) == [f"media-{media_id}"]
    assert sweep(runtime, older_than_seconds=3600) == 0, "queued again while its job waits"


def test_the_sweep_queues_again_a_retry_whose_job_was_lost_and_leaves_a_scheduled_one(runtime, directory):
    with runtime.db.transaction() as session:
        message_id = seed(session, "photo", "in", 1, True)
        [media_id] = add_items(session, message_id, [MediaRef("photo", "AgACfile")], media_store(runtime.settings), 10)
        item = session.get(MediaItem, media_id)
        item.created_at, item.attempts = session.get(Message, message_id).created_at, 2  # the provider failed twice
    enqueue_media(runtime.redis, media_id, 2, delay=600)  # its third try, scheduled
    assert sweep(runtime, older_than_seconds=3600) == 0, "a scheduled retry is not doubled"
    queue(runtime.redis, QUEUE_BULK).scheduled_job_registry.remove(f"media-{media_id}-2", delete_job=True)
    assert sweep(runtime, older_than_seconds=3600) == 1, "its job lost (a worker killed): queued again"
    assert media_job_ids(runtime) == [f"media-{media_id}-2"], "at the try it was at"


def test_a_spooled_message_keeps_its_inline_files(runtime, directory):
    data = base64.b64encode(files.PNG).decode()
    inbound = InboundMessage(
        channel="android", provider_id="mmsdl-abc", address="+22371139685", text="photo",
        media=(MediaRef("photo", "part-2", "image/png", len(files.PNG), data),),
    )  # fmt: skip
    spool.write(runtime.settings.instance_path, inbound, "phone")
    assert replay_spool(runtime) == 1
    [item] = items(runtime)
    assert (item.kind, item.provider_ref, item.declared_type) == ("photo", "inline", "image/png")
    assert keep(runtime, item.id) == "fetched"
    assert media_store(runtime.settings).read(item.storage_key) == files.PNG


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (files.JPEG, "image/jpeg"),
        (files.PNG, "image/png"),
        (files.OGG_OPUS, "audio/ogg"),
        (files.MP3, "audio/mpeg"),
        (files.MP4, "video/mp4"),
        (files.AMR, "audio/amr"),
        (files.PDF, "application/pdf"),
        (files.HTML, "text/html"),
        (b"", "application/octet-stream"),
    ],
    ids=["jpeg", "png", "ogg", "mp3", "mp4", "amr", "pdf", "html", "empty"],
)
def test_types_are_read_from_the_bytes(content, expected):
    assert sniff(content) == expected


def test_media_settings(env):
    assert load_settings(env).media_max_bytes == 20 * 1024 * 1024
    assert load_settings({**env, "MEDIA_MAX_BYTES": "5000000"}).media_max_bytes == 5_000_000
    with pytest.raises(ConfigError, match="MEDIA_MAX_BYTES"):
        load_settings({**env, "MEDIA_MAX_BYTES": "20MB"})
    assert load_settings(env).media_store_bucket is None, "the instance folder by default"
    s3 = load_settings({**env, "MEDIA_STORE_URL": "s3://gateway-media/mopti"})
    assert (s3.media_store_bucket, s3.media_store_prefix) == ("gateway-media", "mopti/")
    with pytest.raises(ConfigError, match="MEDIA_STORE_URL"):
        load_settings({**env, "MEDIA_STORE_URL": "https://s3.example.org/gateway-media"})


def test_store_refuses_keys_that_are_paths(tmp_path):
    store = media_store(type("S", (), {"instance_path": tmp_path})())
    for key in ("../secret", "a/b", "", ".."):
        with pytest.raises(ValueError):
            store.path(key)
    store.put("abc_-1", files.JPEG)
    assert (tmp_path / "media" / "abc_-1").stat().st_mode & 0o111 == 0, "a stored file is executable"
