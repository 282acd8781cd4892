"""The alert desk's buttons and small forms: each posts (with its CSRF token) to one route that calls
`gateway.alerts.desk` in one transaction, then redirects to the alert page with a flash message. A refusal shows
the page again with the reason (403/409/422) and nothing changed."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from flows import catalogue
from gateway.alerts import desk
from gateway.alerts.desk import DeskRefusal
from gateway.console import console, login_required, runtime
from gateway.console.alert_page import CANNED_KEYS, parse_ref, refusal_text, render_alert
from gateway.console.texts import t
from gateway.models import AlertStatus
from gateway.staff.scope import visible_alert

STATUS_ACTIONS = {
    "take": AlertStatus.ACKNOWLEDGED,
    "verify": AlertStatus.VERIFIED,
    "resolve": AlertStatus.RESOLVED,
    "false_alarm": AlertStatus.FALSE_ALARM,
}


def _severity(text: str) -> int | None:
    if text in ("1", "2", "3"):
        return int(text)
    if text in ("", "none"):
        return None
    raise DeskRefusal("invalid", desk.SEVERITY_REFUSAL, "refusal.bad_severity")


def _reply_text(alert, form) -> str:
    """The typed text, or a canned reply chosen without typing (rendered in the reporter's language)."""
    text = form.get("text", "")
    canned = form.get("canned", "")
    if not text.strip() and canned in CANNED_KEYS and alert.reporter is not None:
        return catalogue.for_contact(alert.reporter, canned, ref=alert.id)
    return text


def _do(action: str, session, alert, form) -> str:
    """Run one action; the flash message's key on success."""
    rt, scope = runtime(), g.scope
    if action in STATUS_ACTIONS:
        desk.set_status(session, rt, scope, alert, STATUS_ACTIONS[action], form.get("note"))
    elif action == "triage":
        desk.triage(session, rt, scope, alert, form.get("category", ""), _severity(form.get("severity", "")))
    elif action == "note":
        desk.add_note(session, scope, alert, form.get("text", ""))
    elif action == "reply":
        desk.reply(session, rt, scope, alert, _reply_text(alert, form))
    return f"done.{action}"


@console.route("/alerts/<ref>/<action>", methods=["POST"])
@login_required
def alert_action(ref: str, action: str):
    """POST /console/alerts/<ref>/<take|verify|resolve|false_alarm|triage|note|reply>."""
    if action not in (*STATUS_ACTIONS, "triage", "note", "reply"):
        return render_template("console/not_found.html"), 404
    number = parse_ref(ref)
    form = request.form
    try:
        with runtime().db.transaction() as db:
            alert = visible_alert(db, g.scope, number) if number is not None else None
            if alert is None:
                return render_template("console/not_found.html"), 404
            done = _do(action, db, alert, form)
    except DeskRefusal as refusal:  # the transaction rolled back: nothing changed
        kept = {"note": form.get("note", ""), "text": form.get("text", ""), "action": action}
        return render_alert(ref, refusal_text(refusal), refusal.http_status, form=kept)
    flash(t(done, ref=number), "ok")
    return redirect(url_for("console.alert_page", ref=number))
