"""What happens to an inbound message: who sent it, which conversation it belongs to, which command it is.

Order: unknown senders get one neutral answer a day; the always-available keywords (help, cancel, stop,
start, and the whole-message settings DISCRET / DISCRET NON) come first; then a pending confirmation (OUI/NON to
a damaging command sent by SMS) unless a new command replaces it; then an open conversation takes the message; then
commands; anything else from a registered contact becomes an untriaged report. Everything is written in the
caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from flows import catalogue
from flows.definitions import FLOWS
from flows.keywords import Match, match_exact, match_keyword
from gateway import alert_flow, confirmations, discreet, followups, loop_guard, staff_opt_out
from gateway.conversations import address_key
from gateway.escalation import commands as escalation_commands
from gateway.inbound_context import Inbound
from gateway.loop_guard import LoopCheck
from gateway.meetings import commands as meeting_commands
from gateway.models import Contact, Message, MessageKind, Priority, Role
from gateway.outbox import queue_message
from gateway.runtime import Runtime
from gateway.telegram_identity import identify_telegram_user
from workers.queues import KEY_PREFIX

log = logging.getLogger(__name__)

UNKNOWN_SENDER_KEY = KEY_PREFIX + "unknown:"
UNKNOWN_SENDER_QUIET_SECONDS = 24 * 3600
# Extras that carry something the sender shared on purpose (not provider bookkeeping such as NumMedia).
SHARED_KEYS = frozenset({"latitude", "contact_phone"})


def route_message(session: Session, runtime: Runtime, message: Message, contact: Contact | None) -> None:
    """Handle one stored inbound message (a sender caught in a machine loop is handled, never answered)."""
    check = loop_guard.observe(runtime, message)
    _route(session, runtime, message, contact, check)
    if check.new_episode:
        loop_guard.tell_desk(session, runtime, message, contact)


def _route(session: Session, runtime: Runtime, message: Message, contact: Contact | None, check: LoopCheck) -> None:
    if contact is None:
        if runtime.channels.get(message.channel) and runtime.channels[message.channel].address_kind == "telegram":
            identify_telegram_user(session, runtime, message, check)
        else:
            answer_unknown_sender(session, runtime, message, check)
        return
    if contact.telegram_unreachable and message.channel == "telegram":
        contact.telegram_unreachable = False  # they wrote to the bot, so they no longer block it
    inbound = Inbound(session, runtime, message, contact, muted=check.muted)
    setting = match_exact(inbound.text)
    if setting is not None and setting.intent in ALWAYS_AVAILABLE:
        ALWAYS_AVAILABLE[setting.intent](inbound, setting)
        return
    match = match_keyword(inbound.text)
    if match and match.intent == "cancel" and meeting_commands.is_meeting_cancel(match):
        meeting_commands.on_cancel_meeting(inbound, match)
        return
    if match and match.intent in ALWAYS_AVAILABLE:
        ALWAYS_AVAILABLE[match.intent](inbound, match)
        return
    state = runtime.conversations.load(contact.id)
    if confirmations.is_pending(state):
        if confirmations.takes(inbound, match, _is_command(match, contact)):
            confirmations.answer(inbound, state, CONFIRMED)
            return
        confirmations.drop(inbound)
    if state is not None and state.flow in FLOWS:
        alert_flow.continue_flow(inbound, state)
        return
    # Staff commands are words of everyday French ("point", "fin", "ok"): from anyone else the message is an
    # answer or a report, not a refused command.
    if _is_command(match, contact):
        COMMANDS[match.intent][0](inbound, match)
        return
    if followups.try_answer(inbound) or meeting_commands.try_answer(inbound) or followups.try_update(inbound):
        return
    if not inbound.text:
        if SHARED_KEYS & inbound.meta.keys():
            return  # a location or contact card with no conversation to attach it to: stored, nothing to say
        inbound.reply("help")
        return
    report = loop_guard.report(session, contact, message, check)
    inbound.reply("report.received", ref=report.id)


def answer_unknown_sender(session: Session, runtime: Runtime, message: Message, check: LoopCheck) -> None:
    """A number that is not in the directory can report (its text becomes an untriaged report staff can see)
    but commands nothing and learns nothing: at most one neutral answer a day, without any reference, on the
    bulk queue (a stranger's flood never delays an alert), and none while it loops."""
    text = (message.body or "").strip()
    if text and not text.startswith("/"):
        loop_guard.report(session, None, message, check)
    if check.muted:
        return
    key = UNKNOWN_SENDER_KEY + address_key(f"{message.channel}:{message.address}")
    if not runtime.redis.set(key, "1", nx=True, ex=UNKNOWN_SENDER_QUIET_SECONDS):
        return
    queue_message(
        session,
        runtime,
        body=catalogue.text(catalogue.DEFAULT_LANGUAGE, "unknown_sender"),
        channel=message.channel,
        address=message.address,
        priority=Priority.BULK,
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
    alert_flow.clear_state(inbound)
    if state.record_id:
        inbound.reply("alert.incomplete", ref=state.record_id)
    else:
        inbound.reply("cancel.done")


def on_stop(inbound: Inbound, _match: Match) -> None:
    """STOP / ARRET: opt out of everything but answers to the contact's own messages (confirmed once). Staff stay
    paged for alerts until replaced, and whoever can replace them is told."""
    if inbound.contact.opted_out:
        return
    inbound.contact.opted_out = True
    inbound.reply(staff_opt_out.reply_key(inbound.contact))
    staff_opt_out.tell_coordinators(inbound)


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
    "discreet_on": discreet.on_setting,
    "discreet_off": discreet.on_setting,
}


# --- Commands ----------------------------------------------------------------------------------------------


COMMANDS: dict[str, tuple[Callable[[Inbound, Match], None], str | None]] = {
    "alert": (alert_flow.on_alert, None),
    "acknowledge": (escalation_commands.on_acknowledge, Role.OFFICER),
    "resolve": (escalation_commands.on_resolve, Role.OFFICER),
    "false_alarm": (escalation_commands.on_false_alarm, Role.OFFICER),
    "meeting_create": (meeting_commands.on_create, Role.FACILITATOR),
    "tally": (meeting_commands.on_tally, Role.FACILITATOR),
}

# What a confirmed question carries out (`gateway.confirmations`): action → handler of its data.
CONFIRMED: dict[str, confirmations.Action] = {
    "close_alert": escalation_commands.confirmed_close,
    "meeting_create": meeting_commands.confirmed_create,
}


def _is_command(match: Match | None, contact: Contact) -> bool:
    """True when the message is a command this contact may give."""
    if match is None or match.intent not in COMMANDS:
        return False
    role = COMMANDS[match.intent][1]
    return role is None or contact.role == role


# --- Conversations -----------------------------------------------------------------------------------------
