"""The phone's MMS and binary SMS (`mms:received`, `mms:downloaded`, `sms:data-received`): kept, never dropped.

`mms:downloaded` carries the text and the files inline (base64): the message, a report and one media row per file,
the files checked by the media job like Telegram's. `mms:received` (a notice without content) and a binary SMS are
stored and answered nothing. Replays of the same MMS (new envelope ids) store nothing new.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.media.store import media_store
from gateway.models import Alert, Direction, MediaItem, Message
from tests import media_samples as files
from tests.fakes.android_phone import WEBHOOK_PATH
from tests.inbound_jobs import handle_queued, run_media_jobs

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Kotaka (MOPTI)
RECEIVED_AT = datetime(2026, 3, 14, 9, 30, 12, tzinfo=UTC)


@pytest.fixture
def env(base_env, fake_phone) -> dict[str, str]:
    """The test gateway with the fake phone as its SMS channel."""
    return {**base_env, **fake_phone.env(), "PUBLIC_BASE_URL": "https://gw.example.org"}


def inbound(runtime) -> list[Message]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.direction == Direction.IN).order_by(Message.id)))


def answers(runtime) -> list[str]:
    with runtime.db.transaction() as session:
        query = select(Message.body).where(Message.direction == Direction.OUT, Message.address == LEADER)
        return list(session.scalars(query))


def test_downloaded_mms_is_a_report_with_its_photo_and_voice(runtime, client, directory, fake_phone):
    attachments = [("image/jpeg", files.JPEG), ("audio/amr", files.AMR)]
    notice, downloaded = fake_phone.inject_mms(client, LEADER, "Le marché de Konna brûle", attachments, RECEIVED_AT)
    assert (notice.status, downloaded.status) == (200, 200)
    assert handle_queued(runtime) == 2
    assert run_media_jobs(runtime) == 2

    first, second = inbound(runtime)
    assert (first.body, second.body) == ("", "Le marché de Konna brûle")
    assert first.alert_id is None, "the notice (no content yet) made a report"
    with runtime.db.transaction() as session:
        media = session.scalars(select(MediaItem).order_by(MediaItem.id)).all()
        [report] = session.scalars(select(Alert)).all()
        assert [(m.kind, m.status, m.content_type, m.message_id) for m in media] == [
            ("photo", "fetched", "image/jpeg", second.id),
            ("audio", "fetched", "audio/amr", second.id),
        ]
        assert second.alert_id == report.id and report.source == "freetext"
        assert media_store(runtime.settings).read(media[0].storage_key) == files.JPEG
    [answer] = answers(runtime)
    assert answer.startswith(f"Message recu #{report.id}")


def test_replayed_mms_stores_nothing_new(runtime, client, directory, fake_phone):
    _, downloaded = fake_phone.inject_mms(client, LEADER, "", [("image/jpeg", files.JPEG)], RECEIVED_AT)
    assert fake_phone.redeliver(client, downloaded).status == 200
    assert len(inbound(runtime)) == 2  # the notice and the MMS, once each
    with runtime.db.transaction() as session:
        assert len(session.scalars(select(MediaItem)).all()) == 1


def test_binary_sms_is_kept_and_not_answered(runtime, client, directory, fake_phone):
    data = bytes(range(40))
    assert fake_phone.inject_data(client, LEADER, data, RECEIVED_AT).status == 200
    handle_queued(runtime)
    run_media_jobs(runtime)
    [kept] = inbound(runtime)
    assert (kept.body, kept.alert_id) == ("", None)
    assert answers(runtime) == []
    with runtime.db.transaction() as session:
        [item] = session.scalars(select(MediaItem)).all()
        assert (item.kind, item.status, item.content_type) == ("data", "fetched", "application/octet-stream")
        assert media_store(runtime.settings).read(item.storage_key) == data


def test_mms_with_a_program_keeps_the_text_and_refuses_the_file(runtime, client, directory, fake_phone):
    fake_phone.inject_mms(client, LEADER, "voir la pièce jointe", [("image/jpeg", files.PROGRAM)], RECEIVED_AT)
    handle_queued(runtime)
    run_media_jobs(runtime)
    with runtime.db.transaction() as session:
        [item] = session.scalars(select(MediaItem)).all()
        assert (item.status, item.error) == ("failed", "type_refused")
        assert media_store(runtime.settings).read(item.storage_key) is None
    assert inbound(runtime)[-1].body == "voir la pièce jointe"


@pytest.mark.parametrize(
    "attachments",
    [[{"partId": 1, "contentType": "image/jpeg", "size": 3, "data": 12}], "not a list", [["a list"]]],
    ids=["data-not-text", "attachments-not-a-list", "attachment-not-an-object"],
)
def test_malformed_mms_is_refused(runtime, client, directory, fake_phone, attachments):
    payload = {"messageId": "0badc0de", "sender": LEADER, "receivedAt": "2026-03-14T09:30:12.000+00:00"}
    envelope = fake_phone.envelope("mms:downloaded", {**payload, "body": "x", "attachments": attachments})
    assert fake_phone.deliver(client, envelope)[-1].status == 400
    assert inbound(runtime) == []


def test_bad_base64_keeps_the_message_and_notes_the_file(runtime, client, directory, fake_phone):
    payload = {"messageId": "0badc0de", "sender": LEADER, "receivedAt": "2026-03-14T09:30:12.000+00:00"}
    part = {"partId": 1, "contentType": "image/jpeg", "size": 3, "data": "%%%not base64%%%"}
    envelope = fake_phone.envelope("mms:downloaded", {**payload, "body": "photo", "attachments": [part]})
    assert fake_phone.deliver(client, envelope)[-1].status == 200
    with runtime.db.transaction() as session:
        [item] = session.scalars(select(MediaItem)).all()
        assert (item.status, item.error) == ("failed", "bad_base64")
    assert [m.body for m in inbound(runtime)] == ["photo"]


def test_large_mms_body_is_accepted_on_the_phone_route(runtime, client, directory, fake_phone):
    photo = files.JPEG + b"\0" * 200_000  # over the web's default 64 KiB cap, as a real photo is
    assert fake_phone.inject_mms(client, LEADER, "", [("image/jpeg", photo)], RECEIVED_AT)[1].status == 200
    run_media_jobs(runtime)
    with runtime.db.transaction() as session:
        [item] = session.scalars(select(MediaItem)).all()
        assert (item.status, item.size) == ("fetched", len(photo))


def test_oversized_body_is_still_refused_on_other_routes(client):
    response = client.post("/webhooks/telegram", data=b"x" * 70_000, content_type="application/json")
    assert response.status_code in (404, 413)
    response = client.post(WEBHOOK_PATH, data=b"x" * (9 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
