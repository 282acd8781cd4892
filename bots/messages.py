"""The channel-neutral objects a channel adapter trades in with the gateway: messages in and out, their files and
buttons, the outcome of a send or a download, delivery reports, and the checks on what providers send."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

MAX_ID = 2**63 - 1  # the largest id the database's BIGINT holds (provider ids)
MAX_ROW_ID = 2**31 - 1  # the largest id of our own rows (INTEGER primary keys)


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
