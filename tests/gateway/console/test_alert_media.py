"""The alert page's media: photos shown and voice notes played to the roles that read bodies, through the route
named by the file's random key; the observer sees that a photo exists, never the photo; anyone else, a 404."""

from __future__ import annotations

import re

import pytest

from gateway.alerts.records import create_report
from gateway.media.store import media_store, new_key
from gateway.models import Contact, Direction, MediaItem, MediaStatus, Message
from tests import media_samples as files
from tests.gateway.console.desk_support import leader_of
from tests.staff_users import logged_in

READERS = ["admin", "coord_mopti", "fac_koro", "officer_koro"]
OTHERS = ["coord_segou", "fac_macina"]  # out of scope: the alert does not exist for them


def report_with_media(runtime) -> tuple[int, str, str]:
    """A KORO leader's report with a voice note and a photo kept; (ref, the photo's key, the voice note's key)."""
    leader = leader_of(runtime, "KORO")
    store = media_store(runtime.settings)
    keys = {"photo": new_key(), "voice": new_key()}
    with runtime.db.transaction() as session:
        contact = session.get(Contact, leader.id)
        message = Message(direction=Direction.IN, channel="telegram", contact_id=contact.id, address="1", body="",
                          status="received", kind="inbound", attempts=0)  # fmt: skip
        session.add(message)
        session.flush()
        alert = create_report(session, contact, message)
        for kind, content_type, content in (
            ("voice", "audio/ogg", files.OGG_OPUS),
            ("photo", "image/jpeg", files.JPEG),
        ):
            store.put(keys[kind], content)
            session.add(MediaItem(message_id=message.id, kind=kind, provider_ref="f", storage_key=keys[kind],
                                  content_type=content_type, size=len(content), status=MediaStatus.FETCHED,
                                  attempts=0))  # fmt: skip
        return alert.id, keys["photo"], keys["voice"]


@pytest.mark.parametrize("name", READERS)
def test_readers_see_the_photo_and_hear_the_voice_note(runtime, app, directory, name):
    ref, photo, voice = report_with_media(runtime)
    client = logged_in(runtime, app, name)
    page = client.get(f"/console/alerts/{ref}").get_data(as_text=True)
    assert f'<img src="/console/alerts/{ref}/media/{photo}"' in page
    assert f'<audio controls preload="none" src="/console/alerts/{ref}/media/{voice}"' in page
    response = client.get(f"/console/alerts/{ref}/media/{photo}")
    assert (response.status_code, response.mimetype, response.data) == (200, "image/jpeg", files.JPEG)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert client.get(f"/console/alerts/{ref}/media/{voice}").mimetype == "audio/ogg"


def test_observer_sees_the_kinds_not_the_media(runtime, app, directory):
    ref, photo, voice = report_with_media(runtime)
    client = logged_in(runtime, app, "observer")
    page = client.get(f"/console/alerts/{ref}").get_data(as_text=True)
    assert "Photo" in page and "Message vocal" in page
    assert photo not in page and voice not in page and "<img" not in page and "<audio" not in page
    assert client.get(f"/console/alerts/{ref}/media/{photo}").status_code == 404


@pytest.mark.parametrize("name", OTHERS)
def test_staff_out_of_scope_get_a_404(runtime, app, directory, name):
    ref, photo, _ = report_with_media(runtime)
    assert logged_in(runtime, app, name).get(f"/console/alerts/{ref}/media/{photo}").status_code == 404


def test_no_media_without_a_login_a_right_key_and_a_kept_file(runtime, app, directory):
    ref, photo, voice = report_with_media(runtime)
    assert app.test_client().get(f"/console/alerts/{ref}/media/{photo}").status_code in (302, 401)
    client = logged_in(runtime, app, "officer_koro")
    assert client.get(f"/console/alerts/{ref}/media/{new_key()}").status_code == 404
    assert client.get(f"/console/alerts/{ref}/media/..%2f..%2fgateway.db").status_code == 404
    assert client.get(f"/console/alerts/{ref + 1}/media/{photo}").status_code == 404  # another alert's number
    with runtime.db.transaction() as session:
        session.query(MediaItem).filter_by(storage_key=voice).update({"status": MediaStatus.PURGED})
    assert client.get(f"/console/alerts/{ref}/media/{voice}").status_code == 404
    page = client.get(f"/console/alerts/{ref}").get_data(as_text=True)
    assert re.search(r"Message vocal\s*— effacé", page)
