"""Retention with media in the S3 store: the purge deletes the files of purged messages from the bucket (after its
commit), keeps the recent ones, and goes on past a store that fails: the rows are purged, the keys it could not
delete are logged and counted in the audit row, never a crash half-way."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from sqlalchemy import select

from bots.base import MediaRef
from gateway.media.keeping import keep
from gateway.media.records import add_items
from gateway.media.s3_store import OPAQUE
from gateway.media.store import media_store
from gateway.models import MediaItem, MediaStatus
from gateway.models.audit import AuditEntry
from gateway.retention.purge import purge, run_purge
from tests import media_samples as files
from tests.gateway.retention.aged_rows import seed


@pytest.fixture
def bucket(fake_s3) -> str:
    return fake_s3.new_bucket()


@pytest.fixture
def env(base_env, fake_s3, bucket) -> dict[str, str]:
    """The test gateway with its media in the local S3's bucket, at the bucket's root."""
    return {**base_env, **fake_s3.env(bucket, prefix="")}


def photo_of_age(runtime, days: float, known: bool = True) -> str:
    """An inbound message `days` old with a photo kept in the bucket; the photo's key."""
    with runtime.db.transaction() as session:
        message_id = seed(session, f"photo {days}", "in", days, known)
        data = base64.b64encode(files.JPEG).decode()
        [media_id] = add_items(
            session, message_id, [MediaRef("photo", data=data)], media_store(runtime.settings), 2**20
        )
    assert keep(runtime, media_id) == "fetched"
    with runtime.db.transaction() as session:
        return session.get(MediaItem, media_id).storage_key


def test_the_purge_deletes_old_files_from_the_bucket(runtime, directory, fake_s3, bucket):
    old, stranger, recent = photo_of_age(runtime, 181), photo_of_age(runtime, 31, known=False), photo_of_age(runtime, 9)
    assert set(fake_s3.objects(bucket)) == {old, stranger, recent}

    assert purge(runtime.db, runtime.settings, dry_run=True).counts["media"] == 2
    assert len(fake_s3.objects(bucket)) == 3, "a dry run deleted a file"
    report = purge(runtime.db, runtime.settings)

    assert (report.counts["media"], report.files_left) == (2, 0)
    assert fake_s3.objects(bucket) == {recent: (files.JPEG, OPAQUE)}
    with runtime.db.transaction() as session:
        statuses = dict(session.execute(select(MediaItem.storage_key, MediaItem.status)).all())
    assert statuses == {old: MediaStatus.PURGED, stranger: MediaStatus.PURGED, recent: MediaStatus.FETCHED}


def test_a_failing_store_does_not_stop_the_purge(runtime, directory, fake_s3, bucket, caplog):
    old = photo_of_age(runtime, 200)
    client = fake_s3.client()
    client.delete_object(Bucket=bucket, Key=old)
    client.delete_bucket(Bucket=bucket)  # the store now fails every request (NoSuchBucket)

    with caplog.at_level(logging.ERROR, logger="gateway.retention.purge"):
        report = run_purge(runtime.db, runtime.settings, actor="test")
    assert (report.counts["media"], report.files_left) == (1, 1)
    assert any(old in r.getMessage() and "not deleted" in r.getMessage() for r in caplog.records), "key not logged"
    with runtime.db.transaction() as session:
        assert session.scalar(select(MediaItem.status)) == MediaStatus.PURGED, "the row kept its file's reference"
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "purge")).all()
    assert json.loads(entry.detail)["files_left"] == 1
