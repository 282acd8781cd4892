"""A leader's missed call: one "call me back" report for the leader's district (repeated calls within
ALERT_MERGE_SECONDS join it), the district's officers paged on the ladder like any urgent alert and its
facilitators told, and the leader an SMS with the reference. Other numbers' missed calls are kept, never paged."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bots.callgate import CODE
from flows import catalogue
from gateway.alerts import status as statuses
from gateway.alerts.lifecycle import alert_recorded
from gateway.alerts.records import link, new_alert
from gateway.calls.events import missed_call
from gateway.core.privacy import mask_address
from gateway.core.runtime import Runtime
from gateway.escalation.notify import alert_text, notify_officer
from gateway.messaging.outbox import queue_message
from gateway.messaging.routing import sms_route
from gateway.models import Alert, AlertSource, AlertUpdate, Contact, Message, MessageKind, Role, utcnow

log = logging.getLogger(__name__)


def handle_call_event(session: Session, runtime: Runtime, message: Message, contact: Contact | None) -> Alert | None:
    """Act on a stored call event if it completes a missed call; the leader's report, or None."""
    ringing_id = missed_call(session, message)
    if ringing_id is None:
        return None
    ringing = session.get(Message, ringing_id)
    if contact is None or contact.role != Role.LEADER:
        # Kept as the call's records; nobody is paged for a number outside the directory's leaders.
        log.info("missed call %s from %s kept (not a leader)", ringing_id, mask_address(ringing.address))
        return None
    alert = _open_report(session, runtime, contact)
    if alert is not None:
        link(ringing, alert)
        session.add(AlertUpdate(alert_id=alert.id, kind="update", value="missed call again", message_id=ringing.id))
        log.info("missed call %s joins report %s", ringing_id, alert.id)
        return alert
    alert = new_alert(session, contact, CODE, AlertSource.CALLBACK)
    link(ringing, alert)
    alert_recorded(session, runtime, alert)  # the officers, on the ladder (see escalation.policy)
    _tell_facilitators(session, runtime, alert)
    queue_message(
        session,
        runtime,
        body=catalogue.text(contact.language, "callback.leader", ref=alert.id),
        contact=contact,
        channel=sms_route(runtime.settings, runtime.channels),  # they called from this phone: answer it by SMS
        address=contact.phone,
        kind=MessageKind.ALERT_CONFIRMATION,
    )
    log.info("missed call %s: call-back report %s", ringing_id, alert.id)
    return alert


def _open_report(session: Session, runtime: Runtime, contact: Contact) -> Alert | None:
    """The leader's open call-back report with a missed call within the merge window, if any."""
    since = utcnow() - timedelta(seconds=runtime.settings.alert_merge_seconds)
    alerts = session.scalars(
        select(Alert)
        .join(Message, Message.alert_id == Alert.id)
        .where(Alert.source == AlertSource.CALLBACK, Alert.reporter_id == contact.id, Message.created_at >= since)
        .order_by(Alert.id.desc())
    ).all()
    return next((a for a in alerts if statuses.is_open(a.status)), None)


def _tell_facilitators(session: Session, runtime: Runtime, alert: Alert) -> None:
    """The district's facilitators get the same page on their channels (they know the leader; they may call)."""
    facilitators = session.scalars(
        select(Contact)
        .where(Contact.role == Role.FACILITATOR, Contact.district_id == alert.district_id, Contact.active.is_(True))
        .order_by(Contact.id)
    ).all()
    for person in facilitators:
        text = alert_text(alert, person.language)
        notify_officer(session, runtime, alert, person, level=1, purpose="alert", text=text, every_channel=True)
