"""The attendance list of a meeting as CSV: every invitee, their channel and answer; the phone column only for the
roles that see numbers (PHONE_ROLES); every cell neutralised against formula injection; each export audited.
The observer, who never sees names, gets 403 (the meeting page shows it the counts)."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, g

from gateway.console import console, login_required, runtime
from gateway.console.meetings import local_text
from gateway.console.texts import t
from gateway.core import audit
from gateway.core.untrusted import csv_row
from gateway.meetings.attendance import invitees
from gateway.meetings.desk import parse_ref, visible_meeting
from gateway.staff.roles import PHONE_ROLES

COLUMNS = ("name", "role", "commune", "village", "channel", "answer", "answered_at")


def attendance_csv(people, with_phone: bool) -> str:
    """The CSV text: a header, then one neutralised row per invitee."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*COLUMNS, "phone"] if with_phone else COLUMNS)
    for person in people:
        row = [person.name, person.role, person.commune, person.village, person.channel or "", person.answer]
        row.append(local_text(person.answered_at))
        if with_phone:
            row.append(person.phone)
        writer.writerow(csv_row(row))
    return out.getvalue()


@console.get("/meetings/<ref>/attendance.csv")
@login_required
def attendance_export(ref: str):
    """Download the attendance list of a meeting of the user's scope (404 otherwise; 403 for the observer)."""
    with_phone = g.scope.role in PHONE_ROLES
    with runtime().db.transaction() as db:
        meeting = visible_meeting(db, g.scope, parse_ref(ref))
        if meeting is None:
            abort(404)
        if not g.scope.reads_bodies:
            abort(403, t("meetings.export_refused"))
        people = invitees(db, meeting)
        body = attendance_csv(people, with_phone)
        detail = f"{len(people)} row(s){', with phone numbers' if with_phone else ''}"
        audit.record(db, g.scope.email, "meeting_attendance_export", f"meeting #{meeting.id}", detail)
        number = meeting.id
    headers = {"Content-Disposition": f'attachment; filename="meeting-{number}-attendance.csv"'}
    return Response(body, mimetype="text/csv", headers=headers)
