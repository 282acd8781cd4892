"""Calling, moving and cancelling meetings from the console, and the last call: a form, a preview that writes
nothing (texts per language, SMS segments, cost, the paced phone's time, the quiet-hours notice), then a confirm
post that does the work through gateway.meetings.desk in one transaction (audited). A refusal shows the form
again with its reason, 4xx, and nothing written."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from gateway.console import console, login_required, runtime
from gateway.console.meetings import local_text, render_meeting
from gateway.console.texts import t
from gateway.meetings import desk
from gateway.meetings.desk import MAX_AGENDA, MAX_PLACE, MeetingRefusal

FIELDS = ("district", "date", "time", "place", "agenda")


def refusal_text(refusal: MeetingRefusal) -> str:
    """A refusal in the user's language."""
    return t(f"meetings.refusal.{refusal.code}")


def _form() -> dict:
    return {name: request.form.get(name, "") for name in FIELDS}


def _at(form: dict) -> str:
    """The form's date and time as the CLI's `YYYY-MM-DD HH:MM`."""
    return f"{form.get('date', '').strip()} {form.get('time', '').strip()}"


def _render_form(form: dict, error: str | None = None, status: int = 200):
    with runtime().db.sessions() as db:
        districts = [(d.code, d.name) for d in desk.convenable_districts(db, g.scope)]
    limits = {"place": MAX_PLACE, "agenda": MAX_AGENDA}
    return render_template("console/meeting_new.html", form=form, districts=districts, error=error, limits=limits), (
        status
    )


def _forbidden_unless_convener() -> None:
    if not desk.may_convene(g.scope):
        abort(403, t("meetings.refusal.forbidden"))


def plan_view(plan) -> dict:
    """A NoticePlan as the templates show it (durations in minutes, the leave time in local time)."""
    estimate = plan.estimate
    minutes = None
    if estimate.duration is not None:
        minutes = max(round(estimate.duration.total_seconds() / 60), 1)
    return {
        "invitees": plan.invitees,
        "notices": plan.notices,
        "channels": estimate.channels,
        "sms_recipients": estimate.sms_recipients,
        "segments": estimate.segments_total,
        "not_sent": estimate.not_sent,
        "cost": estimate.cost,
        "minutes": minutes,
        "leaves_at": local_text(estimate.leaves_at) if estimate.leaves_at else None,
    }


@console.get("/meetings/new")
@login_required
def new_meeting():
    """The form to call a meeting (admin, coordinator, facilitator)."""
    _forbidden_unless_convener()
    return _render_form({"district": g.scope.district_code or ""})


@console.post("/meetings/preview")
@login_required
def preview_meeting():
    """What the notice will say and cost; nothing is written."""
    _forbidden_unless_convener()
    form = _form()
    try:
        with runtime().db.sessions() as db:
            checked = desk.check_request(db, runtime(), g.scope, form["district"], _at(form), form["place"],
                                         form["agenda"])  # fmt: skip
            plan = plan_view(desk.preview(db, runtime(), checked))
            district = checked.district.name
    except MeetingRefusal as refusal:
        return _render_form(form, refusal_text(refusal), refusal.http_status)
    return render_template("console/meeting_preview.html", form=form, plan=plan, district=district)


@console.post("/meetings")
@login_required
def create_meeting():
    """Create the meeting and queue its notice; then its page."""
    _forbidden_unless_convener()
    form = _form()
    try:
        with runtime().db.transaction() as db:
            checked = desk.check_request(db, runtime(), g.scope, form["district"], _at(form), form["place"],
                                         form["agenda"])  # fmt: skip
            created = desk.create(db, runtime(), g.scope, checked)
    except MeetingRefusal as refusal:  # rolled back: nothing written
        return _render_form(form, refusal_text(refusal), refusal.http_status)
    flash(t("meetings.created", ref=created.meeting_id, invited=created.invitees, segments=created.segments_total))
    return redirect(url_for("console.meeting_page", ref=created.meeting_id))


def _change(ref: str, work, done_key: str):
    """Run one change of a meeting in a transaction: the page with a flash, or the page with the refusal."""
    number = desk.parse_ref(ref)
    try:
        with runtime().db.transaction() as db:
            meeting = desk.visible_meeting(db, g.scope, number)
            if meeting is None:
                abort(404)
            count = work(db, meeting)
    except MeetingRefusal as refusal:
        if refusal.code == "forbidden":
            abort(403, refusal_text(refusal))
        return render_meeting(ref, refusal_text(refusal), refusal.http_status, form=dict(request.form))
    flash(t(done_key, ref=number, count=count))
    return redirect(url_for("console.meeting_page", ref=number))


@console.post("/meetings/<ref>/reschedule")
@login_required
def reschedule_meeting(ref: str):
    """Move a meeting: answers reset, those who had not declined asked again."""
    at = _at({"date": request.form.get("date", ""), "time": request.form.get("time", "")})
    return _change(ref, lambda db, m: desk.reschedule(db, runtime(), g.scope, m, at), "meetings.rescheduled")


@console.post("/meetings/<ref>/cancel")
@login_required
def cancel_meeting(ref: str):
    """Cancel a meeting still ahead: those who had not declined are told."""
    return _change(ref, lambda db, m: desk.cancel(db, runtime(), g.scope, m), "meetings.cancelled")


@console.get("/meetings/<ref>/last-call")
@login_required
def last_call_preview(ref: str):
    """How many invitees the last call would reach and what it costs; nothing is sent."""
    with runtime().db.sessions() as db:
        meeting = desk.visible_meeting(db, g.scope, desk.parse_ref(ref))
        if meeting is None:
            abort(404)
        try:
            plan = plan_view(desk.last_call_plan(runtime(), g.scope, meeting))
        except MeetingRefusal as refusal:
            if refusal.code == "forbidden":
                abort(403, refusal_text(refusal))
            error = (refusal_text(refusal), refusal.http_status)
        else:
            return render_template("console/meeting_last_call.html", ref=meeting.id, plan=plan)
    return render_meeting(ref, *error)


@console.post("/meetings/<ref>/last-call")
@login_required
def send_last_call(ref: str):
    """Send the last call to the invitees who have not answered and can still be reached."""

    def work(db, meeting):
        return desk.send_last_call(db, runtime(), g.scope, meeting)[0]

    return _change(ref, work, "meetings.last_call_sent")
