"""Twilio MMS: the files of an inbound MMS (`NumMedia`, `MediaUrl0`, `MediaContentType0`) are kept like Telegram's.

The webhook stores the message and one media row per file and answers at once; the media job then fetches each file
from the fake Twilio with the account's credentials, checks its type from the bytes and keeps it, or says why not.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.media.keeping import keep
from gateway.media.store import media_store
from gateway.models import Alert, Direction, MediaItem, Message
from tests import media_samples as files
from tests.bots.twilio.test_webhooks import SMS_PATH, load_form
from tests.fakes.twilio_api import PUBLIC_BASE_URL
from tests.inbound_jobs import handle_queued, run_media_jobs

LEADER = "+22371139685"


@pytest.fixture
def env(base_env, fake_twilio) -> dict[str, str]:
    """The test gateway with its Twilio channel on the fake (whose account owns the media)."""
    return {**base_env, **fake_twilio.env()}


def post_mms(client, fake_twilio, body: str, media: list[tuple[str, str]], sid: str = "MM" + "4c" * 16):
    """POST an inbound MMS as Twilio does, signed with the fake account's token: `media` as (URL, declared type)."""
    fields = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": fake_twilio.account_sid}
    fields |= {"Body": body, "NumMedia": str(len(media))}
    for index, (url, declared) in enumerate(media):
        fields |= {f"MediaContentType{index}": declared, f"MediaUrl{index}": url}
    form = load_form("receive_freetext", **fields)
    signature = RequestValidator(fake_twilio.auth_token).compute_signature(PUBLIC_BASE_URL + SMS_PATH, form)
    return client.post(
        SMS_PATH,
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


def items(runtime) -> list[MediaItem]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(MediaItem).order_by(MediaItem.id)))


def test_mms_photo_and_voice_are_kept_with_the_report(client, runtime, directory, fake_twilio):
    photo = fake_twilio.add_media(files.JPEG, "image/jpeg")
    voice = fake_twilio.add_media(files.AMR, "audio/amr")
    response = post_mms(
        client, fake_twilio, "Le pont de Konna est coupé", [(photo, "image/jpeg"), (voice, "audio/amr")]
    )
    assert response.status_code == 200
    assert [r for r in fake_twilio.requests if r.method == "GET"] == [], "fetched in the webhook"
    handle_queued(runtime)
    assert run_media_jobs(runtime) == 2

    [photo_item, voice_item] = items(runtime)
    assert [(i.kind, i.status, i.content_type) for i in (photo_item, voice_item)] == [
        ("photo", "fetched", "image/jpeg"),
        ("audio", "fetched", "audio/amr"),
    ]
    store = media_store(runtime.settings)
    assert store.read(photo_item.storage_key) == files.JPEG and store.read(voice_item.storage_key) == files.AMR
    gets = [r for r in fake_twilio.requests if r.method == "GET"]
    assert len(gets) == 2 and all(r.auth_ok for r in gets), "fetched without the account's credentials"
    with runtime.db.transaction() as session:
        [kept] = session.scalars(select(Message).where(Message.direction == Direction.IN)).all()
        [report] = session.scalars(select(Alert)).all()
        assert kept.alert_id == report.id and report.description == "Le pont de Konna est coupé"
        [reply] = session.scalars(
            select(Message).where(Message.address == LEADER, Message.direction == Direction.OUT)
        ).all()
        assert f"#{report.id}" in reply.body


def test_mms_without_text_is_a_report(client, runtime, directory, fake_twilio):
    photo = fake_twilio.add_media(files.JPEG, "image/jpeg")
    assert post_mms(client, fake_twilio, "", [(photo, "image/jpeg")]).status_code == 200
    handle_queued(runtime)
    with runtime.db.transaction() as session:
        [reply] = session.scalars(
            select(Message).where(Message.address == LEADER, Message.direction == Direction.OUT)
        ).all()
        assert reply.body.startswith("Message recu #")  # sent by SMS: GSM-7 only


def test_twilio_down_then_back_the_file_is_fetched_on_the_next_try(client, runtime, directory, fake_twilio):
    photo = fake_twilio.add_media(files.JPEG, "image/jpeg")
    post_mms(client, fake_twilio, "photo", [(photo, "image/jpeg")])
    [item] = items(runtime)
    fake_twilio.media_failures.append(503)
    assert keep(runtime, item.id) == "retry"
    assert items(runtime)[0].status == "pending"
    assert keep(runtime, item.id, attempt=1) == "fetched"
    assert keep(runtime, item.id, attempt=1) == "skipped", "a second run fetched again"
    assert len([r for r in fake_twilio.requests if r.method == "GET"]) == 2


@pytest.mark.parametrize(
    ("content", "declared", "error"),
    [
        (files.HTML, "image/jpeg", "type_refused"),  # a web page declared as a photo: never stored, never served
        (files.PROGRAM, "application/pdf", "type_refused"),
        (files.JPEG + b"\0" * 4096, "image/jpeg", "too_large"),
    ],
    ids=["html-as-photo", "program-as-pdf", "over-MEDIA_MAX_BYTES"],
)
def test_refused_files_leave_nothing_on_disk(client, runtime, directory, fake_twilio, content, declared, error):
    runtime.settings.__dict__["media_max_bytes"] = 4096  # frozen settings: the cap of this deployment
    url = fake_twilio.add_media(content, declared)
    post_mms(client, fake_twilio, "", [(url, declared)])
    [item] = items(runtime)
    assert keep(runtime, item.id) == f"failed:{error}"
    [item] = items(runtime)
    assert (item.status, item.error, item.content_type) == ("failed", error, None)
    assert media_store(runtime.settings).read(item.storage_key) is None


def test_media_url_elsewhere_never_gets_the_credentials(client, runtime, directory, fake_twilio):
    post_mms(client, fake_twilio, "", [("https://attacker.example/x.jpg", "image/jpeg")])
    [item] = items(runtime)
    assert keep(runtime, item.id) == "failed:twilio:foreign_url"


@pytest.mark.parametrize(
    "fields",
    [{"NumMedia": "x"}, {"NumMedia": "1"}, {"NumMedia": "1", "MediaUrl0": "file:///etc/passwd"}],
    ids=["NumMedia-not-a-number", "MediaUrl0-missing", "MediaUrl0-not-http"],
)
def test_malformed_mms_is_refused_and_nothing_stored(client, runtime, directory, fake_twilio, fields):
    form = load_form("receive_freetext", AccountSid=fake_twilio.account_sid, **fields)
    signature = RequestValidator(fake_twilio.auth_token).compute_signature(PUBLIC_BASE_URL + SMS_PATH, form)
    response = client.post(
        SMS_PATH, data=urlencode(form), content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )  # fmt: skip
    assert response.status_code == 400
    assert items(runtime) == []
