"""The composer: fields limited to the scope, the server preview (recipients, segments, cost, UCS-2 and transliterated
characters with the text really sent), the confirmation step, a sending that queues what the preview said, a double
submit that sends once, and bad input refused in French or English with nothing written."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from gateway.broadcasts.errors import REASONS
from gateway.console.texts import catalogue
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import Broadcast, Message, MessageStatus
from tests.gateway.broadcasts.support import browser, compose_form, csrf_of, footprint

UCS2_TEXT = "Réunion à Ségou – «urgent» ✓"
FRENCH_TEXT = "Réunion à Ségou – «urgent»"


@pytest.fixture
def env(base_env):
    """A segment cost, so that the preview shows one."""
    return {**base_env, "SMS_SEGMENT_COST": "25 XOF"}


def test_the_composer_offers_only_the_scope(runtime, directory, app):
    coordinator = browser(runtime, app, "coord_mopti").get("/console/broadcasts/new").get_data(as_text=True)
    assert 'value="KORO"' in coordinator and 'value="MACINA"' not in coordinator
    assert 'name="region"' not in coordinator and "Mopti" in coordinator
    facilitator = browser(runtime, app, "fac_koro").get("/console/broadcasts/new").get_data(as_text=True)
    assert 'name="district"' not in facilitator and "KORO" in facilitator
    assert 'value="Yoro"' in facilitator and 'value="Macina"' not in facilitator  # its communes only
    admin = browser(runtime, app, "admin").get("/console/broadcasts/new").get_data(as_text=True)
    assert 'value="Ségou"' in admin and 'value="MACINA"' in admin
    for page in (coordinator, facilitator, admin):
        assert 'hx-post="/console/broadcasts/preview"' in page and "broadcasts.js" in page
        assert 'data-counter="broadcast-counter"' in page


def test_the_preview_warns_on_ucs2_and_shows_the_text_sent(runtime, directory, app):
    client = browser(runtime, app, "fac_koro")
    form = compose_form(client)
    answer = client.post("/console/broadcasts/preview", data={**form, "text": UCS2_TEXT}, headers={"HX-Request": "1"})
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200 and 'data-ucs2="✓"' in page and 'data-encoding="UCS-2"' in page
    assert f'id="broadcast-sms-text">{to_gsm7(UCS2_TEXT)}</pre>' in page  # UCS-2: sent exactly as typed
    french = client.post("/console/broadcasts/preview", data={**form, "text": FRENCH_TEXT}).get_data(as_text=True)
    assert 'data-encoding="GSM-7"' in french and "data-ucs2" not in french
    assert 'id="broadcast-sms-text">Réunion à Ségou - &#34;urgent&#34;</pre>' in french  # escaped quotes
    assert to_gsm7(FRENCH_TEXT) == 'Réunion à Ségou - "urgent"'
    assert 'data-transliterated="–«»"' in french
    assert footprint(runtime)["Broadcast"] == 0


def test_compose_review_send_queues_what_the_preview_said(runtime, directory, app):
    client = browser(runtime, app, "fac_koro")
    form = {**compose_form(client), "text": FRENCH_TEXT, "language": "fr"}
    preview = client.post("/console/broadcasts/preview", data=form).get_data(as_text=True)
    review = client.post("/console/broadcasts/new", data={**form, "step": "review"})
    assert review.status_code == 200 and 'id="broadcast-send"' in review.get_data(as_text=True)
    assert footprint(runtime)["Broadcast"] == 0, "the confirmation page writes nothing"
    answer = client.post("/console/broadcasts/new", data={**form, "step": "send"})
    assert answer.status_code == 302
    with runtime.db.sessions() as session:
        broadcast = session.scalars(select(Broadcast)).one()
        messages = list(session.scalars(select(Message).where(Message.broadcast_id == broadcast.id)))
    assert answer.headers["Location"].endswith(f"/console/broadcasts/{broadcast.id}")
    sms = [m for m in messages if m.status == MessageStatus.QUEUED and m.channel != "telegram"]
    total = sum(count_segments(m.body).segments for m in sms)
    assert f'data-recipients="{broadcast.recipients}"' in preview
    assert f'data-segments-total="{total}"' in preview and broadcast.segments == total
    assert f'data-cost="{total * 25} XOF"' in preview
    page = html.unescape(client.get(answer.headers["Location"]).get_data(as_text=True))
    assert FRENCH_TEXT in page and 'id="broadcast-sender">Fac_Koro<' in page


def test_a_double_submit_sends_once(runtime, directory, app):
    client = browser(runtime, app, "fac_koro")
    form = {**compose_form(client), "text": "Bonjour", "step": "send"}
    first = client.post("/console/broadcasts/new", data=form)
    second = client.post("/console/broadcasts/new", data=form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with runtime.db.sessions() as session:
        assert len(session.scalars(select(Broadcast)).all()) == 1


def test_a_form_token_of_another_user_sends_nothing(runtime, directory, app):
    stolen = compose_form(browser(runtime, app, "fac_koro"))["form_token"]
    other = browser(runtime, app, "admin")
    form = {**compose_form(other), "form_token": stolen, "text": "Bonjour", "step": "send"}
    before = footprint(runtime)
    assert other.post("/console/broadcasts/new", data=form).status_code == 409
    assert footprint(runtime) == before


# (account, fields) → (status, the reason in French, in English).
BAD = [
    ("fac_koro", {"text": ""}, 422, "Le message est vide", "The message is empty"),
    ("fac_koro", {"text": "   "}, 422, "Le message est vide", "The message is empty"),
    ("fac_koro", {"text": "a" * 460}, 422, "trop long", "too long"),
    ("fac_koro", {"text": "✓" * 202}, 422, "trop long", "too long"),
    ("fac_koro", {"text": "Bonjour", "district": "MACINA"}, 403, "Hors de votre périmètre", "Outside your scope"),
    ("coord_mopti", {"text": "Bonjour", "region": "Ségou"}, 403, "Hors de votre périmètre", "Outside your scope"),
    ("admin", {"text": "Bonjour", "district": "NOWHERE"}, 422, "Cercle inconnu", "Unknown district"),
    ("admin", {"text": "Bonjour", "region": "Kayes"}, 422, "Région inconnue", "Unknown region"),
    ("admin", {"text": "Bonjour", "commune": "Atlantis"}, 422, "commune Atlantis", "commune Atlantis"),
    ("admin", {"text": "Bonjour", "role": "chief"}, 422, "Rôle inconnu", "Unknown role"),
    ("admin", {"text": "Bonjour", "language": "de"}, 422, "Langue inconnue", "Unknown language"),
    ("admin", {"text": "Bonjour", "language": "en"}, 422, "n'atteint personne", "reaches nobody"),
    ("officer_koro", {"text": "Bonjour"}, 403, "ne permet pas", "may not send"),
    ("observer", {"text": "Bonjour"}, 403, "ne permet pas", "may not send"),
]


@pytest.mark.parametrize(("who", "fields", "status", "french", "english"), BAD)
@pytest.mark.parametrize("step", ["review", "send"])
def test_bad_input_is_refused_with_its_reason_and_nothing_written(
    runtime, directory, app, who, fields, status, french, english, step
):
    client = browser(runtime, app, who)
    tokens = compose_form(client) if who not in ("officer_koro", "observer") else {"csrf_token": _csrf(client)}
    before = footprint(runtime)
    for language, reason in (("fr", french), ("en", english)):
        answer = client.post(f"/console/broadcasts/new?lang={language}", data={**tokens, **fields, "step": step})
        assert answer.status_code == status
        assert reason in html.unescape(answer.get_data(as_text=True))
    preview = client.post("/console/broadcasts/preview?lang=en", data={**tokens, **fields})
    assert preview.status_code == status and english in html.unescape(preview.get_data(as_text=True))
    assert footprint(runtime) == before  # no row, so nothing to enqueue (jobs only follow committed rows)


def _csrf(client) -> str:
    return csrf_of(client, "/console/broadcasts")


def test_before_any_text_the_preview_says_how_many_it_reaches(runtime, directory, app):
    client = browser(runtime, app, "coord_segou")
    form = {**compose_form(client), "text": "", "district": "MACINA"}
    page = client.post("/console/broadcasts/preview?lang=en", data=form, headers={"HX-Request": "1"})
    assert page.status_code == 200
    assert "This selection reaches 26 recipient(s)." in page.get_data(as_text=True)


def test_every_refusal_has_its_console_text_in_both_languages():
    for language in ("fr", "en"):
        missing = [code for code in REASONS if f"broadcasts.error.{code}" not in catalogue(language)]
        assert missing == [], (language, missing)
