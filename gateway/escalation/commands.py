"""The officers' commands: `OK 142` / `ACK 142` (take it), `FIN 142 note` / `DONE 142` (resolved), `FAUX 142`
(false alarm). A reference may come with or without `#`; a bare `OK` works when exactly one alert waits."""

from __future__ import annotations

from sqlalchemy import select

from flows.keywords import Match, parse_reference
from gateway.escalation.ladder import acknowledge
from gateway.escalation.notify import notified_officers
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
from gateway.outbox import queue_message


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
            .where(Notification.officer_id == officer.id, Escalation.acknowledged_by_id.is_(None))
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
    alert = inbound.session.get(Alert, ref)
    if alert is None:
        inbound.reply("escalation.unknown_ref", ref=ref)
    return alert, rest


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
        taker = inbound.session.get(Contact, escalation.acknowledged_by_id)
        inbound.reply("escalation.already_taken", ref=alert.id, officer=taker.name if taker else "?")
        return
    if alert.status in (AlertStatus.NEW, AlertStatus.INCOMPLETE):
        alert.status = AlertStatus.ACKNOWLEDGED
    inbound.reply("escalation.ack_done", ref=alert.id)
    for officer in notified_officers(inbound.session, alert.id):
        if officer.id != inbound.contact.id:
            _tell(inbound, officer, "escalation.taken", ref=alert.id, officer=inbound.contact.name)
    if alert.reporter is not None:
        _tell(inbound, alert.reporter, "alert.handled", kind=MessageKind.ALERT_UPDATE, ref=alert.id)


def _close(inbound, match: Match, status: str) -> None:
    if not _is_officer(inbound):
        return
    alert, note = _target(inbound, match)
    if alert is None:
        return
    if alert.status in (AlertStatus.RESOLVED, AlertStatus.FALSE_ALARM):
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
    alert.status = status
    if status == AlertStatus.RESOLVED:
        inbound.reply("escalation.resolved_done", ref=alert.id)
        if alert.reporter is not None:
            _tell(inbound, alert.reporter, "alert.closed", kind=MessageKind.ALERT_UPDATE, ref=alert.id)
    else:
        inbound.reply("escalation.false_alarm_done", ref=alert.id)  # the reporter is not told


def on_resolve(inbound, match: Match) -> None:
    """FIN 142 note: resolved with the note; the reporter gets a short closing message."""
    _close(inbound, match, AlertStatus.RESOLVED)


def on_false_alarm(inbound, match: Match) -> None:
    """FAUX 142: a false alarm; nothing is sent to the reporter."""
    _close(inbound, match, AlertStatus.FALSE_ALARM)
