"""When an officer or a facilitator sends STOP: they are told what it does (officers stay paged for alerts until
replaced), and whoever can replace them — their region's coordinators, else head office — is told they asked."""

from __future__ import annotations

from flows import catalogue
from flows.inbound_context import Inbound
from gateway.escalation.officers import coordinators_of
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Priority, Role

_REPLIES = {Role.OFFICER: "stop.done_officer", Role.FACILITATOR: "stop.done_facilitator"}
_NOTICES = {Role.OFFICER: "stop.officer_notice", Role.FACILITATOR: "stop.facilitator_notice"}


def reply_key(contact: Contact) -> str:
    """The catalogue key of the answer to this contact's STOP."""
    return _REPLIES.get(contact.role, "stop.done")


def tell_coordinators(inbound: Inbound) -> int:
    """Tell who can replace a staff member that they sent STOP (leaders: nobody). Returns how many were told."""
    contact = inbound.contact
    key = _NOTICES.get(contact.role)
    if key is None:
        return 0
    coordinators = coordinators_of(inbound.session, contact)
    for coordinator in coordinators:
        area = contact.district.name if contact.district else contact.region
        queue_message(
            inbound.session,
            inbound.runtime,
            body=catalogue.text(
                coordinator.language,
                key,
                officer=contact.name,
                district=area or catalogue.text(coordinator.language, "stop.head_office"),
            ),
            contact=coordinator,
            priority=Priority.URGENT,  # a gap in the roster matters now, not after the quiet hours
        )
    return len(coordinators)
