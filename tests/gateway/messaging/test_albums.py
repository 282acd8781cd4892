"""A Telegram album (photos sent together, one update each, sharing `media_group_id`) is ONE report with all its
photos and ONE answer: caption on the first item or on a later one, `ALERTE 3 …` as the caption, during an open
alert conversation, items handled in any order, by several workers at once, a replayed update, an item that comes
after the report was made, an item spooled during a database outage. Everything goes through the real webhook, the
real handling and media jobs, real Redis, the test database and the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from bots.telegram_updates import parse_update
from gateway.media.records import for_alert
from gateway.messaging import inbox, spool
from gateway.messaging.receiving import replay_spool
from gateway.models import Alert, Direction, MediaItem, Message
from tests import media_samples as files
from tests.fakes.telegram_api import SECRET, SECRET_HEADER, telegram_update
from tests.inbound_jobs import handle_job_ids, handle_queued, run_media_jobs
from workers.inbound import handle_message

SEYDOU = 1445857208  # Seydou Togo, a Mopti leader on Telegram (sample directory)
BARRY = 4759203699  # Seydou Barry, another Mopti leader on Telegram
GROUP = "13890547128814320"
RECEIVED = "Message reçu #"
CAPTION = "Les éleveurs ont forcé le passage vers le puits de Socoura, voici les photos"
ALERTE = "ALERTE 3 Les jeunes bloquent la route de Sévaré, ils ont des bâtons"


@pytest.fixture
def env(base_env, fake_telegram) -> dict[str, str]:
    """The test gateway with its Telegram channel pointed at the fake Bot API."""
    return {**base_env, **fake_telegram.env()}


def item(fake_telegram, n: int, caption: str | None = None, *, user: int = SEYDOU, group: str = GROUP) -> dict:
    """The update of the n-th photo of an album (its file held by the fake Bot API)."""
    file_id = f"AgACAgQAAxkBAAIBalbum{user}{group}p{n}"
    fake_telegram.add_file(file_id, files.JPEG)
    photo = [{"file_id": file_id, "file_unique_id": f"AQADalb{n}", "file_size": 98211, "width": 1280, "height": 960}]
    fields = {"message_id": 500 + n, "media_group_id": group, "photo": photo}
    if caption is not None:
        fields["caption"] = caption
    return telegram_update("album_photo", user_id=user, **fields)


def post(client, update: dict) -> None:
    """Deliver one update to the webhook, as Telegram does."""
    headers = {SECRET_HEADER: SECRET}
    response = client.post(
        "/webhooks/telegram", data=json.dumps(update), content_type="application/json", headers=headers
    )
    assert (response.status_code, response.get_json()) == (200, {"ok": True})


def replies_to(session, user: int = SEYDOU) -> list[str]:
    """What the gateway answered a Telegram user, oldest first."""
    to_user = (Message.direction == Direction.OUT) & (Message.address == str(user))
    return list(session.scalars(select(Message.body).where(to_user).order_by(Message.id)))


def album_state(runtime, user: int = SEYDOU):
    """(the records the album's messages point to, their media, what the sender was answered)."""
    with runtime.db.transaction() as session:
        ours = (Message.direction == Direction.IN) & (Message.address == str(user))
        linked = set(session.scalars(select(Message.alert_id).where(ours, Message.media_group.is_not(None))))
        alerts = [session.get(Alert, alert_id) for alert_id in linked if alert_id is not None]
        media = [(m.kind, m.status) for alert in alerts for m in for_alert(session, alert.id)]
        return (linked, alerts, media, replies_to(session, user))


@pytest.mark.parametrize(
    "reverse, caption_last",
    [(False, False), (True, False), (False, True)],
    ids=["handled in order", "handled newest first", "caption stored after its photos"],
)
def test_an_album_of_three_photos_is_one_report_with_all_of_them_and_one_answer(
    reverse, caption_last, client, runtime, directory, fake_telegram
):
    updates = [item(fake_telegram, 1, CAPTION), item(fake_telegram, 2), item(fake_telegram, 3)]
    for update in updates[1:] + updates[:1] if caption_last else updates:
        post(client, update)

    assert handle_queued(runtime, reverse=reverse) == 3
    assert run_media_jobs(runtime) == 3

    linked, [report], media, replies = album_state(runtime)
    assert linked == {report.id}, "a photo of the album is not on the report"
    assert (report.source, report.category, report.description) == ("freetext", None, CAPTION)
    assert media == [("photo", "fetched")] * 3
    assert replies == [replies[0]] and replies[0].startswith(f"{RECEIVED}{report.id}.")


def test_an_album_captioned_alerte_is_one_alert_with_all_its_photos(client, runtime, directory, fake_telegram):
    for n, caption in ((1, ALERTE), (2, None), (3, None)):
        post(client, item(fake_telegram, n, caption))

    handle_queued(runtime)
    run_media_jobs(runtime)

    linked, [alert], media, replies = album_state(runtime)
    assert linked == {alert.id}
    assert (alert.source, alert.severity, alert.status) == ("oneshot", 3, "new")
    assert media == [("photo", "fetched")] * 3
    assert len(replies) == 1 and replies[0].startswith(f"Alerte #{alert.id} "), replies


def test_an_album_during_the_alert_conversation_joins_the_alert_being_written(
    client, runtime, directory, fake_telegram
):
    post(client, telegram_update("text", user_id=SEYDOU, text="ALERTE"))
    handle_queued(runtime)
    with runtime.db.transaction() as session:
        [question] = replies_to(session)

    for n in (1, 2, 3):
        post(client, item(fake_telegram, n))
    handle_queued(runtime)
    run_media_jobs(runtime)

    linked, [alert], media, replies = album_state(runtime)
    assert linked == {alert.id} and alert.status == "incomplete"
    assert media == [("photo", "fetched")] * 3
    # One answer to the album: the file is joined, and the question still open is asked again (once).
    assert replies == [question, f"Fichier joint à l'alerte #{alert.id}.", question], replies
    assert runtime.conversations.load(alert.reporter_id).record_id == alert.id


def test_a_replayed_item_doubles_nothing_and_a_late_one_joins_the_report(client, runtime, directory, fake_telegram):
    updates = [item(fake_telegram, 1, CAPTION), item(fake_telegram, 2), item(fake_telegram, 3)]
    for update in updates:
        post(client, update)
    handle_queued(runtime)
    run_media_jobs(runtime)
    before = album_state(runtime)

    post(client, updates[1])  # Telegram did not see our 200 and sends it again
    assert handle_job_ids(runtime) == [] and run_media_jobs(runtime) == 0
    linked, [report], media, replies = album_state(runtime)
    assert (linked, [report.id], media, replies) == (before[0], [a.id for a in before[1]], before[2], before[3])

    post(client, item(fake_telegram, 4))  # the slow last photo, seconds after the report was answered
    assert handle_queued(runtime) == 1 and run_media_jobs(runtime) == 1
    linked, [report], media, replies = album_state(runtime)
    assert linked == before[0] == {report.id}
    assert media == [("photo", "fetched")] * 4 and replies == before[3]
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Message).where(Message.direction == Direction.IN)) == 4
        assert session.scalar(select(func.count()).select_from(MediaItem)) == 4


def test_the_same_album_id_from_another_person_is_another_report(client, runtime, directory, fake_telegram):
    post(client, item(fake_telegram, 1, CAPTION))
    post(client, item(fake_telegram, 1, user=BARRY))
    handle_queued(runtime)

    (_, [report], _, replies), (_, [other], _, other_replies) = (
        album_state(runtime),
        album_state(runtime, BARRY),
    )
    assert report.id != other.id and len(replies) == len(other_replies) == 1
    assert (report.reporter_id, other.reporter_id) == (directory_id(runtime, SEYDOU), directory_id(runtime, BARRY))


def directory_id(runtime, telegram_id: int) -> int:
    """The directory contact id of a Telegram user."""
    with runtime.db.transaction() as session:
        return inbox.find_contact(session, "telegram", str(telegram_id)).id


def _at_once(calls) -> list[BaseException]:
    """Run the calls in threads released together; the exceptions they raised."""
    start, errors = threading.Barrier(len(calls)), []

    def run(call) -> None:
        try:
            start.wait()
            call()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _album_ids(client, runtime, fake_telegram, captions) -> list[int]:
    """Post an album; its message ids, handling not started (the jobs queued by the webhook set aside)."""
    for n, caption in enumerate(captions, start=1):
        post(client, item(fake_telegram, n, caption))
    with runtime.db.transaction() as session:
        ids = list(session.scalars(select(Message.id).where(Message.media_group == GROUP).order_by(Message.id)))
    assert len(handle_job_ids(runtime)) == len(captions)
    return ids


def test_items_handled_by_several_workers_at_once_make_one_alert(client, runtime, directory, fake_telegram):
    ids = _album_ids(client, runtime, fake_telegram, [ALERTE, None, None])

    # Three workers, each running the handling job of one item, at the same moment (the last item's first).
    assert _at_once([lambda one=one: handle_message(one) for one in reversed(ids)]) == []
    handle_queued(runtime)  # the jobs the webhook queued find everything handled
    run_media_jobs(runtime)

    linked, [alert], media, replies = album_state(runtime)
    assert linked == {alert.id} and (alert.source, alert.severity) == ("oneshot", 3)
    assert media == [("photo", "fetched")] * 3 and len(replies) == 1


def test_without_the_senders_lock_the_database_still_makes_one_report(client, runtime, directory, fake_telegram):
    ids = _album_ids(client, runtime, fake_telegram, [None, None, None])

    # The handling of each item, bypassing the sender's lock (as if it had expired): the album's first row is what
    # orders them.
    assert _at_once([lambda one=one: inbox._handle_one(runtime, one) for one in ids]) == []
    run_media_jobs(runtime)

    linked, [report], media, replies = album_state(runtime)
    assert linked == {report.id} and report.source == "freetext"
    assert media == [("photo", "fetched")] * 3
    assert len(replies) == 1 and replies[0].startswith(f"{RECEIVED}{report.id}."), replies


def test_an_item_spooled_while_the_database_was_down_joins_its_album(client, runtime, directory, fake_telegram):
    post(client, item(fake_telegram, 1, CAPTION))
    handle_queued(runtime)
    spooled = parse_update(item(fake_telegram, 2)).to_inbound()  # what the webhook spools when it cannot store
    spool.write(runtime.settings.instance_path, spooled, "telegram")

    assert replay_spool(runtime) == 1
    assert handle_queued(runtime) == 1 and run_media_jobs(runtime) == 2
    linked, [report], media, replies = album_state(runtime)
    assert linked == {report.id} and media == [("photo", "fetched")] * 2 and len(replies) == 1
