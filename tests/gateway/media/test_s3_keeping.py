"""Keeping media in the S3 store, end to end: a Twilio MMS through the webhook, its media jobs run by a real RQ worker
against the fake Twilio, the files in the local S3's bucket (opaque objects named by their random keys, nothing in
the instance folder); an inline MMS spooled during an outage; and a store that fails: the job fails and is tried
again, the row stays pending, nothing is lost."""

from __future__ import annotations

import base64

import pytest
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import select

from bots.base import InboundMessage, MediaRef
from gateway.media.keeping import keep
from gateway.media.s3_store import OPAQUE
from gateway.media.store import StoreUnavailable, media_store
from gateway.messaging import spool
from gateway.messaging.receiving import replay_spool
from gateway.models import MediaItem, MediaStatus
from tests import media_samples as files
from tests.bots.twilio.test_mms import post_mms
from tests.inbound_jobs import handle_queued, media_job_ids, run_media_jobs


@pytest.fixture
def bucket(fake_s3) -> str:
    return fake_s3.new_bucket()


@pytest.fixture
def env(base_env, fake_twilio, fake_s3, bucket) -> dict[str, str]:
    """The test gateway with Twilio on its fake and media in the local S3's bucket, under `media/`."""
    return {**base_env, **fake_twilio.env(), **fake_s3.env(bucket)}


def items(runtime) -> list[MediaItem]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(MediaItem).order_by(MediaItem.id)))


def test_an_mms_photo_and_voice_note_are_kept_in_the_bucket(client, runtime, directory, fake_twilio, fake_s3, bucket):
    photo = fake_twilio.add_media(files.JPEG, "image/jpeg")
    voice = fake_twilio.add_media(files.AMR, "audio/amr")
    response = post_mms(
        client, fake_twilio, "Le pont de Konna est coupé", [(photo, "image/jpeg"), (voice, "audio/amr")]
    )
    assert response.status_code == 200
    handle_queued(runtime)
    assert run_media_jobs(runtime) == 2

    photo_item, voice_item = items(runtime)
    assert [(i.status, i.content_type) for i in (photo_item, voice_item)] == [
        ("fetched", "image/jpeg"),
        ("fetched", "audio/amr"),
    ]
    assert fake_s3.objects(bucket) == {
        f"media/{photo_item.storage_key}": (files.JPEG, OPAQUE),
        f"media/{voice_item.storage_key}": (files.AMR, OPAQUE),
    }, "the checked type belongs in the database, never on the object"
    assert not (runtime.settings.instance_path / "media").exists(), "a file was written to the instance folder"
    assert media_store(runtime.settings).read(photo_item.storage_key) == files.JPEG


def test_a_refused_file_never_reaches_the_bucket(client, runtime, directory, fake_twilio, fake_s3, bucket):
    page = fake_twilio.add_media(files.HTML, "image/jpeg")
    post_mms(client, fake_twilio, "", [(page, "image/jpeg")])
    [item] = items(runtime)
    assert keep(runtime, item.id) == "failed:type_refused"
    assert fake_s3.objects(bucket) == {}


def test_a_spooled_mms_keeps_its_inline_file_in_the_bucket(runtime, directory, fake_s3, bucket):
    inbound = InboundMessage(
        channel="android", provider_id="mmsdl-s3", address="+22371139685", text="photo",
        media=(MediaRef("photo", "part-2", "image/png", len(files.PNG), base64.b64encode(files.PNG).decode()),),
    )  # fmt: skip
    spool.write(runtime.settings.instance_path, inbound, "phone")
    assert replay_spool(runtime) == 1
    [item] = items(runtime)
    assert fake_s3.objects(bucket) == {f"media/{item.storage_key}": (files.PNG, OPAQUE)}, "not written at once"
    assert keep(runtime, item.id) == "fetched"
    assert items(runtime)[0].content_type == "image/png"


def test_a_failing_store_fails_the_job_and_the_next_try_keeps_the_file(
    client, runtime, directory, fake_twilio, fake_s3, bucket
):
    photo = fake_twilio.add_media(files.JPEG, "image/jpeg")
    post_mms(client, fake_twilio, "", [(photo, "image/jpeg")])
    [item] = items(runtime)
    fake_s3.client().delete_bucket(Bucket=bucket)  # the store refuses every upload (bucket gone, wrong rights…)

    with pytest.raises(StoreUnavailable):
        keep(runtime, item.id)
    assert (items(runtime)[0].status, items(runtime)[0].error) == (MediaStatus.PENDING, None), "the file was given up"

    assert media_job_ids(runtime) == [f"media-{item.id}"]
    run_media_jobs(runtime)  # the real worker: the job fails, RQ's retry policy schedules it again
    job = Job.fetch(f"media-{item.id}", connection=runtime.redis, serializer=JSONSerializer)
    assert (job.get_status(), job.retries_left) == (JobStatus.SCHEDULED, 2), "the failed job is not tried again"
    assert items(runtime)[0].status == MediaStatus.PENDING

    fake_s3.client().create_bucket(Bucket=bucket)
    assert keep(runtime, item.id) == "fetched"
    assert fake_s3.objects(bucket) == {f"media/{item.storage_key}": (files.JPEG, OPAQUE)}
