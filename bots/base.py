"""The one small interface every channel adapter implements, and the boundary objects it trades in.

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
from datetime import datetime
from enum import StrEnum

MAX_ID = 2**63 - 1  # the largest id the database's BIGINT holds (provider ids)
MAX_ROW_ID = 2**31 - 1  # the largest id of our own rows (INTEGER primary keys)
TOO_DEEP = "malformed JSON: nested too deeply"


def clean_text(text: object) -> str:
    """Text a provider sent, made safe to store: lone surrogates replaced, NUL characters removed."""
    return str(text or "").encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def valid_id(value: object) -> bool:
    """True for an integer id the database can hold (providers' JSON may carry anything)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


class AddressKind(StrEnum):
    """How a channel addresses people."""

    PHONE = "phone"  # E.164 number
    TELEGRAM = "telegram"  # Telegram user/chat id


class MediaKind(StrEnum):
    """What kind of file or shared thing a person sent with (or as) a message."""

    PHOTO = "photo"
    VOICE = "voice"  # a voice note recorded in the app
    AUDIO = "audio"
    VIDEO = "video"
    VIDEO_NOTE = "video_note"  # Telegram's round video message
    DOCUMENT = "document"
    DATA = "data"  # a binary SMS (`sms:data-received`): bytes kept, never interpreted


def kind_of(content_type: str) -> str:
    """The media kind a declared content type suggests (MMS and the phone name types, not kinds)."""
    major = content_type.partition("/")[0].lower()
    return {"image": MediaKind.PHOTO, "audio": MediaKind.AUDIO, "video": MediaKind.VIDEO}.get(major, MediaKind.DOCUMENT)


@dataclass(frozen=True)
class MediaRef:
    """A file that came with an inbound message: where the provider keeps it (`ref`: a Telegram file_id, a Twilio
    media URL) or, for a phone that sends it inline, its bytes as base64 (`data`). The declared type and size are
    the provider's word only: the gateway checks the bytes themselves once it has them."""

    kind: str  # a MediaKind
    ref: str = ""
    declared_type: str = ""
    declared_size: int | None = None
    data: str | None = field(default=None, repr=False)  # base64; JSON-ready so the spool can keep it

    @classmethod
    def from_dict(cls, raw: Mapping) -> MediaRef:
        """Rebuild from `dataclasses.asdict` (the spool's records)."""
        return cls(**{k: raw[k] for k in ("kind", "ref", "declared_type", "declared_size", "data") if k in raw})


@dataclass(frozen=True)
class InboundMessage:
    """A message from a person, channel-neutral, as the flows see it."""

    channel: str
    provider_id: str
    address: str  # E.164 phone, or Telegram user id as text
    text: str
    received_at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. a shared location, a button's data
    callback_id: str | None = None  # a pressed button the provider waits to see answered (Telegram callback query)
    media: tuple[MediaRef, ...] = ()  # files that came with it (a photo, a voice note…), fetched later by a job
    media_group: str | None = None  # an album's id (Telegram `media_group_id`): its items make one report


class ButtonKind(StrEnum):
    """What pressing a button does."""

    REPLY = "reply"  # sends `data` back as if typed
    SHARE_PHONE = "share_phone"  # asks the app to share the user's own phone number


@dataclass(frozen=True)
class Button:
    """A reply choice a channel may render (Telegram keyboards); SMS shows the text's own numbering instead."""

    label: str
    data: str
    kind: ButtonKind = ButtonKind.REPLY

    def to_list(self) -> list[str]:
        """JSON-ready form, as stored on the outbox row."""
        return [self.label, self.data, self.kind.value]

    @classmethod
    def from_list(cls, raw: list[str]) -> Button:
        """Rebuild from `to_list`."""
        return cls(raw[0], raw[1], ButtonKind(raw[2]) if len(raw) > 2 else ButtonKind.REPLY)


@dataclass(frozen=True)
class Document:
    """A file sent with a message (the weekly bulletin's PDF): a channel that carries files sends it with the text as
    its caption; the others send the text alone."""

    path: str  # a file on this machine, readable by the worker
    filename: str  # the name the reader sees


@dataclass(frozen=True)
class OutboundMessage:
    """What a worker asks a channel to deliver."""

    message_id: int
    address: str
    text: str
    buttons: tuple[Button, ...] = ()
    status_callback_url: str | None = None
    resend: int = 0  # how many times the provider accepted it but then reported it could not deliver it
    document: Document | None = None


class SendOutcome(StrEnum):
    """What became of one attempt at sending."""

    SENT = "sent"  # accepted by the provider
    RETRY = "retry"  # transient failure: timeout, 5xx, 429; try again later
    FAILED = "failed"  # permanent for this message (e.g. invalid number)
    UNREACHABLE = "unreachable"  # permanent for this contact on this channel (unsubscribed, bot blocked)


@dataclass(frozen=True)
class SendResult:
    """The outcome of one send attempt, with the provider's id or error code."""

    outcome: SendOutcome
    provider_id: str | None = None
    error_code: str | None = None
    retry_after: float | None = None  # seconds the provider asked us to wait
    provider_down: bool = False  # we could not reach the provider at all: wait for it, never give up


@dataclass(frozen=True)
class MediaDownload:
    """What became of fetching one file from a provider: its bytes, or why not (and whether to try again)."""

    content: bytes | None = None
    error: str | None = None  # e.g. `too_large`, `gone`, `telegram:NetworkError`
    retry: bool = False  # transient: try again later


@dataclass(frozen=True)
class StatusUpdate:
    """A provider's delivery report about one of our outbound messages."""

    channel: str
    provider_id: str | None
    message_id: int | None
    status: str  # one of gateway.models.MessageStatus
    error_code: str | None = None


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
