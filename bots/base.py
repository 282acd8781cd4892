"""The one small interface every channel adapter implements, the webhook objects it handles, and (re-exported from
bots/messages.py) the boundary objects it trades in.

An adapter knows its provider and nothing else. Inbound, it names its webhook routes, verifies a request
(signature, secret token, HMAC) and parses it into `InboundMessage`s and `StatusUpdate`s; outbound, it turns an
`OutboundMessage` into a provider call and the provider's statuses and error codes into ours. It receives its
settings as arguments (a frozen config dataclass of its own) and imports nothing from the gateway.
To add a channel: write one module with a `Channel` subclass, its fixtures and tests beside the others in
tests/bots/, and add one line to the gateway's registry (`gateway.messaging.channels`).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# The boundary objects live in bots/messages.py; every channel and the gateway import them from here.
from bots.messages import (
    MAX_ID,
    MAX_ROW_ID,
    AddressKind,
    Button,
    ButtonKind,
    Document,
    InboundMessage,
    MediaDownload,
    MediaKind,
    MediaRef,
    OutboundMessage,
    SendOutcome,
    SendResult,
    StatusUpdate,
    clean_text,
    kind_of,
    valid_id,
)

__all__ = [
    "MAX_ID",
    "MAX_ROW_ID",
    "TOO_DEEP",
    "AddressKind",
    "Button",
    "ButtonKind",
    "Channel",
    "Document",
    "InboundMessage",
    "InvalidRequest",
    "MediaDownload",
    "MediaKind",
    "MediaRef",
    "OutboundMessage",
    "Route",
    "SendOutcome",
    "SendResult",
    "StatusUpdate",
    "WebhookAnswer",
    "WebhookEvents",
    "WebhookRequest",
    "clean_text",
    "kind_of",
    "read_json",
    "valid_id",
]

TOO_DEEP = "malformed JSON: nested too deeply"


# --- inbound: webhook requests -------------------------------------------------------------------------------


class InvalidRequest(ValueError):
    """A verified webhook request that cannot be used; the message says why (answered with a 400)."""


@dataclass(frozen=True)
class Route:
    """One webhook URL a channel receives on; `name` tells the channel's parser what arrives there."""

    path: str
    name: str
    max_body_bytes: int | None = None  # a larger body than the web's default cap (files sent inline)


@dataclass(frozen=True)
class WebhookRequest:
    """A provider's HTTP request as a channel sees it, without the web framework. The body and the form are read
    on first use only: a request refused on its headers is never read (its body may be broken or endless)."""

    route: Route
    url: str | None  # the URL as this server saw it; None when the Host or forwarded headers make no URL
    path_and_query: str | None  # the path with the raw (still percent-encoded) query, as providers sign it
    headers: Mapping[str, str]  # case-insensitive
    args: Mapping[str, str]  # the query's fields
    mimetype: str = ""
    read_body: Callable[[], bytes] = field(default=bytes, repr=False, compare=False)
    read_form: Callable[[], Mapping[str, str]] = field(default=dict, repr=False, compare=False)
    # Read once, kept here. Not functools.cached_property: before Python 3.12 it holds one lock for every instance,
    # so a thread blocked reading a slow client's body would make every other webhook wait (fault case 8).
    _read: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def body(self) -> bytes:
        """The raw body, exactly as signed."""
        if "body" not in self._read:
            self._read["body"] = self.read_body()
        return self._read["body"]

    @property
    def form(self) -> Mapping[str, str]:
        """The urlencoded fields, in the order sent (empty for other bodies)."""
        if "form" not in self._read:
            self._read["form"] = self.read_form()
        return self._read["form"]


@dataclass(frozen=True)
class WebhookEvents:
    """What one verified request carried: messages from people, delivery reports, or nothing we use."""

    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    event: str = ""  # the provider's name for what happened, when its answer echoes it


@dataclass(frozen=True)
class WebhookAnswer:
    """What the webhook answers the provider once the events are stored: JSON when `json` is set, else `body`."""

    status: int = 200
    json: Mapping[str, object] | None = None
    body: str = ""
    mimetype: str = "text/plain"


def read_json(body: bytes, malformed: str) -> object:
    """A JSON body decoded; InvalidRequest(`malformed`) when it is not JSON, or nested too deeply to read."""
    try:
        return json.loads(body)
    except RecursionError:  # thousands of nested brackets exhaust the parser's stack: bad input, not a crash
        raise InvalidRequest(TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest(malformed) from None


# --- the contract ------------------------------------------------------------------------------------------


class Channel(ABC):
    """A provider channel: inbound (`routes`, `verify`, `parse`, `answer`) and outbound (`send`, statuses and
    error codes). Subclasses set `code` and `address_kind` and implement `verify`, `parse` and `send`."""

    code: str
    address_kind: AddressKind
    # Provider status names mapped to ours (data, not code); empty for channels without delivery reports.
    status_map: Mapping[str, str] = {}
    # The webhook URLs the gateway serves for this channel (empty: the channel receives no webhooks).
    routes: tuple[Route, ...] = ()
    # Why a request that fails `verify` is refused (the 403's reason).
    refusal: str = "request not verified"

    # --- inbound -----------------------------------------------------------------------------------------

    @abstractmethod
    def verify(self, request: WebhookRequest) -> bool:
        """True when the request really comes from the provider (signature, secret token or HMAC). Must not raise."""

    @abstractmethod
    def parse(self, request: WebhookRequest) -> WebhookEvents:
        """The messages and delivery reports of a verified request; raises InvalidRequest with the reason."""

    def answer(self, request: WebhookRequest, events: WebhookEvents) -> WebhookAnswer:
        """What the provider gets back once the events are stored (by default a 200 `{"ok": true}`)."""
        return WebhookAnswer(json={"ok": True})

    # --- outbound ----------------------------------------------------------------------------------------

    @abstractmethod
    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one message; called by a worker, never by the web process. Must not raise for provider errors."""

    def delete(self, address: str, message_id: int) -> SendResult:
        """Delete a message from a chat (discreet contacts): SENT when deleted, FAILED when it cannot be (gone, too
        old), RETRY on a transient error. Channels that cannot delete (SMS) say so. Must not raise."""
        return SendResult(SendOutcome.FAILED, error_code="delete:not_supported")

    def fetch_media(self, ref: str, max_bytes: int) -> MediaDownload:
        """Download a file a person sent (`MediaRef.ref`), at most `max_bytes`; called by a worker, never by the web
        process. Channels whose files come inline, or that carry none, say so. Must not raise."""
        return MediaDownload(error="fetch:not_supported")

    def status_callback_url(self, message_id: int) -> str | None:
        """Where the provider should report delivery of this message, if the channel has delivery reports."""
        return None

    def map_status(self, provider_status: str) -> str | None:
        """Our status for a provider's status name, or None when it is not one we track."""
        return self.status_map.get(provider_status)

    def error_outcome(self, code: str | None) -> str | None:
        """What a provider error code means for us: `unreachable`, `failed`, `retry`, or None if unknown."""
        return None

    def describe(self) -> str:
        """A one-line description for `gateway run`, without any secret."""
        return self.code
