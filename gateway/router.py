"""What happens to an inbound message: who sent it, which conversation it belongs to, which command it is.

Order: unknown senders get one neutral answer a day; the always-available keywords (help, cancel, stop,
start) come first; then an open conversation takes the message; then commands; anything else from a
registered contact becomes an untriaged report. Everything is written in the caller's transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from bots.base import Button
from flows import catalogue, engine
from flows.definitions import ALERT_FLOW, FLOWS
from flows.keywords import Match, match_keyword
from gateway import alerts, followups
from gateway.alert_lifecycle import alert_recorded
from gateway.conversations import address_key
from gateway.db import on_commit
from gateway.escalation import commands as escalation_commands
from gateway.meetings import commands as meeting_commands
from gateway.models import Alert, AlertSource, AlertStatus, Contact, Message, MessageKind, Priority, Role
from gateway.outbox import queue_message
from gateway.runtime import Runtime
from gateway.telegram_identity import identify_telegram_user
from workers.queues import KEY_PREFIX

log = logging.getLogger(__name__)

UNKNOWN_SENDER_KEY = KEY_PREFIX + "unknown:"
UNKNOWN_SENDER_QUIET_SECONDS = 24 * 3600
ALERT_CONFIRMATION = MessageKind.ALERT_CONFIRMATION
# Extras that carry something the sender shared on purpose (not provider bookkeeping such as NumMedia).
SHARED_KEYS = frozenset({"latitude", "contact_phone"})


@dataclass
class Inbound:
    """One inbound message being handled, with what handlers need to answer it."""

    session: Session
    runtime: Runtime
    message: Message
    contact: Contact

    @property
    def text(self) -> str:
        """The message's text."""
        return (self.message.body or "").strip()

    @property
    def meta(self) -> dict:
        """The message's extras (a shared location or contact, a button's callback)."""
        return json.loads(self.message.meta) if self.message.meta else {}

    def reply(self, key: str, *, choices=(), kind: str = "reply", **params) -> Message:
        """Answer on the channel the message came from, in the contact's language; `choices` become buttons."""
        language = self.contact.language
        buttons = tuple(Button(f"{data} {catalogue.text(language, label)}", data) for label, data in choices)
        return queue_message(
            self.session,
            self.runtime,
            body=catalogue.text(language, key, **params),
            contact=self.contact,
            channel=self.message.channel,
            address=self.message.address,
            priority=Priority.URGENT,
            kind=kind,
            buttons=buttons,
        )

    def reply_text(self, body: str) -> Message:
        """Answer with a text already written in the contact's language."""
        return queue_message(
            self.session,
            self.runtime,
            body=body,
            contact=self.contact,
            channel=self.message.channel,
            address=self.message.address,
            priority=Priority.URGENT,
        )

    def send_replies(self, replies) -> None:
        """Send the engine's replies."""
        for reply in replies:
            self.reply(reply.key, choices=reply.choices, **reply.params)


def route_message(session: Session, runtime: Runtime, message: Message, contact: Contact | None) -> None:
    """Handle one stored inbound message."""
    if contact is None:
        if runtime.channels.get(message.channel) and runtime.channels[message.channel].address_kind == "telegram":
            identify_telegram_user(session, runtime, message)
        else:
            answer_unknown_sender(session, runtime, message)
        return
    if contact.telegram_unreachable and message.channel == "telegram":
        contact.telegram_unreachable = False  # they wrote to the bot, so they no longer block it
    inbound = Inbound(session, runtime, message, contact)
    match = match_keyword(inbound.text)
    if match and match.intent == "cancel" and meeting_commands.is_meeting_cancel(match):
        meeting_commands.on_cancel_meeting(inbound, match)
        return
    if match and match.intent in ALWAYS_AVAILABLE:
        ALWAYS_AVAILABLE[match.intent](inbound, match)
        return
    state = runtime.conversations.load(contact.id)
    if state is not None and state.flow in FLOWS:
        continue_flow(inbound, state)
        return
    if match and match.intent in COMMANDS:
        handler, role = COMMANDS[match.intent]
        # Staff commands are words of everyday French ("point", "fin", "ok"): from anyone else the message is
        # an answer or a report, not a refused command.
        if role is None or contact.role == role:
            handler(inbound, match)
            return
    if followups.try_answer(inbound) or meeting_commands.try_answer(inbound) or followups.try_update(inbound):
        return
    if not inbound.text:
        if SHARED_KEYS & inbound.meta.keys():
            return  # a location or contact card with no conversation to attach it to: stored, nothing to say
        inbound.reply("help")
        return
    report = alerts.create_report(session, contact, message)
    inbound.reply("report.received", ref=report.id)


def answer_unknown_sender(session: Session, runtime: Runtime, message: Message) -> None:
    """A number that is not in the directory can report (its text becomes an untriaged report staff can see)
    but commands nothing and learns nothing: at most one neutral answer a day, without any reference."""
    text = (message.body or "").strip()
    if text and not text.startswith("/"):
        alerts.create_report(session, None, message)
    key = UNKNOWN_SENDER_KEY + address_key(f"{message.channel}:{message.address}")
    if not runtime.redis.set(key, "1", nx=True, ex=UNKNOWN_SENDER_QUIET_SECONDS):
        return
    queue_message(
        session,
        runtime,
        body=catalogue.text(catalogue.DEFAULT_LANGUAGE, "unknown_sender"),
        channel=message.channel,
        address=message.address,
        kind=MessageKind.UNKNOWN_SENDER,
    )


# --- Always-available keywords ---------------------------------------------------------------------------


def on_help(inbound: Inbound, _match: Match) -> None:
    """AIDE / HELP: what you can do, in one SMS."""
    inbound.reply("help")


def on_cancel(inbound: Inbound, _match: Match) -> None:
    """ANNULER / CANCEL: leave the current conversation, keeping what was given."""
    state = inbound.runtime.conversations.load(inbound.contact.id)
    if state is None:
        inbound.reply("cancel.nothing")
        return
    clear_state(inbound)
    if state.record_id:
        inbound.reply("alert.incomplete", ref=state.record_id)
    else:
        inbound.reply("cancel.done")


def on_stop(inbound: Inbound, _match: Match) -> None:
    """STOP / ARRET: opt out of everything but answers to the contact's own messages (confirmed once)."""
    if inbound.contact.opted_out:
        return
    inbound.contact.opted_out = True
    inbound.reply("stop.done")


def on_start(inbound: Inbound, _match: Match) -> None:
    """START / DEMARRER: opt back in."""
    was_out = inbound.contact.opted_out
    inbound.contact.opted_out = False
    inbound.reply("start.done" if was_out else "help")


ALWAYS_AVAILABLE: dict[str, Callable[[Inbound, Match], None]] = {
    "help": on_help,
    "cancel": on_cancel,
    "stop": on_stop,
    "start": on_start,
}


# --- Commands ----------------------------------------------------------------------------------------------


def on_alert(inbound: Inbound, match: Match) -> None:
    """ALERTE: the guided flow, or a one-shot alert when text follows (`ALERTE 3 les jeunes…`)."""
    severity, description = alerts.parse_oneshot(match.rest)
    if description:
        alert = alerts.new_alert(
            inbound.session,
            inbound.contact,
            inbound.message.channel,
            AlertSource.ONESHOT,
            severity=severity,
            description=description,
        )
        alerts.link(inbound.message, alert)
        alert_recorded(inbound.session, inbound.runtime, alert)
        if severity is None:
            inbound.reply("alert.oneshot.unrated", ref=alert.id, kind=ALERT_CONFIRMATION)
        else:
            inbound.reply("alert.oneshot", ref=alert.id, severity=severity, kind=ALERT_CONFIRMATION)
        return
    prefilled = {"severity": str(severity)} if severity else {}
    turn = engine.start(ALERT_FLOW, prefilled, flow_context(inbound.contact))
    save_state(inbound, turn.state)
    inbound.send_replies(turn.replies)


# intent → (handler, the only role it is for, or None for everyone)
COMMANDS: dict[str, tuple[Callable[[Inbound, Match], None], str | None]] = {
    "alert": (on_alert, None),
    "acknowledge": (escalation_commands.on_acknowledge, Role.OFFICER),
    "resolve": (escalation_commands.on_resolve, Role.OFFICER),
    "false_alarm": (escalation_commands.on_false_alarm, Role.OFFICER),
    "meeting_create": (meeting_commands.on_create, Role.FACILITATOR),
    "tally": (meeting_commands.on_tally, Role.FACILITATOR),
}


# --- Conversations -----------------------------------------------------------------------------------------


def save_state(inbound: Inbound, state: engine.State) -> None:
    """Store the conversation's state once the records it points to are committed."""
    conversations, contact_id = inbound.runtime.conversations, inbound.contact.id
    on_commit(inbound.session, lambda: conversations.save(contact_id, state))


def clear_state(inbound: Inbound) -> None:
    """End the conversation once this message's records are committed."""
    conversations, contact_id = inbound.runtime.conversations, inbound.contact.id
    on_commit(inbound.session, lambda: conversations.clear(contact_id))


def flow_context(contact: Contact) -> dict:
    """Values a flow may offer as defaults."""
    return {"place": alerts.default_place(contact)}


def continue_flow(inbound: Inbound, state: engine.State) -> None:
    """Feed the message to the open conversation, keep the alert up to date, answer."""
    flow = FLOWS[state.flow]
    if "latitude" in inbound.meta:
        attach_location(inbound, state)
        return
    turn = engine.answer(flow, state, inbound.text, flow_context(inbound.contact))
    new_state = turn.state
    alert = inbound.session.get(Alert, state.record_id) if state.record_id else None
    if turn.accepted:
        if alert is None:
            alert = alerts.new_alert(
                inbound.session,
                inbound.contact,
                inbound.message.channel,
                AlertSource.GUIDED,
                status=AlertStatus.INCOMPLETE,
            )
            new_state = replace(new_state, record_id=alert.id)
        alerts.apply_answers(alert, new_state.data)
    if alert is not None:
        alerts.link(inbound.message, alert)
    if turn.outcome is engine.Outcome.WAITING:
        save_state(inbound, new_state)
        inbound.send_replies(turn.replies)
        return
    clear_state(inbound)
    if turn.outcome is engine.Outcome.COMPLETED:
        alert.status = AlertStatus.NEW
        alert_recorded(inbound.session, inbound.runtime, alert)
        inbound.reply("alert.done", ref=alert.id, kind=ALERT_CONFIRMATION)
    elif alert is not None:
        inbound.reply("alert.incomplete", ref=alert.id)
    else:
        inbound.reply("alert.abandoned")


def attach_location(inbound: Inbound, state: engine.State) -> None:
    """A location shared during the alert flow is kept with the alert; it answers the "where?" question."""
    alert = inbound.session.get(Alert, state.record_id) if state.record_id else None
    if alert is None:
        alert = alerts.new_alert(
            inbound.session, inbound.contact, inbound.message.channel, AlertSource.GUIDED, status=AlertStatus.INCOMPLETE
        )
        state = replace(state, record_id=alert.id)
    alert.latitude, alert.longitude = float(inbound.meta["latitude"]), float(inbound.meta["longitude"])
    alerts.link(inbound.message, alert)
    context = flow_context(inbound.contact)
    if state.step == "place":
        turn = engine.answer(ALERT_FLOW, state, f"GPS {alert.latitude:.5f},{alert.longitude:.5f}", context)
        state = replace(turn.state, record_id=alert.id)
        alerts.apply_answers(alert, state.data)
        save_state(inbound, state)
        inbound.send_replies(turn.replies)
        return
    save_state(inbound, state)
    inbound.reply("alert.location_saved", ref=alert.id)
    inbound.send_replies(engine.reprompt(ALERT_FLOW, state, context))
