"""The officers' commands: `OK 142` / `ACK 142` (take it), `FIN 142 note` / `DONE 142` (resolved), `FAUX 142`
(false alarm). A reference may come with or without `#`; a bare `OK` works when exactly one alert waits.

Officers act only on alerts of their scope or alerts they were paged for (`officers.in_scope`); by SMS, closing
an alert is confirmed first (`flows.confirmations`); everyone paged hears who took, closed or dismissed it."""

from __future__ import annotations

from sqlalchemy import select

from flows import confirmations
from flows.keywords import Match, parse_reference
from gateway.alerts.status import can_move, move
from gateway.escalation.ladder import acknowledge, taken_by
from gateway.escalation.notify import notified_officers
from gateway.escalation.officers import in_scope
from gateway.messaging.outbox import queue_message
from gateway.models import (
    Alert,
    AlertStatus,
    Contact,
    Escalation,
    EscalationStatus,
    MessageKind,
    Notification,
    Role,
    utcnow,
)


def _text(contact: Contact, key: str, **params) -> str:
    from flows import catalogue

    return catalogue.for_contact(contact, key, **params)  # a discreet reporter gets the neutral variant


def _tell(inbound, contact: Contact, key: str, kind: str = MessageKind.REPLY, **params) -> None:
    """A message to another person, on their preferred channel."""
    queue_message(inbound.session, inbound.runtime, body=_text(contact, key, **params), contact=contact, kind=kind)


def _open_for(session, officer: Contact) -> list[int]:
    """Alerts waiting for an acknowledgement that this officer was notified about."""
    return list(
        session.scalars(
            select(Escalation.alert_id)
            .join(Notification, Notification.alert_id == Escalation.alert_id)
            .where(Notification.officer_id == officer.id, Escalation.acknowledged_at.is_(None))
            .where(Escalation.status.in_([EscalationStatus.ACTIVE, EscalationStatus.EXHAUSTED]))
            .distinct()
            .order_by(Escalation.alert_id)
        )
    )


def _target(inbound, match: Match) -> tuple[Alert | None, str]:
    """The alert a command names (or the only open one), and the rest of the text (a note)."""
    ref, rest = parse_reference(match.rest)
    if ref is None:
        open_refs = _open_for(inbound.session, inbound.contact)
        if len(open_refs) != 1:
            if open_refs:
                refs = " ".join(f"#{r}" for r in open_refs)
                inbound.reply("escalation.which", refs=refs)
            else:
                inbound.reply("escalation.none_open")
            return None, rest
        ref = open_refs[0]
    return _alert_in_scope(inbound, ref), rest


def _alert_in_scope(inbound, ref: int) -> Alert | None:
    """The alert, if it exists and this officer may act on it (else they are told why, and nothing changes)."""
    alert = inbound.session.get(Alert, ref)
    if alert is None:
        inbound.reply("escalation.unknown_ref", ref=ref)
        return None
    if not in_scope(inbound.session, inbound.contact, alert):
        inbound.reply("escalation.not_yours", ref=alert.id)
        return None
    return alert


def _is_officer(inbound) -> bool:
    if inbound.contact.role == Role.OFFICER:
        return True
    inbound.reply("help")  # a leader's "OK 142" changes nothing
    return False


def _escalation(session, alert: Alert) -> Escalation:
    escalation = session.scalar(select(Escalation).where(Escalation.alert_id == alert.id))
    if escalation is None:  # an alert that paged nobody (severity 1) can still be taken and closed
        escalation = Escalation(alert_id=alert.id, ladder=False, level=1, repeats=0, step_seq=0,
                                status=EscalationStatus.STOPPED, started_at=utcnow())  # fmt: skip
        session.add(escalation)
        session.flush()
    return escalation


def on_acknowledge(inbound, match: Match) -> None:
    """OK 142: the first officer takes the alert; the others and the reporter are told."""
    if not _is_officer(inbound):
        return
    alert, _ = _target(inbound, match)
    if alert is None:
        return
    escalation = _escalation(inbound.session, alert)
    if not acknowledge(inbound.session, inbound.runtime, escalation, inbound.contact.id):
        inbound.reply("escalation.already_taken", ref=alert.id, officer=taken_by(escalation))
        return
    if can_move(alert.status, AlertStatus.ACKNOWLEDGED):
        move(inbound.session, alert, AlertStatus.ACKNOWLEDGED)
    inbound.reply("escalation.ack_done", ref=alert.id)
    _tell_paged(inbound, alert, "escalation.taken")
    if alert.reporter is not None:
        _tell(inbound, alert.reporter, "alert.handled", kind=MessageKind.ALERT_UPDATE, ref=alert.id)


def _tell_paged(inbound, alert: Alert, key: str) -> None:
    """Every officer paged about the alert, except the one acting, hears who did what."""
    for officer in notified_officers(inbound.session, alert.id):
        if officer.id != inbound.contact.id:
            _tell(inbound, officer, key, ref=alert.id, officer=inbound.contact.name)


_QUESTIONS = {
    AlertStatus.RESOLVED: "escalation.confirm_resolve",
    AlertStatus.FALSE_ALARM: "escalation.confirm_false_alarm",
}


def _still_open(inbound, alert: Alert, status: str) -> bool:
    if not can_move(alert.status, status):
        inbound.reply("escalation.already_closed", ref=alert.id)
        return False
    return True


def _close(inbound, match: Match, status: str) -> None:
    if not _is_officer(inbound):
        return
    alert, note = _target(inbound, match)
    if alert is None or not _still_open(inbound, alert, status):
        return
    if confirmations.by_sms(inbound):  # a spoofed number must not close an alert: its real owner confirms
        data = {"ref": alert.id, "status": str(status), "note": note}
        confirmations.ask(inbound, "close_alert", data, _QUESTIONS[status], ref=alert.id)
        return
    _do_close(inbound, alert, note, status)


def confirmed_close(inbound, data: dict) -> None:
    """OUI to `FIN 142`/`FAUX 142` by SMS: checked again (scope, still open), then closed."""
    if not _is_officer(inbound):
        return
    alert = _alert_in_scope(inbound, int(data["ref"]))
    if alert is None or not _still_open(inbound, alert, data["status"]):
        return
    _do_close(inbound, alert, data.get("note") or "", data["status"])


def _do_close(inbound, alert: Alert, note: str, status: str) -> None:
    if not move(inbound.session, alert, status):  # closed from the console meanwhile: one close, the loser told
        inbound.reply("escalation.already_closed", ref=alert.id)
        return
    escalation = _escalation(inbound.session, alert)
    acknowledge(inbound.session, inbound.runtime, escalation, inbound.contact.id)  # closing implies taking it
    now = utcnow()
    escalation.status, escalation.next_step_at, escalation.remind_at = EscalationStatus.STOPPED, None, None
    escalation.resolved_by_id, escalation.resolved_at, escalation.resolution_note = (
        inbound.contact.id,
        now,
        note or None,
    )
    if status == AlertStatus.RESOLVED:
        inbound.reply("escalation.resolved_done", ref=alert.id)
        _tell_paged(inbound, alert, "escalation.resolved_by")
        if alert.reporter is not None:
            _tell(inbound, alert.reporter, "alert.closed", kind=MessageKind.ALERT_UPDATE, ref=alert.id)
    else:
        inbound.reply("escalation.false_alarm_done", ref=alert.id)  # the reporter is not told
        _tell_paged(inbound, alert, "escalation.dismissed_by")


def on_resolve(inbound, match: Match) -> None:
    """FIN 142 note: resolved with the note; the reporter gets a short closing message."""
    _close(inbound, match, AlertStatus.RESOLVED)


def on_false_alarm(inbound, match: Match) -> None:
    """FAUX 142: a false alarm; nothing is sent to the reporter."""
    _close(inbound, match, AlertStatus.FALSE_ALARM)
