"""Shared by the alert desk's tests: the people, the alerts they send, and how a desk action is run."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from flows.catalogue import text as catalogue_text
from gateway.alerts.desk import DeskRefusal
from gateway.messaging.sms_text import to_gsm7
from gateway.models import Alert, AlertUpdate, AuditEntry, Escalation, Message, utcnow

LEADER, LEADER_NAME = "+22371139685", "Mamadou Dembélé"  # leader at Konna/Kotaka (MOPTI)
OTHER_LEADER = "+22365598143"  # Moussa Dicko, leader at Mopti (MOPTI)
STRANGER = "+22370000042"  # not in the directory
ALIOU, ALIOU_TG = "+22365639508", 1041918565  # Aliou Ongoïba, MOPTI duty officer, level 1
BAKARY, BAKARY_NAME = "+22376375098", "Bakary Maïga"  # Mopti region coordinator, level 2
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"
FREE_TEXT = "Des hommes armés rôdent près du puits de Mopti"
HANDLED = "Votre alerte #1 est prise en charge. Merci."
CLOSED = "Votre alerte #1 est close. Merci de l'avoir signalée."


def sms(key: str, **params) -> str:
    """A catalogue text (French) as the SMS (console) channel sends it."""
    return to_gsm7(catalogue_text("fr", key, **params))


def act(runtime, fn, ref: int = 1):
    """Run `fn(session, alert)` in one transaction, as a console or API request does; its result."""
    with runtime.db.transaction() as session:
        return fn(session, session.get(Alert, ref))


def refusal(runtime, fn, ref: int = 1) -> DeskRefusal:
    """The refusal `fn` meets; its transaction is rolled back."""
    with pytest.raises(DeskRefusal) as refused:
        act(runtime, fn, ref)
    assert "\n" not in refused.value.message
    # The one mapping the console and the API answer with.
    assert refused.value.http_status == {"forbidden": 403, "conflict": 409, "invalid": 422}[refused.value.code]
    return refused.value


def snapshot(runtime, ref: int = 1) -> tuple:
    """What a refused action must leave as it was."""
    with runtime.db.transaction() as session:
        alert = session.get(Alert, ref)
        escalation = session.scalar(select(Escalation).where(Escalation.alert_id == ref))
        return (
            (alert.status, alert.category, alert.severity, alert.triaged_at),
            escalation and (escalation.status, escalation.acknowledged_at, escalation.resolved_at),
            session.scalar(select(func.count()).select_from(AuditEntry)),
            session.scalar(select(func.count()).select_from(AlertUpdate)),
            session.scalar(select(func.count()).select_from(Message)),
        )


def audit_rows(runtime) -> list[tuple[str, str, str | None, str | None]]:
    """(actor, action, target, detail) of every audit row, oldest first."""
    with runtime.db.transaction() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.actor, r.action, r.target, r.detail) for r in rows]


def escalation_of(runtime, ref: int = 1) -> Escalation:
    """The alert's escalation, with who took it (officer and staff account) loaded."""
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation).where(Escalation.alert_id == ref))
        _ = esc and (esc.alert, esc.acknowledged_by, esc.acknowledged_by_user)
        return esc


def due(runtime, ref: int = 1) -> tuple[int, int]:
    """Make the ladder's next step due: (escalation id, its sequence number) for `ladder.step`."""
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation).where(Escalation.alert_id == ref))
        esc.next_step_at = utcnow()
        return esc.id, esc.step_seq
