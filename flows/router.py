"""What happens to an inbound message: who sent it, which conversation it belongs to, which command it is.

Unknown senders get one neutral answer a day (`flows.unknown_sender`) or, on Telegram, are asked who they are. A
registered contact's message is tried against `OPEN_QUESTIONS`, one ordered table at the end of this module: the
whole-message settings and always-available keywords first, then a pending confirmation, the alert conversation,
commands, answers to the pulse, follow-ups and meetings, and last an untriaged report. Everything is written in the
caller's transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cached_property

from sqlalchemy.orm import Session

from flows import confirmations
from flows.definitions import FLOWS
from flows.engine import State
from flows.inbound_context import Inbound
from flows.keywords import Match, match_exact, match_keyword
from flows.language_choice import match_language, on_language
from flows.unknown_sender import answer_unknown_sender
from gateway.alerts import flow as alert_flow
from gateway.alerts import followups
from gateway.core.runtime import Runtime
from gateway.directory import discreet
from gateway.directory.telegram_identity import identify_telegram_user
from gateway.escalation import commands as escalation_commands
from gateway.escalation import staff_opt_out
from gateway.meetings import commands as meeting_commands
from gateway.messaging import loop_guard
from gateway.messaging.loop_guard import LoopCheck
from gateway.models import Contact, Message, Role
from gateway.pulse import answers as pulse_answers

log = logging.getLogger(__name__)

# Extras that make an empty message something to keep as a report: a file (photo, voice note…) or a place.
KEPT_KEYS = frozenset({"media", "latitude"})
# Extras of provider notices that no person wrote (a binary SMS, an MMS the phone has not downloaded yet): stored,
# shown in the message log, never answered.
NOTICE_KEYS = frozenset({"data_sms", "mms_notice"})


def route_message(session: Session, runtime: Runtime, message: Message, contact: Contact | None) -> None:
    """Handle one stored inbound message (a sender caught in a machine loop is handled, never answered)."""
    check = loop_guard.observe(runtime, message)
    _route(session, runtime, message, contact, check)
    if check.new_episode:
        loop_guard.tell_desk(session, runtime, message, contact)


def _route(session: Session, runtime: Runtime, message: Message, contact: Contact | None, check: LoopCheck) -> None:
    if message.meta and NOTICE_KEYS & json.loads(message.meta).keys():
        return  # a binary SMS or an MMS notice: kept with the message, nothing to answer, whoever sent it
    if contact is None:
        if runtime.channels.get(message.channel) and runtime.channels[message.channel].address_kind == "telegram":
            identify_telegram_user(session, runtime, message, check)
        else:
            answer_unknown_sender(session, runtime, message, check)
        return
    if contact.telegram_unreachable and message.channel == "telegram":
        contact.telegram_unreachable = False  # they wrote to the bot, so they no longer block it
    turn = Turn(Inbound(session, runtime, message, contact, muted=check.muted), check)
    for _name, takes_it in OPEN_QUESTIONS:
        if takes_it(turn):
            return


class Turn:
    """One inbound message on its way through `OPEN_QUESTIONS`: what each step looks at, computed once."""

    def __init__(self, inbound: Inbound, check: LoopCheck) -> None:
        self.inbound, self.check = inbound, check
        self.setting = match_exact(inbound.text) or match_language(inbound.text)
        self.match = match_keyword(inbound.text)

    @cached_property
    def state(self) -> State | None:
        """The sender's open conversation (loaded only once a step needs it)."""
        return self.inbound.runtime.conversations.load(self.inbound.contact.id)

    @cached_property
    def is_command(self) -> bool:
        """True when the message is a command this contact may give."""
        return _is_command(self.match, self.inbound.contact)


def _whole_message_setting(turn: Turn) -> bool:
    """STOP, START, DISCRET, LANGUE BM… spelt exactly as the whole message."""
    if turn.setting is None or turn.setting.intent not in ALWAYS_AVAILABLE:
        return False
    ALWAYS_AVAILABLE[turn.setting.intent](turn.inbound, turn.setting)
    return True


def _meeting_cancel(turn: Turn) -> bool:
    """ANNULER REUNION 12: a facilitator's command, not the always-available ANNULER."""
    if not (turn.match and turn.match.intent == "cancel" and meeting_commands.is_meeting_cancel(turn.match)):
        return False
    meeting_commands.on_cancel_meeting(turn.inbound, turn.match)
    return True


def _always_available(turn: Turn) -> bool:
    """AIDE, ANNULER and the other keywords that work in any conversation."""
    if not (turn.match and turn.match.intent in ALWAYS_AVAILABLE):
        return False
    ALWAYS_AVAILABLE[turn.match.intent](turn.inbound, turn.match)
    return True


def _pending_confirmation(turn: Turn) -> bool:
    """OUI/NON to a damaging command sent by SMS; any other message drops the question (a new command replaces
    it, other text gets a hint) and goes on down the table."""
    if not confirmations.is_pending(turn.state):
        return False
    if confirmations.takes(turn.inbound, turn.match, turn.is_command):
        confirmations.answer(turn.inbound, turn.state, CONFIRMED)
        return True
    confirmations.drop(turn.inbound)
    return False


def _alert_flow(turn: Turn) -> bool:
    """The next answer of a guided report (where, what, how serious, description)."""
    if turn.state is None or turn.state.flow not in FLOWS:
        return False
    alert_flow.continue_flow(turn.inbound, turn.state)
    return True


def _staff_command(turn: Turn) -> bool:
    """ALERTE, or a command of the sender's role. Staff commands are words of everyday French ("point", "fin",
    "ok"): from anyone else the message is an answer or a report, not a refused command."""
    if not turn.is_command:
        return False
    COMMANDS[turn.match.intent][0](turn.inbound, turn.match)
    return True


def _nothing_to_say(turn: Turn) -> bool:
    """No text: a file or a place goes on to be a report; anything else empty (a sticker, dice, a contact card)
    gets the help."""
    if turn.inbound.text or KEPT_KEYS & turn.inbound.meta.keys():
        return False
    turn.inbound.reply("help")
    return True


def _report(turn: Turn) -> bool:
    """Anything else from a registered contact is an untriaged report, never dropped (a shared place is its
    location; a photo or voice note its media)."""
    inbound = turn.inbound
    report = loop_guard.report(inbound.session, inbound.contact, inbound.message, turn.check)
    meta = inbound.meta
    if "latitude" in meta and report.latitude is None:
        report.latitude, report.longitude = float(meta["latitude"]), float(meta["longitude"])
        if meta.get("venue") and not report.description:
            report.description = meta["venue"]
    inbound.reply("report.received", ref=report.id)
    return True


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
    if inbound.message.channel != "telegram" and inbound.contact.sms_unreachable:
        # START by SMS also lifts the provider's block (Twilio resubscribes a number that sends START): SMS resume.
        inbound.contact.sms_unreachable, inbound.contact.sms_unreachable_reason = False, None
        was_out = True
    inbound.reply("start.done" if was_out else "help")


ALWAYS_AVAILABLE: dict[str, Callable[[Inbound, Match], None]] = {
    "help": on_help,
    "cancel": on_cancel,
    "stop": on_stop,
    "start": on_start,
    "discreet_on": discreet.on_setting,
    "discreet_off": discreet.on_setting,
    "language": on_language,
    "language_choices": on_language,
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

# What a confirmed question carries out (`flows.confirmations`): action → handler of its data.
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


# --- The order in which a registered contact's message is tried: the first step that takes it ends the turn ----

OPEN_QUESTIONS: tuple[tuple[str, Callable[[Turn], bool]], ...] = (
    ("whole-message setting", _whole_message_setting),
    ("meeting cancel", _meeting_cancel),
    ("always-available keyword", _always_available),
    ("pending confirmation", _pending_confirmation),
    ("alert flow", _alert_flow),
    ("staff command", _staff_command),
    # Before the follow-up and meeting answers: "1 1 3" would read as their 1; a lone digit goes to the latest question.
    ("pulse answer", lambda turn: pulse_answers.try_answer(turn.inbound)),
    ("follow-up answer", lambda turn: followups.try_answer(turn.inbound)),
    ("meeting answer", lambda turn: meeting_commands.try_answer(turn.inbound)),
    ("follow-up update", lambda turn: followups.try_update(turn.inbound)),
    ("nothing to say", _nothing_to_say),
    ("report", _report),
)
