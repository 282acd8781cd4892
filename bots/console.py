"""The console channel: outbound messages are kept in Redis for `gateway simulate` and tests, no provider needed."""

from __future__ import annotations

import json
import logging
import uuid

import redis

from bots.base import (
    AddressKind,
    Channel,
    InvalidRequest,
    OutboundMessage,
    SendOutcome,
    SendResult,
    WebhookEvents,
    WebhookRequest,
)

log = logging.getLogger(__name__)

# The console keeps the latest messages only, and not for long: it is a try-out channel, not an archive, and its
# records hold full numbers and texts.
CONSOLE_KEEP = 1000
CONSOLE_TTL_SECONDS = 24 * 3600
CONSOLE_OUTBOX_KEY = "gw:console:outbox"  # in the gateway's Redis key namespace (`gw:`)


class ConsoleChannel(Channel):
    """Keeps each outbound message in a Redis list, where the simulator and tests read it (enabled only by
    `gateway simulate` and by GATEWAY_CONSOLE_CHANNEL=1 in tests: it delivers nothing)."""

    code = "console"
    address_kind = AddressKind.PHONE
    routes = ()  # no webhook: `gateway simulate` hands its messages to the inbox itself

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection

    def verify(self, request: WebhookRequest) -> bool:
        """Never: nothing reaches the console over HTTP."""
        return False

    def parse(self, request: WebhookRequest) -> WebhookEvents:
        """Never called (nothing is verified)."""
        raise InvalidRequest("the console channel receives no webhooks")

    def send(self, message: OutboundMessage) -> SendResult:
        """Append the message to the console outbox."""
        provider_id = f"console-{uuid.uuid4().hex}"
        record = {
            "message_id": message.message_id,
            "provider_id": provider_id,
            "address": message.address,
            "text": message.text,
            "buttons": [[b.label, b.data] for b in message.buttons],
        }
        pipe = self.connection.pipeline()
        pipe.rpush(CONSOLE_OUTBOX_KEY, json.dumps(record, ensure_ascii=False))
        pipe.ltrim(CONSOLE_OUTBOX_KEY, -CONSOLE_KEEP, -1)
        pipe.expire(CONSOLE_OUTBOX_KEY, CONSOLE_TTL_SECONDS)
        pipe.execute()
        # Only the address's last two digits: console records hold full numbers, logs never do.
        log.info("console message %s kept for …%s", message.message_id, message.address[-2:])
        return SendResult(SendOutcome.SENT, provider_id=provider_id)


def read_console_outbox(connection: redis.Redis, start: int = 0) -> list[dict]:
    """The console messages from index `start` on, oldest first."""
    return [json.loads(raw) for raw in connection.lrange(CONSOLE_OUTBOX_KEY, start, -1)]
