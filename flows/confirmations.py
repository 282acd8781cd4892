"""Confirmation of damaging commands sent by SMS, where a sender number can be spoofed: the command is kept as a
pending action in the contact's conversation state (Redis, same TTL), a question goes to the contact's directory
number, and only OUI carries it out (NON cancels; anything else gets a hint). Telegram, which authenticates its
users, never asks."""

from __future__ import annotations

from collections.abc import Callable

from bots.base import AddressKind
from flows import catalogue
from flows.answers import yes_or_no
from flows.engine import State
from flows.inbound_context import Inbound
from flows.keywords import Match
from gateway.alerts.flow import clear_state, save_state
from gateway.messaging.outbox import queue_message
from gateway.models import Priority

FLOW = "confirm"  # the conversation state's flow name; never one of flows.definitions.FLOWS

Action = Callable[[Inbound, dict], None]


def by_sms(inbound: Inbound) -> bool:
    """True when the message came on a channel addressed by phone number (Twilio, Android, console)."""
    adapter = inbound.runtime.channels.get(inbound.message.channel)
    if adapter is None:  # a channel this process does not run: only Telegram proves who is writing
        return inbound.message.channel != "telegram"
    return adapter.address_kind == AddressKind.PHONE


def ask(inbound: Inbound, action: str, data: dict, question: str, **params) -> None:
    """Keep `action` (with its JSON-ready `data`) pending and ask the contact's directory number to confirm it."""
    save_state(inbound, State(FLOW, action, dict(data)))
    contact = inbound.contact
    queue_message(
        inbound.session,
        inbound.runtime,
        body=catalogue.text(contact.language, question, **params),
        contact=contact,
        channel=inbound.message.channel,
        address=contact.phone,  # the number in the directory, whatever the message claimed
        priority=Priority.URGENT,
    )


def is_pending(state: State | None) -> bool:
    """True when the contact's conversation is a question waiting for OUI or NON."""
    return state is not None and state.flow == FLOW


def takes(inbound: Inbound, match: Match | None, is_command: bool) -> bool:
    """Whether the pending question takes this message. A new command (`OK 150`, `FAUX 143`) replaces the
    question instead: taking an alert must never wait for an answer about another one."""
    if not is_command:
        return True
    return yes_or_no(inbound.text) is not None and match is not None and not match.rest  # a bare "OK" is a yes


def drop(inbound: Inbound) -> None:
    """Forget the pending question (a new command replaced it)."""
    clear_state(inbound)


def answer(inbound: Inbound, state: State, actions: dict[str, Action]) -> None:
    """OUI: carry out the pending action; NON: cancel it; anything else: a hint, the question stays."""
    yes = yes_or_no(inbound.text)
    if yes is None:
        inbound.reply("confirm.hint")
        return
    clear_state(inbound)
    if not yes:
        inbound.reply("confirm.cancelled")
        return
    action = actions.get(state.step or "")
    if action is None:  # a question left by another version of the gateway: nothing to carry out
        inbound.reply("confirm.cancelled")
        return
    action(inbound, state.data)
