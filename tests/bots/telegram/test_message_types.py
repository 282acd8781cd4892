"""Every kind of Telegram message, as one table (invariant 1, "nothing a leader sends is lost, whatever its form").

Each row posts a realistic Bot API update from Seydou Togo (a linked leader) through the webhook, runs the handling
job and the media jobs against the fake Bot API (getFile, then the download), and checks what is stored (the body,
the media rows and what became of their files, the report or alert it made) and what Seydou is answered. Never a
5xx, never a silent drop of something a person wrote or said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from gateway.media.store import media_store
from gateway.models import Alert, Direction, MediaItem, Message
from tests import media_samples as files
from tests.fakes.telegram_api import SECRET, SECRET_HEADER, telegram_update
from tests.inbound_jobs import handle_queued, run_media_jobs

LEADER_ID = 1445857208
RECEIVED = "Message reçu #"
HELP = "ALERTE: signaler un incident"


@pytest.fixture
def env(base_env, fake_telegram) -> dict[str, str]:
    """The test gateway with its Telegram channel pointed at the fake Bot API."""
    return {**base_env, **fake_telegram.env()}


@dataclass(frozen=True)
class Row:
    """One kind of message: what Telegram sends, what is kept, what the leader reads."""

    label: str
    fixture: str
    text: str | None  # the stored body (None: nothing stored)
    reply: str | None  # a fragment of the one answer (None: no answer)
    media: tuple[tuple[str, str, str | None], ...] = ()  # (kind, status, content type) of each file
    record: str | None = None  # "report", "alert" (one-shot, severity 3) or None
    files: tuple[tuple[str, bytes], ...] = ()  # what the fake Bot API holds under each file_id
    location: tuple[float, float] | None = None  # on the report


ROWS = [
    Row("text", "text", "Les jeunes de Socoura et les éleveurs se disputent le puits depuis hier soir", RECEIVED,
        record="report"),
    Row("captioned photo is a one-shot alert with its photo", "photo_caption",
        "ALERTE 3 Les jeunes bloquent la route de Sévaré, ils ont des bâtons", "Alerte #",
        media=(("photo", "fetched", "image/jpeg"),), record="alert", files=(("AgACAgQAAxkBAAIBY2photoL", files.JPEG),)),
    Row("photo without caption is a report", "photo", "", RECEIVED, media=(("photo", "fetched", "image/jpeg"),),
        record="report", files=(("AgACAgQAAxkBAAIBY2photoL2", files.JPEG),)),
    Row("one photo of an album (media_group_id), alone so far: a report", "album_photo", "", RECEIVED,
        media=(("photo", "fetched", "image/jpeg"),), record="report",
        files=(("AgACAgQAAxkBAAIBY2albumL21", files.JPEG),)),
    Row("voice note", "voice", "", RECEIVED, media=(("voice", "fetched", "audio/ogg"),), record="report",
        files=(("AwACAgQAAxkBAAIBZvoice", files.OGG_OPUS),)),
    Row("audio file", "audio", "", RECEIVED, media=(("audio", "fetched", "audio/mpeg"),), record="report",
        files=(("CQACAgQAAxkBAAIBZaudio", files.MP3),)),
    Row("video", "video", "", RECEIVED, media=(("video", "fetched", "video/mp4"),), record="report",
        files=(("BAACAgQAAxkBAAIBZvideo", files.MP4),)),
    Row("video note", "video_note", "", RECEIVED, media=(("video_note", "fetched", "video/mp4"),), record="report",
        files=(("DQACAgQAAxkBAAIBZvnote", files.MP4),)),
    Row("document (PDF)", "document", "", RECEIVED, media=(("document", "fetched", "application/pdf"),),
        record="report", files=(("BQACAgQAAxkBAAIBZdocpdf", files.PDF),)),
    Row("document that is a program named photo.jpg: refused, the report kept", "document_program", "", RECEIVED,
        media=(("document", "failed", None),), record="report", files=(("BQACAgQAAxkBAAIBZdocexe", files.PROGRAM),)),
    Row("file Telegram no longer has: the report kept", "voice", "", RECEIVED, media=(("voice", "failed", None),),
        record="report"),
    Row("sticker: nothing written, the help", "sticker", "", HELP),
    Row("dice: nothing written, the help", "dice", "", HELP),
    Row("someone's contact card: the help", "contact_card", "", HELP),
    Row("location outside a conversation is a report", "location", "", RECEIVED, record="report",
        location=(14.489312, -4.182657)),
    Row("venue is a report at its place", "venue", "", RECEIVED, record="report", location=(14.505112, -4.197731)),
    Row("poll: its question and options are the text", "poll",
        "Réunion du cadre: samedi ou dimanche? / Samedi / Dimanche", RECEIVED, record="report"),
    Row("edited message: the correction is kept as a new message", "edited_message",
        "Les jeunes de Socoura et les éleveurs se disputent le puits depuis hier matin", RECEIVED, record="report"),
    Row("channel post: not addressed to the bot, acknowledged only", "channel_post", None, None),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[r.label for r in ROWS])
def test_message_type(row: Row, client, runtime, directory, fake_telegram):
    for file_id, content in row.files:
        fake_telegram.add_file(file_id, content)
    payload = telegram_update(row.fixture)

    response = client.post(PATH, data=json.dumps(payload), content_type="application/json", headers=HEADERS)
    assert (response.status_code, response.get_json()) == (200, {"ok": True})
    assert fake_telegram.calls == [], "the web process called the Bot API itself"
    handle_queued(runtime)
    run_media_jobs(runtime)

    with runtime.db.transaction() as session:
        inbound = session.scalars(select(Message).where(Message.direction == Direction.IN)).all()
        to_leader = (Message.direction == Direction.OUT) & (Message.address == str(LEADER_ID))
        replies = [m.body for m in session.scalars(select(Message).where(to_leader))]
        media = session.scalars(select(MediaItem).order_by(MediaItem.id)).all()
        alerts = session.scalars(select(Alert)).all()
        if row.text is None:
            assert (inbound, replies, media, alerts) == ([], [], [], [])
            assert session.scalars(select(Message)).all() == []
            return
        [kept] = inbound
        assert (kept.body, kept.provider_id) == (row.text, str(payload["update_id"]))
        assert kept.media_group == payload.get("message", {}).get("media_group_id"), "an album's id not kept"
        assert [(m.kind, m.status, m.content_type) for m in media] == list(row.media)
        assert all(m.message_id == kept.id for m in media)
        assert len(replies) == 1 and row.reply in replies[0], replies
        if row.record is None:
            assert alerts == [] and kept.alert_id is None
        else:
            [alert] = alerts
            assert kept.alert_id == alert.id and f"#{alert.id}" in replies[0]
            assert alert.source == ("oneshot" if row.record == "alert" else "freetext")
            assert alert.severity == (3 if row.record == "alert" else None)
        if row.location:
            assert (alert.latitude, alert.longitude) == row.location
        store = media_store(runtime.settings)
        for item in media:
            kept_bytes = store.read(item.storage_key)
            if item.status == "fetched":
                assert kept_bytes == dict(row.files)[item.provider_ref] and item.size == len(kept_bytes)
            else:
                assert kept_bytes is None and item.error, "a refused file left on disk"
    getfile = [c.params["file_id"] for c in fake_telegram.calls_to("getFile")]
    assert getfile == [m.provider_ref for m in media], "one getFile per file, never in the webhook"


PATH = "/webhooks/telegram"
HEADERS = {SECRET_HEADER: SECRET}
