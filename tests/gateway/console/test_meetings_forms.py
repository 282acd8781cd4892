"""Calling, moving and cancelling a meeting and the last call in the console: the preview's numbers are the ones
queued, bad input is refused with its reason in French or English and writes nothing, the last call goes only to
those who have not answered and can still be reached, and each change is audited with the staff member's email."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.meetings.service import record_answer
from gateway.messaging import estimate as estimate_module
from gateway.messaging.sms_text import count_segments
from gateway.models import (
    Broadcast,
    BroadcastKind,
    Contact,
    District,
    Invitation,
    Meeting,
    MeetingStatus,
    Message,
    MessageStatus,
)
from tests.gateway.console.desk_support import audit_rows
from tests.gateway.console.meetings_support import ahead, footprint, make_meeting, token_of
from tests.staff_users import email_of, logged_in

LONG_PLACE = (
    "Salle de réunion de la mairie de Koro, à côté du marché au bétail, derrière le centre de santé communautaire"
)


@pytest.fixture
def env(base_env, fake_twilio, fake_telegram):
    """SMS through (fake) Twilio, Telegram for linked leaders, a segment cost for the preview."""
    return {**base_env, **fake_twilio.env(), **fake_telegram.env(), "SMS_SEGMENT_COST": "25 XOF"}


@pytest.fixture
def facilitator(runtime, app, directory):
    """A client logged in as KORO's facilitator."""
    return logged_in(runtime, app, "fac_koro")


def barred_leader(runtime) -> Contact:
    """A KORO leader on SMS without Telegram whose number Twilio reported unsubscribed: unreachable."""
    with runtime.db.transaction() as session:
        leader = session.scalars(
            select(Contact)
            .join(District, Contact.district_id == District.id)
            .where(District.code == "KORO", Contact.role == "leader", Contact.telegram_id.is_(None))
            .order_by(Contact.id)
        ).first()
        leader.sms_unreachable, leader.sms_unreachable_reason = True, "unsubscribed"
        return leader


def form(client, **fields) -> dict:
    day, clock = ahead(6)
    base = {"csrf_token": token_of(client), "district": "KORO", "date": day, "time": clock, "place": LONG_PLACE}
    return {**base, "agenda": "Transhumance", **fields}


def number(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', page)
    assert found, f"no #{element_id} on the page"
    return found.group(1).strip()


def test_the_preview_shows_what_the_confirmation_queues(runtime, facilitator):
    barred_leader(runtime)
    before = footprint(runtime)
    preview = facilitator.post("/console/meetings/preview", data=form(facilitator))
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert footprint(runtime) == before, "a preview writes nothing"
    segments = int(re.search(r'id="plan" data-segments="(\d+)"', page).group(1))
    assert int(number(page, "plan-segments")) == segments
    assert number(page, "plan-cost") == f"{segments * 25} XOF"
    assert number(page, "plan-not-sent") == "1"
    assert "2 segment(s) SMS par destinataire" in page  # the long place makes the French notice two segments
    assert 'data-channel="telegram"' in page and 'data-channel="twilio"' in page
    assert "plan-quiet" not in page  # no quiet hours in the tests: it leaves at once

    created = facilitator.post("/console/meetings", data=form(facilitator))
    assert created.status_code == 302
    ref = int(created.headers["Location"].rsplit("/", 1)[1])
    with runtime.db.transaction() as session:
        broadcast = session.scalar(select(Broadcast).where(Broadcast.meeting_id == ref))
        rows = session.scalars(select(Message).where(Message.broadcast_id == broadcast.id)).all()
        queued_sms = [m for m in rows if m.status == MessageStatus.QUEUED and m.channel != "telegram"]
        assert broadcast.segments == segments == sum(count_segments(m.body).segments for m in queued_sms)
        assert broadcast.kind == BroadcastKind.MEETING_NOTICE
        assert broadcast.created_by_id is not None  # the console account that asked
        assert len([m for m in rows if m.status == MessageStatus.FAILED]) == 1  # the barred number
        assert session.get(Meeting, ref).starts_at.strftime("%H:%M") == "10:00"  # 10:00 in Bamako is 10:00 UTC
    entry = [row for row in footprint_audit(runtime) if row.action == "meeting_create"][-1]
    assert entry.actor == email_of("fac_koro") and entry.target == f"meeting #{ref}"
    page = facilitator.get(f"/console/meetings/{ref}").get_data(as_text=True)
    assert f"Réunion #{ref} créée" in page and f"{segments} segment(s) SMS" in page


def footprint_audit(runtime):
    """The audit log, oldest first."""
    return audit_rows(runtime)


def test_quiet_hours_say_when_the_notice_will_leave(runtime, app, directory, monkeypatch):
    leaves = datetime(2030, 1, 1, 7, 0, tzinfo=UTC)  # quiet hours hold a notice until 07:00 (Bamako is UTC)
    monkeypatch.setattr(estimate_module, "hold_until", lambda settings, now: leaves)
    client = logged_in(runtime, app, "fac_koro")
    page = client.post("/console/meetings/preview", data=form(client)).get_data(as_text=True)
    assert "l'envoi partira à 2030-01-01 07:00" in page.replace("&#39;", "'")


PAST = ("2020-01-01", "10:00")
# (fields, reason in French, reason in English, status)
BAD_INPUT = {
    "past": ({"date": PAST[0], "time": PAST[1]}, "Cette date est passée", "That date is past", 422),
    "unknown_district": ({"district": "ATLANTIS"}, "Cercle inconnu", "Unknown district", 422),
    "out_of_scope": ({"district": "MACINA"}, "pas dans votre périmètre", "not in your scope", 422),
    "empty_place": ({"place": "   "}, "Indiquez le lieu", "Give the meeting's place", 422),
    "long_place": ({"place": "x" * 201}, "dépasse 200 caractères", "longer than 200 characters", 422),
    "bad_date": ({"date": "05/12/2026"}, "Date ou heure illisible", "Unreadable date or time", 422),
    "bad_time": ({"time": "25:99"}, "Date ou heure illisible", "Unreadable date or time", 422),
    "no_time": ({"time": ""}, "Date ou heure illisible", "Unreadable date or time", 422),
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("step", ["preview", "create"])
@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused_with_its_reason_and_writes_nothing(runtime, facilitator, case, step, language):
    fields, french, english, status = BAD_INPUT[case]
    before = footprint(runtime)
    path = "/console/meetings/preview" if step == "preview" else "/console/meetings"
    response = facilitator.post(f"{path}?lang={language}", data=form(facilitator, **fields))
    assert response.status_code == status
    text = response.get_data(as_text=True).replace("&#39;", "'")
    assert (french if language == "fr" else english) in text
    assert footprint(runtime) == before, "nothing written: rows, outbox, audit"


def test_reschedule_and_cancel_follow_the_same_rules(runtime, facilitator):
    ref = make_meeting(runtime, "KORO")
    before = footprint(runtime)
    token = token_of(facilitator)
    past = facilitator.post(f"/console/meetings/{ref}/reschedule", data={"csrf_token": token, "date": PAST[0],
                                                                          "time": PAST[1]})  # fmt: skip
    assert past.status_code == 422 and "Cette date est passée" in past.get_data(as_text=True)
    garbled = facilitator.post(f"/console/meetings/{ref}/reschedule", data={"csrf_token": token, "date": "demain"})
    assert garbled.status_code == 422 and "illisible" in garbled.get_data(as_text=True)
    assert footprint(runtime) == before

    day, _ = ahead(8)
    moved = facilitator.post(f"/console/meetings/{ref}/reschedule", data={"csrf_token": token, "date": day,
                                                                           "time": "15:30"})  # fmt: skip
    assert moved.status_code == 302
    with runtime.db.transaction() as session:
        assert session.get(Meeting, ref).starts_at.strftime("%Y-%m-%d %H:%M") == f"{day} 15:30"
    cancelled = facilitator.post(f"/console/meetings/{ref}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 302
    assert f"Réunion #{ref} annulée" in facilitator.get(f"/console/meetings/{ref}").get_data(as_text=True)
    before = footprint(runtime)
    again = facilitator.post(f"/console/meetings/{ref}/cancel?lang=en", data={"csrf_token": token})
    assert again.status_code == 409 and "This meeting is cancelled." in again.get_data(as_text=True)
    assert footprint(runtime) == before
    with runtime.db.transaction() as session:
        assert session.get(Meeting, ref).status == MeetingStatus.CANCELLED
        kinds = [b.kind for b in session.scalars(select(Broadcast).where(Broadcast.meeting_id == ref))]
        assert kinds == [BroadcastKind.MEETING_NOTICE, BroadcastKind.MEETING_MOVED, BroadcastKind.MEETING_CANCELLED]
    actions = [row.action for row in footprint_audit(runtime) if row.target == f"meeting #{ref}"]
    assert actions == ["meeting_create", "meeting_reschedule", "meeting_cancel"]


def test_the_last_call_goes_only_to_reachable_invitees_without_an_answer(runtime, facilitator):
    barred = barred_leader(runtime)
    ref = make_meeting(runtime, "KORO")
    with runtime.db.transaction() as session:
        invitations = session.scalars(select(Invitation).where(Invitation.meeting_id == ref).order_by(Invitation.id))
        invitations = [i for i in invitations if i.contact_id != barred.id]
        record_answer(invitations[0], True)
        record_answer(invitations[1], False)
        silent = {i.contact_id for i in invitations[2:]}
    before = footprint(runtime)
    preview = facilitator.get(f"/console/meetings/{ref}/last-call")
    assert preview.status_code == 200 and footprint(runtime) == before
    page = preview.get_data(as_text=True)
    assert f'data-invitees="{len(silent)}"' in page
    segments = int(re.search(r'id="plan" data-segments="(\d+)"', page).group(1))

    sent = facilitator.post(f"/console/meetings/{ref}/last-call", data={"csrf_token": token_of(facilitator)})
    assert sent.status_code == 302
    with runtime.db.transaction() as session:
        call = session.scalar(select(Broadcast).where(Broadcast.kind == BroadcastKind.LAST_CALL))
        rows = session.scalars(select(Message).where(Message.broadcast_id == call.id)).all()
        assert {m.contact_id for m in rows} == silent, "only those who have not answered and can be reached"
        assert call.segments == segments and call.recipients == len(silent)
        assert all(f"#{ref}" in m.body for m in rows)
    actions = [(r.action, r.actor) for r in footprint_audit(runtime) if r.target == f"meeting #{ref}"]
    assert actions[-1] == ("meeting_last_call", email_of("fac_koro"))
    page = facilitator.get(f"/console/meetings/{ref}").get_data(as_text=True)
    assert f"envoyé à {len(silent)} invité(s)" in page


def test_no_last_call_when_everyone_reachable_has_answered(runtime, facilitator):
    ref = make_meeting(runtime, "KORO")
    with runtime.db.transaction() as session:
        for invitation in session.scalars(select(Invitation).where(Invitation.meeting_id == ref)):
            record_answer(invitation, True)
    before = footprint(runtime)
    response = facilitator.post(f"/console/meetings/{ref}/last-call", data={"csrf_token": token_of(facilitator)})
    assert response.status_code == 422 and "Personne à relancer" in response.get_data(as_text=True)
    assert footprint(runtime) == before


def test_a_hostile_place_is_shown_as_text_in_the_preview(runtime, facilitator):
    hostile = '"><script>alert(1)</script>'
    page = facilitator.post("/console/meetings/preview", data=form(facilitator, place=hostile)).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert 'value="&#34;&gt;&lt;script&gt;' in page or 'value="&quot;&gt;&lt;script&gt;' in page
