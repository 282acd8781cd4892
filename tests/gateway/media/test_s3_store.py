"""The S3 media store (MEDIA_STORE_URL) against a local S3 over real HTTP: the instance folder's put/read/delete by
random key, objects opaque and private, keys that are not ours refused, and a store that is down failing fast with
StoreUnavailable (the media job is then tried again) instead of hanging or passing for "absent"."""

from __future__ import annotations

import pytest

from gateway.core.config import load_settings
from gateway.media.s3_store import OPAQUE, S3MediaStore
from gateway.media.store import MediaStore, StoreUnavailable, media_store, new_key
from tests import media_samples as files
from tests.fakes.s3_store import closed_port


@pytest.fixture
def bucket(fake_s3) -> str:
    return fake_s3.new_bucket()


@pytest.fixture
def store(fake_s3, bucket, base_env) -> S3MediaStore:
    return media_store(load_settings({**base_env, **fake_s3.env(bucket)}))


def test_put_read_delete_round_trip(store, fake_s3, bucket):
    assert isinstance(store, S3MediaStore)
    key = new_key()
    store.put(key, files.JPEG)
    assert fake_s3.objects(bucket) == {f"media/{key}": (files.JPEG, OPAQUE)}, "not opaque, or not under the prefix"
    assert store.read(key) == files.JPEG
    assert store.delete(key) is True
    assert fake_s3.objects(bucket) == {}
    assert store.read(key) is None and store.delete(key) is False


def test_an_absent_key_reads_none_and_deletes_false(store):
    assert store.read(new_key()) is None
    assert store.delete(new_key()) is False


def test_an_empty_file_is_kept_and_deleted(store):
    key = new_key()
    store.put(key, b"")
    assert store.read(key) == b""
    assert store.delete(key) is True and store.read(key) is None


def test_keys_that_are_not_ours_are_refused(store, fake_s3, bucket):
    for key in ("../secret", "a/b", "", "..", "media/x", "clé"):
        with pytest.raises(ValueError):
            store.put(key, files.JPEG)
        assert store.read(key) is None and store.delete(key) is False
    assert fake_s3.objects(bucket) == {}


def test_the_bucket_stays_private(store, fake_s3, bucket):
    """Nothing in the bucket is readable without credentials: the console's route is the only way to a file."""
    import requests

    key = new_key()
    store.put(key, files.PNG)
    anonymous = requests.get(f"{fake_s3.endpoint}/{bucket}/media/{key}", timeout=10)
    assert anonymous.status_code == 403 and files.PNG not in anonymous.content


def test_one_client_per_process_and_setting(fake_s3, bucket, base_env):
    settings = load_settings({**base_env, **fake_s3.env(bucket)})
    assert media_store(settings) is media_store(settings)
    other = load_settings({**base_env, **fake_s3.env(bucket, prefix="other")})
    assert media_store(other) is not media_store(settings) and media_store(other).prefix == "other/"
    assert isinstance(media_store(load_settings(base_env)), MediaStore), "no MEDIA_STORE_URL: the instance folder"


def test_a_missing_bucket_is_a_failure_not_an_absent_file(fake_s3, base_env):
    store = media_store(load_settings({**base_env, **fake_s3.env("no-such-bucket-here")}))
    with pytest.raises(StoreUnavailable, match="NoSuchBucket"):
        store.put(new_key(), files.JPEG)
    with pytest.raises(StoreUnavailable):
        store.read(new_key())
    with pytest.raises(StoreUnavailable):
        store.delete(new_key())


def test_a_store_that_is_down_fails_with_a_short_reason(fake_s3, base_env):
    env = {**base_env, **fake_s3.env("any-bucket"), "MEDIA_STORE_ENDPOINT": f"http://127.0.0.1:{closed_port()}"}
    store = media_store(load_settings(env))
    key = new_key()
    for call in (lambda: store.put(key, files.JPEG), lambda: store.read(key), lambda: store.delete(key)):
        with pytest.raises(StoreUnavailable) as caught:
            call()
        assert str(caught.value).endswith("(EndpointConnectionError)") and key not in str(caught.value)


def test_timeouts_and_retries_are_bounded(store):
    config = store.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (5, 30)
    assert config.retries == {"total_max_attempts": 3, "mode": "standard"}
    assert config.s3["addressing_style"] == "path", "a named endpoint takes the bucket in the path"
