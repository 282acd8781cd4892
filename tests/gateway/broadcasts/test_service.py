"""Preview and send: the text's limits (3 segments as sent), the characters that force UCS-2 or are transliterated,
the preview's numbers equal to what the sending queued, quiet hours, the audit row, and nothing written when refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from gateway.broadcasts import service
from gateway.broadcasts.errors import BroadcastError
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import AuditEntry, Broadcast, Message, MessageKind, MessageStatus, Priority
from tests.gateway.broadcasts.support import footprint
from tests.staff_users import scope_of

UCS2_TEXT = "Réunion à Ségou – «urgent» ✓"
FRENCH_TEXT = "Réunion à Ségou – «urgent» : venez nombreux, ça compte…"


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("Bonjour", "GSM-7", 7, 1),
        ("  Bonjour\r\n  ", "GSM-7", 7, 1),  # trimmed
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 459, "GSM-7", 459, 3),
        ("€" * 229 + "a", "GSM-7", 459, 3),  # the extension table counts twice
        ("être " * 91 + "fête", "GSM-7", 459, 3),  # accents transliterated first: still GSM-7
        ("✓" * 201, "UCS-2", 201, 3),
    ],
)
def test_texts_within_the_limit(text, encoding, units, segments):
    checked = service.check_text(text)
    assert (checked.encoding, checked.units, checked.segments) == (encoding, units, segments)
    assert checked.sms_text == to_gsm7(checked.text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_text"),
        (None, "empty_text"),
        ("   \n\t ", "empty_text"),
        ("a" * 460, "too_long"),
        ("€" * 230, "too_long"),
        ("✓" * 202, "too_long"),
        ("a" * 5000, "too_long"),
        (42, "bad_field"),
    ],
)
def test_texts_refused(text, code):
    with pytest.raises(BroadcastError) as refused:
        service.check_text(text)
    assert refused.value.code == code and refused.value.http_status == 422


def test_ucs2_characters_are_named_and_the_text_sent_is_shown():
    checked = service.check_text(UCS2_TEXT)
    assert checked.ucs2_chars == ("✓",)
    assert checked.encoding == "UCS-2" and checked.sms_text == to_gsm7(UCS2_TEXT) == UCS2_TEXT
    assert checked.transliterated == ()  # nothing is converted once the text is UCS-2 anyway


def test_french_characters_are_transliterated_and_the_text_sent_is_shown():
    checked = service.check_text(FRENCH_TEXT)
    assert checked.ucs2_chars == ()
    assert checked.sms_text == to_gsm7(FRENCH_TEXT) == 'Réunion à Ségou - "urgent" : venez nombreux, ca compte...'
    assert dict(checked.transliterated) == {"–": "-", "«": '"', "»": '"', "ç": "c", "…": "..."}
    assert checked.encoding == "GSM-7"


@pytest.mark.parametrize(
    ("who", "fields"),
    [
        ("fac_koro", {"text": FRENCH_TEXT}),
        ("fac_koro", {"text": UCS2_TEXT, "language": "bm"}),
        ("coord_segou", {"text": "a" * 300, "role": "all"}),
        ("admin", {"text": "Rappel: réunion de paix demain.", "region": "Mopti"}),
    ],
)
def test_the_preview_numbers_are_what_the_sending_queued(runtime, directory, who, fields):
    scope = scope_of(runtime, who)
    with runtime.db.sessions() as session:
        shown = service.preview(session, runtime, scope, fields)
    assert footprint(runtime)["Broadcast"] == 0, "a preview writes nothing"
    with runtime.db.transaction() as session:
        broadcast, _ = service.send(session, runtime, scope, fields)
        broadcast_id = broadcast.id
    with runtime.db.sessions() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        rows = list(session.scalars(select(Message).where(Message.broadcast_id == broadcast_id)))
        sms = [m for m in rows if m.channel != "telegram" and m.status == MessageStatus.QUEUED]
        assert broadcast.recipients == shown.recipients == len(rows)
        assert shown.estimate.segments_total == broadcast.segments == sum(count_segments(m.body).segments for m in sms)
        assert shown.estimate.sms_recipients == len(sms) > 0
        assert {(m.priority, m.kind) for m in rows} == {(Priority.BULK, MessageKind.BROADCAST)}
        assert {m.body for m in sms} == {shown.text.sms_text}
        assert broadcast.text == shown.text.text and broadcast.created_by_id == scope.user_id
        assert json.loads(broadcast.filters) == {k: v for k, v in {"role": "leader", **fields}.items() if k != "text"}
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "broadcast_send"))
        assert (entry.actor, entry.target) == (scope.email, f"broadcast #{broadcast_id}")


def test_the_sending_is_enqueued_on_the_bulk_queue_after_the_commit(runtime, directory, redis_client):
    from workers.queues import QUEUE_BULK, QUEUE_URGENT, queue

    scope = scope_of(runtime, "fac_koro")
    with runtime.db.transaction() as session:
        service.send(session, runtime, scope, {"text": "Bonjour"})
        session.flush()
        assert queue(redis_client, QUEUE_BULK).count == 0, "nothing is enqueued before the commit"
    assert queue(redis_client, QUEUE_BULK).count > 0
    assert queue(redis_client, QUEUE_URGENT).count == 0


@pytest.mark.parametrize(
    ("who", "fields"),
    [
        ("fac_koro", {"text": ""}),
        ("fac_koro", {"text": "a" * 460}),
        ("fac_koro", {"text": "Bonjour", "district": "MACINA"}),
        ("fac_koro", {"text": "Bonjour", "district": "NOWHERE"}),
        ("officer_koro", {"text": "Bonjour"}),
        ("observer", {"text": "Bonjour"}),
        ("admin", {"text": "Bonjour", "language": "en"}),
    ],
)
def test_a_refused_sending_writes_nothing(runtime, directory, who, fields):
    scope = scope_of(runtime, who)
    before = footprint(runtime)
    with pytest.raises(BroadcastError), runtime.db.transaction() as session:
        service.send(session, runtime, scope, fields)
    assert footprint(runtime) == before
