"""The alert page's media served from the S3 store: the console's own role-checked route reads the private bucket
(never a link into it); a store that fails gives a clear 503 page saying the file is kept, not a 500 or a 404."""

from __future__ import annotations

import pytest

from tests import media_samples as files
from tests.gateway.console.test_alert_media import report_with_media
from tests.staff_users import logged_in


@pytest.fixture
def bucket(fake_s3) -> str:
    return fake_s3.new_bucket()


@pytest.fixture
def env(base_env, fake_s3, bucket) -> dict[str, str]:
    """The test gateway with its media in the local S3's bucket."""
    return {**base_env, **fake_s3.env(bucket)}


def test_readers_get_the_files_from_the_bucket_through_the_console(runtime, app, directory, fake_s3, bucket):
    ref, photo, voice = report_with_media(runtime)
    assert set(fake_s3.objects(bucket)) == {f"media/{photo}", f"media/{voice}"}
    client = logged_in(runtime, app, "officer_koro")
    page = client.get(f"/console/alerts/{ref}").get_data(as_text=True)
    assert f'<img src="/console/alerts/{ref}/media/{photo}"' in page
    assert fake_s3.endpoint not in page and bucket not in page, "a link into the bucket"
    response = client.get(f"/console/alerts/{ref}/media/{photo}")
    assert (response.status_code, response.mimetype, response.data) == (200, "image/jpeg", files.JPEG)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/console/alerts/{ref}/media/{voice}").mimetype == "audio/ogg"
    assert logged_in(runtime, app, "observer").get(f"/console/alerts/{ref}/media/{photo}").status_code == 404


def test_a_file_gone_from_the_bucket_is_a_404(runtime, app, directory, fake_s3, bucket):
    ref, photo, _ = report_with_media(runtime)
    fake_s3.client().delete_object(Bucket=bucket, Key=f"media/{photo}")
    assert logged_in(runtime, app, "officer_koro").get(f"/console/alerts/{ref}/media/{photo}").status_code == 404


def test_a_failing_store_is_a_clear_503(runtime, app, directory, fake_s3, bucket):
    ref, photo, voice = report_with_media(runtime)
    client = logged_in(runtime, app, "officer_koro")
    s3 = fake_s3.client()
    for key in (photo, voice):
        s3.delete_object(Bucket=bucket, Key=f"media/{key}")
    s3.delete_bucket(Bucket=bucket)  # the store now fails every request

    response = client.get(f"/console/alerts/{ref}/media/{photo}")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "Service indisponible" in page and "le fichier est conservé" in page
    assert "Traceback" not in page and "NoSuchBucket" not in page
    assert client.get(f"/console/alerts/{ref}").status_code == 200, "the alert page itself needs no file"
