"""`gateway simulate PHONE`: chat in the terminal as a directory contact, through the real pipeline."""

from __future__ import annotations

import uuid

import click
from sqlalchemy import select

from bots.base import InboundMessage
from bots.console import ConsoleChannel, read_console_outbox
from gateway.cli import cli_settings, open_database
from gateway.cli.output import say
from gateway.core import audit
from gateway.core.privacy import mask_address
from gateway.core.runtime import build_runtime, set_process_runtime
from gateway.directory.phones import InvalidPhone, to_e164
from gateway.messaging.inbox import find_contact, receive
from gateway.models import Direction, Message, MessageStatus
from workers.outbound import send_message


@click.command()
@click.argument("phone")
def simulate(phone: str) -> None:
    """Chat as the directory contact PHONE; every message goes through the console channel, no provider."""
    try:
        address = to_e164(phone)
    except InvalidPhone as exc:
        raise click.ClickException(f"{phone!r}: {exc}") from None
    settings = cli_settings()
    open_database(settings)
    runtime = build_runtime(settings)
    # Only the console: nothing typed here may reach a real provider.
    runtime.channels = {"console": ConsoleChannel(runtime.redis)}
    set_process_runtime(runtime)
    try:
        with runtime.db.transaction() as session:
            contact = find_contact(session, "phone", address)
            if contact is None:
                raise click.ClickException(f"{mask_address(address)} is not an active contact of the directory")
            # What follows is stored as written by this contact (messages, maybe alerts): on record who typed it.
            audit.record(session, audit.cli_actor(), "simulate", f"contact #{contact.id}", mask_address(address))
            say(f"chatting as {contact.name} ({contact.role}, {contact.language}); Ctrl-D to leave")
        _chat(runtime, address)
    finally:
        runtime.close()


def _chat(runtime, address: str) -> None:
    seen = runtime.redis.llen("gw:console:outbox")
    while True:
        try:
            line = input("> ")
        except EOFError:
            click.echo()
            return
        if not line.strip():
            continue
        receive(runtime, InboundMessage("console", f"sim-{uuid.uuid4().hex}", address, line))
        with runtime.db.transaction() as session:
            pending = session.scalars(
                select(Message.id).where(
                    Message.direction == Direction.OUT,
                    Message.channel == "console",
                    Message.status == MessageStatus.QUEUED,
                )
            ).all()
        for message_id in pending:
            send_message(message_id)  # the worker's own job; a running worker may have taken some already
        for record in read_console_outbox(runtime.redis, seen):
            prefix = "" if record["address"] == address else f"[to {mask_address(record['address'])}] "
            say(f"< {prefix}{record['text']}")
        seen = runtime.redis.llen("gw:console:outbox")
