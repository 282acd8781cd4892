"""Officer notifications: the texts (two GSM-7 segments at most, never the reporter's identity) and their
delivery on every channel an officer has — SMS always as the floor, Telegram too when linked, with buttons."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bots.base import Button
from flows import catalogue
from gateway.core.runtime import Runtime
from gateway.messaging.outbox import queue_message
from gateway.messaging.routing import sms_route
from gateway.messaging.sms_text import GSM7_PART, count_segments, to_gsm7
from gateway.models import Alert, AlertSource, Contact, MessageKind, Notification, Priority

MAX_SEGMENTS = 2


def _labels(alert: Alert, language: str) -> dict:
    category = catalogue.text(language, f"category.{alert.category}") if alert.category else None
    return {
        "ref": alert.id,
        "district": alert.district.name if alert.district else (alert.region or "?"),
        "commune": alert.commune or alert.place or "?",
        "category": category or catalogue.text(language, "category.none"),
        "severity": alert.severity if alert.severity is not None else "?",
    }


def alert_text(alert: Alert, language: str, key: str = "escalation.alert") -> str:
    """The notification text, with as much of the description as fits in two GSM-7 segments."""
    if alert.source == AlertSource.CALLBACK and alert.category is None:
        return callback_text(alert, language)
    params = _labels(alert, language)
    description = " ".join((alert.description or "").split())
    budget = len(description)
    # An excerpt longer than the segments' capacity never fits (a character is at least one unit): skip those
    # budgets at once, on the same 10-character steps, so the text is the same as trying each in turn.
    too_long = MAX_SEGMENTS * GSM7_PART + 1
    if budget > too_long:
        budget -= (budget - too_long + 9) // 10 * 10
    while True:
        excerpt = description if budget >= len(description) else description[: max(budget - 1, 0)].rstrip() + "…"
        text = catalogue.text(language, key, description=f'"{excerpt}"' if excerpt else "-", **params)
        if count_segments(to_gsm7(text)).segments <= MAX_SEGMENTS or budget <= 0:
            return text
        budget -= 10


def callback_text(alert: Alert, language: str) -> str:
    """A missed call's page: who to call back and where they are. The name is shown here (a call-back needs it);
    the number is not: officers find it in the directory or the console."""
    district = alert.district.name if alert.district else (alert.region or "?")
    name = short_name(alert.reporter.name) if alert.reporter else "?"
    return catalogue.text(
        language, "callback.page", ref=alert.id, district=district, name=name, place=alert.place or "?"
    )


def short_name(name: str) -> str:
    """`Abdoulaye Togo` → `Abdoulaye T.`: enough to call back, short enough for one SMS."""
    first, *rest = name.split() or ["?"]
    return f"{first} {rest[-1][0]}." if rest else first


def alert_buttons(alert: Alert, language: str) -> tuple[Button, ...]:
    """Acknowledge and Resolve, sending the same text an officer would type."""
    return (
        Button(catalogue.text(language, "escalation.button_ack"), f"OK {alert.id}"),
        Button(catalogue.text(language, "escalation.button_resolve"), f"FIN {alert.id}"),
    )


def notify_officer(
    session: Session,
    runtime: Runtime,
    alert: Alert,
    officer: Contact,
    *,
    level: int,
    purpose: str,
    text: str,
    every_channel: bool,
) -> None:
    """Queue one officer's notification (urgent: SMS and Telegram; otherwise their preferred channel)."""
    targets: list[tuple[str | None, str | None, tuple[Button, ...]]] = []
    telegram_ok = (
        "telegram" in runtime.channels and officer.telegram_id is not None and not officer.telegram_unreachable
    )
    if every_channel:
        targets.append((sms_route(runtime.settings, runtime.channels), officer.phone, ()))
        if telegram_ok:
            targets.append(("telegram", str(officer.telegram_id), alert_buttons(alert, officer.language)))
    else:
        targets.append((None, None, alert_buttons(alert, officer.language) if telegram_ok else ()))
    for channel, address, buttons in targets:
        message = queue_message(
            session,
            runtime,
            body=text,
            contact=officer,
            channel=channel,
            address=address,
            priority=Priority.URGENT,
            kind=MessageKind.ESCALATION if every_channel else MessageKind.OFFICER_NOTICE,
            buttons=buttons if (channel == "telegram" or (channel is None and telegram_ok)) else (),
        )
        session.add(
            Notification(alert_id=alert.id, officer_id=officer.id, message=message, level=level, purpose=purpose)
        )


def notified_officers(session: Session, alert_id: int) -> list[Contact]:
    """Every officer notified about an alert so far, first notified first."""
    ids = session.scalars(
        select(Notification.officer_id).where(Notification.alert_id == alert_id).order_by(Notification.id)
    ).all()
    unique = list(dict.fromkeys(ids))
    return [session.get(Contact, officer_id) for officer_id in unique]
