"""The meeting page and its attendance list: invitees with their channel, delivery and answer; phone numbers in full
only for the roles that see them; the observer sees counts and never a name; the answers refresh themselves; the
CSV has a phone column only for those roles, neutralised cells, and every export is audited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.meetings.service import record_answer
from gateway.models import Contact, Invitation, MeetingReminder
from tests.gateway.console.desk_support import audit_rows
from tests.gateway.console.meetings_support import make_meeting
from tests.staff_users import PHONE_SEERS, ROLES, email_of, logged_in

HOSTILE = '=HYPERLINK("http://evil.example","clic")'


@pytest.fixture
def meeting(runtime, directory) -> dict:
    """A KORO meeting where one leader said yes, one no, one (with a hostile name) has not answered."""
    ref = make_meeting(runtime, "KORO", place="<b>Mairie</b>")
    with runtime.db.transaction() as session:
        invitations = list(session.scalars(select(Invitation).where(Invitation.meeting_id == ref)))
        record_answer(invitations[0], True)
        record_answer(invitations[1], False)
        invitations[2].contact.name = HOSTILE
        people = [(i.contact.name, i.contact.phone) for i in invitations]
    return {"ref": ref, "yes": invitations[0].contact_id, "people": people}


def names_and_phones(meeting) -> tuple[list[str], list[str]]:
    """The invitees' names and phone numbers."""
    return [n for n, _ in meeting["people"]], [p for _, p in meeting["people"]]


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("coord_segou", "fac_macina")])
def test_what_each_role_sees_of_the_invitees(runtime, app, meeting, role):
    client = logged_in(runtime, app, role)
    page = client.get(f"/console/meetings/{meeting['ref']}").get_data(as_text=True)
    names, phones = names_and_phones(meeting)
    assert 'data-answer="yes"' in page and "<b>Mairie</b>" not in page and "&lt;b&gt;Mairie&lt;/b&gt;" in page
    assert 'hx-trigger="every 5s"' in page, "the answers refresh themselves"
    assert 'id="delivery-' in page, "the notice's delivery bar"
    assert "0 non" not in page and ": 1 oui, 1 non," in page, "the tally as the facilitators receive it"
    if role == "observer":
        assert not [n for n in names if n in page] and not [p for p in phones if p[-8:] in page]
        return
    assert names[0] in page
    full = [p for p in phones if p in page]
    assert (len(full) == len(phones)) if role in PHONE_SEERS else not full
    assert not [p for p in phones if p[-8:] in page] if role not in PHONE_SEERS else True


def test_the_answers_fragment_shows_a_new_answer(runtime, app, meeting):
    client = logged_in(runtime, app, "fac_koro")
    fragment = client.get(f"/console/meetings/{meeting['ref']}/answers").get_data(as_text=True)
    assert fragment.count('data-answer="yes"') == 2  # the counter and the one row
    assert "<html" not in fragment
    with runtime.db.transaction() as session:
        pending = session.scalars(
            select(Invitation).where(Invitation.meeting_id == meeting["ref"], Invitation.answer.is_(None))
        ).first()
        record_answer(pending, True)
    fragment = client.get(f"/console/meetings/{meeting['ref']}/answers").get_data(as_text=True)
    assert fragment.count('data-answer="yes"') == 3


@pytest.mark.parametrize("role", ["admin", "coord_mopti", "fac_koro", "officer_koro"])
def test_the_attendance_csv_by_role(runtime, app, meeting, role):
    client = logged_in(runtime, app, role)
    response = client.get(f"/console/meetings/{meeting['ref']}/attendance.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header = ["name", "role", "commune", "village", "channel", "answer", "answered_at"]
    assert rows[0] == (header + ["phone"] if role in PHONE_SEERS else header)
    assert len(rows) - 1 == len(meeting["people"])
    by_name = {row[0]: row for row in rows[1:]}
    assert "'" + HOSTILE in by_name, "a cell that a spreadsheet would run is neutralised"
    assert not [row for row in rows[1:] for cell in row if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    answers = sorted(row[5] for row in rows[1:])
    assert answers.count("yes") == 1 and answers.count("no") == 1
    if role in PHONE_SEERS:
        assert sorted(row[7] for row in rows[1:]) == sorted("'" + p for _, p in meeting["people"])  # +223… neutralised
    exports = [r for r in audit_rows(runtime) if r.action == "meeting_attendance_export"]
    assert [(r.actor, r.target) for r in exports] == [(email_of(role), f"meeting #{meeting['ref']}")]


def test_the_observer_gets_no_attendance_list(runtime, app, meeting):
    client = logged_in(runtime, app, "observer")
    assert client.get(f"/console/meetings/{meeting['ref']}/attendance.csv").status_code == 403
    assert not [r for r in audit_rows(runtime) if r.action == "meeting_attendance_export"]


def test_a_bad_month_is_refused_with_its_reason(runtime, app, directory):
    client = logged_in(runtime, app, "fac_koro")
    for month in ("2026-13", "décembre", "1-1"):
        response = client.get(f"/console/meetings?month={month}&lang=en")
        assert response.status_code == 400 and "use YYYY-MM" in response.get_data(as_text=True)


def test_contacts_named_in_the_page_are_escaped(runtime, app, meeting):
    with runtime.db.transaction() as session:
        contact = session.get(Contact, meeting["yes"])
        contact.name = "<script>alert(1)</script>"
    page = logged_in(runtime, app, "fac_koro").get(f"/console/meetings/{meeting['ref']}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_reminders_planned_sent_and_cancelled(runtime, app, meeting):
    with runtime.db.transaction() as session:
        reminders = session.scalars(
            select(MeetingReminder).where(MeetingReminder.meeting_id == meeting["ref"]).order_by(MeetingReminder.id)
        ).all()
        assert len(reminders) == 3  # two reminders and the facilitators' tally
        reminders[0].sent_at = datetime(2026, 1, 2, 8, 30, tzinfo=UTC)
        reminders[1].cancelled = True
    page = logged_in(runtime, app, "fac_koro").get(f"/console/meetings/{meeting['ref']}").get_data(as_text=True)
    assert "envoyé à 2026-01-02 08:30" in page  # Bamako is UTC+0
    assert page.count(">annulé<") == 1 and page.count(">prévu<") == 1
