"""The alert conversation: `ALERTE` (guided, step by step) or `ALERTE 3 <text>` (one message), the alert kept
up to date at each answer (so an abandoned conversation still leaves an incomplete alert), shared locations."""

from __future__ import annotations

from dataclasses import replace

from flows import engine
from flows.definitions import ALERT_FLOW, FLOWS
from flows.inbound_context import Inbound
from flows.keywords import Match
from gateway.alerts import merge, records
from gateway.alerts.lifecycle import alert_recorded
from gateway.core.db import on_commit
from gateway.models import Alert, AlertSource, AlertStatus, Contact, MessageKind

ALERT_CONFIRMATION = MessageKind.ALERT_CONFIRMATION


def on_alert(inbound: Inbound, match: Match) -> None:
    """ALERTE: the guided flow, or a one-shot alert when text follows (`ALERTE 3 les jeunes…`)."""
    severity, description = records.parse_oneshot(match.rest)
    if description:
        same = merge.open_match(
            inbound.session, inbound.runtime, inbound.contact, records.default_place(inbound.contact)
        )
        if same is not None:
            merge.merge(inbound.session, inbound.runtime, same, inbound.message, description, severity)
            inbound.reply("alert.merged", ref=same.id, kind=ALERT_CONFIRMATION)
            return
        alert = records.new_alert(
            inbound.session,
            inbound.contact,
            inbound.message.channel,
            AlertSource.ONESHOT,
            severity=severity,
            description=description,
        )
        records.link(inbound.message, alert)
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
    return {"place": records.default_place(contact)}


def continue_flow(inbound: Inbound, state: engine.State) -> None:
    """Feed the message to the open conversation, keep the alert up to date, answer."""
    flow = FLOWS[state.flow]
    if "latitude" in inbound.meta:
        attach_location(inbound, state)
        return
    if "media" in inbound.meta and not inbound.text:
        attach_media(inbound, state)
        return
    turn = engine.answer(flow, state, inbound.text, flow_context(inbound.contact))
    new_state = turn.state
    alert = inbound.session.get(Alert, state.record_id) if state.record_id else None
    if turn.accepted:
        if alert is None:
            alert = records.new_alert(
                inbound.session,
                inbound.contact,
                inbound.message.channel,
                AlertSource.GUIDED,
                status=AlertStatus.INCOMPLETE,
            )
            new_state = replace(new_state, record_id=alert.id)
        records.apply_answers(alert, new_state.data)
    if alert is not None:
        records.link(inbound.message, alert)
    if turn.outcome is engine.Outcome.WAITING:
        save_state(inbound, new_state)
        inbound.send_replies(turn.replies)
        return
    clear_state(inbound)
    if turn.outcome is engine.Outcome.COMPLETED:
        same = merge.open_match(inbound.session, inbound.runtime, inbound.contact, alert.place, exclude=alert.id)
        if same is not None:
            merge.absorb(inbound.session, inbound.runtime, alert, same, inbound.message)
            inbound.reply("alert.merged", ref=same.id, kind=ALERT_CONFIRMATION)
            return
        alert.status = AlertStatus.NEW
        alert_recorded(inbound.session, inbound.runtime, alert)
        inbound.reply("alert.done", ref=alert.id, kind=ALERT_CONFIRMATION)
    elif alert is not None:
        inbound.reply("alert.incomplete", ref=alert.id)
    else:
        inbound.reply("alert.abandoned")


def attach_media(inbound: Inbound, state: engine.State) -> None:
    """A photo or voice note without text during the alert flow joins the alert being written; the question
    asked is asked again."""
    alert = inbound.session.get(Alert, state.record_id) if state.record_id else None
    if alert is None:
        alert = records.new_alert(
            inbound.session, inbound.contact, inbound.message.channel, AlertSource.GUIDED, status=AlertStatus.INCOMPLETE
        )
        state = replace(state, record_id=alert.id)
    records.link(inbound.message, alert)
    save_state(inbound, state)
    inbound.reply("alert.media_saved", ref=alert.id)
    inbound.send_replies(engine.reprompt(ALERT_FLOW, state, flow_context(inbound.contact)))


def attach_location(inbound: Inbound, state: engine.State) -> None:
    """A location shared during the alert flow is kept with the alert; it answers the "where?" question."""
    alert = inbound.session.get(Alert, state.record_id) if state.record_id else None
    if alert is None:
        alert = records.new_alert(
            inbound.session, inbound.contact, inbound.message.channel, AlertSource.GUIDED, status=AlertStatus.INCOMPLETE
        )
        state = replace(state, record_id=alert.id)
    alert.latitude, alert.longitude = float(inbound.meta["latitude"]), float(inbound.meta["longitude"])
    records.link(inbound.message, alert)
    context = flow_context(inbound.contact)
    if state.step == "place":
        turn = engine.answer(ALERT_FLOW, state, f"GPS {alert.latitude:.5f},{alert.longitude:.5f}", context)
        state = replace(turn.state, record_id=alert.id)
        records.apply_answers(alert, state.data)
        save_state(inbound, state)
        inbound.send_replies(turn.replies)
        return
    save_state(inbound, state)
    inbound.reply("alert.location_saved", ref=alert.id)
    inbound.send_replies(engine.reprompt(ALERT_FLOW, state, context))
