"""Telegram: updates in (`/webhooks/telegram` with a secret token, or long polling), Bot API calls out through
python-telegram-bot's `Bot` — a fresh `Bot` and a short-lived event loop per call, as RQ jobs need."""

from __future__ import annotations

import asyncio
import hmac
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from bots.base import (
    AddressKind,
    ButtonKind,
    Channel,
    InboundMessage,
    InvalidRequest,
    MediaDownload,
    MediaKind,
    MediaRef,
    OutboundMessage,
    Route,
    SendOutcome,
    SendResult,
    WebhookEvents,
    WebhookRequest,
    clean_text,
    read_json,
    valid_id,
)
from bots.downloads import download

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024  # a document's caption, as the Bot API limits it
UPLOAD_TIMEOUT_FACTOR = 6  # a document takes longer to send than a text over a slow link
# Edits are asked for: a corrected text is what the person meant. Channel posts are not addressed to the bot.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# Message attributes that carry one file each (a photo is a list of sizes: read apart).
MEDIA_ATTRIBUTES = (MediaKind.VOICE, MediaKind.AUDIO, MediaKind.VIDEO, MediaKind.VIDEO_NOTE, MediaKind.DOCUMENT)
CALL_TIMEOUT_SECONDS = 10
UPDATES_ROUTE = Route("/webhooks/telegram", "updates")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class InvalidUpdate(InvalidRequest):
    """An update that cannot be read; the message says why (for a 400)."""


@dataclass(frozen=True, kw_only=True)
class TelegramConfig:
    """What the Telegram channel needs from the deployment's settings."""

    bot_token: str = field(repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    api_base_url: str = "https://api.telegram.org"
    timeout_seconds: float | None = None  # per call; None: CALL_TIMEOUT_SECONDS


@dataclass(frozen=True)
class TelegramUpdate:
    """What the gateway takes from one Telegram update."""

    update_id: int
    handled: bool  # False for the kinds we acknowledge and ignore (channel posts, groups, membership…)
    user_id: int | None = None
    text: str = ""
    callback_id: str | None = None
    extra: Mapping = field(default_factory=dict)
    media: tuple[MediaRef, ...] = ()

    def to_inbound(self) -> InboundMessage:
        """The channel-neutral message (a button press is the same as typing its data)."""
        return InboundMessage(
            channel="telegram",
            provider_id=str(self.update_id),
            address=str(self.user_id),
            text=self.text,
            extra=self.extra,
            callback_id=self.callback_id,
            media=self.media,
        )


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into pieces Telegram accepts, at line or word breaks where possible."""
    pieces, rest = [], text
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return pieces + [rest]


def parse_update(data: object) -> TelegramUpdate:
    """Read one update (as JSON-decoded); raises InvalidUpdate when it is not an update at all."""
    if not isinstance(data, dict) or not valid_id(data.get("update_id")):
        raise InvalidUpdate("not a Telegram update: update_id missing or not a positive integer")
    try:
        update = Update.de_json(data, None)
    except Exception:  # noqa: BLE001 - PTB raises KeyError/TypeError on malformed objects
        raise InvalidUpdate("malformed Telegram update") from None
    if update.callback_query is not None:
        query = update.callback_query
        if not valid_id(query.from_user.id):
            raise InvalidUpdate("callback_query.from.id is not a user id")
        return TelegramUpdate(
            update.update_id, True, query.from_user.id, clean_text(query.data), callback_id=clean_text(query.id)
        )
    message, edited = update.message, False
    if message is None and update.edited_message is not None:
        message, edited = update.edited_message, True
    if message is None or message.from_user is None or message.chat is None or message.chat.type != "private":
        return TelegramUpdate(update.update_id, False)  # channel posts, groups, membership: not a person to us
    if not valid_id(message.from_user.id):
        raise InvalidUpdate("message.from.id is not a user id")
    extra = _shared(message)
    if edited:  # a person corrected what they wrote: kept as a new message, the original stays as it was
        extra["edited_message_id"] = message.message_id
    extra["chat_message_id"] = message.message_id  # what a discreet contact's chat clean-up deletes
    text = clean_text(message.text or message.caption or _poll_text(message))
    return TelegramUpdate(update.update_id, True, message.from_user.id, text, extra=extra, media=message_media(message))


def _shared(message) -> dict:
    """What the person shared that is not text: a contact card, a location (a venue's too), a sticker or dice."""
    if message.contact is not None:
        return {"contact_phone": clean_text(message.contact.phone_number), "contact_user_id": message.contact.user_id}
    if message.location is not None:
        try:
            extra: dict = {"latitude": float(message.location.latitude), "longitude": float(message.location.longitude)}
        except (TypeError, ValueError):
            raise InvalidUpdate("location is not a pair of numbers") from None
        if message.venue is not None:
            extra["venue"] = clean_text(", ".join(p for p in (message.venue.title, message.venue.address) if p))
        return extra
    if message.sticker is not None:
        return {"sticker": clean_text(message.sticker.emoji)}
    if message.dice is not None:
        return {"dice": clean_text(message.dice.emoji)}
    return {}


def _poll_text(message) -> str:
    """A poll a person wrote: its question and options, as text (a poll is words, so it is kept as words)."""
    poll = message.poll
    if poll is None:
        return ""
    return " / ".join([poll.question, *(option.text for option in poll.options)])


def message_media(message) -> tuple[MediaRef, ...]:
    """The files of a message, by the Bot API's file_id (fetched later with getFile); a photo's largest size."""
    found = []
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        found.append(MediaRef(MediaKind.PHOTO, largest.file_id, "image/jpeg", largest.file_size))
    for kind in MEDIA_ATTRIBUTES:
        item = getattr(message, kind.value, None)
        if item is not None:
            declared = getattr(item, "mime_type", None) or ""
            found.append(MediaRef(kind, item.file_id, clean_text(declared), item.file_size))
    return tuple(found)


def _markup(message: OutboundMessage):
    if any(b.kind is ButtonKind.SHARE_PHONE for b in message.buttons):
        buttons = [[KeyboardButton(b.label, request_contact=True)] for b in message.buttons]
        return ReplyKeyboardMarkup(buttons, one_time_keyboard=True, resize_keyboard=True)
    if message.buttons:
        return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)] for b in message.buttons])
    return None


class TelegramChannel(Channel):
    """The Telegram bot channel."""

    code = "telegram"
    address_kind = AddressKind.TELEGRAM

    routes = (UPDATES_ROUTE,)
    refusal = f"missing or invalid {SECRET_HEADER}"

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config

    def bot(self) -> Bot:
        """A new Bot on the configured API base (one per event loop)."""
        base = self.config.api_base_url
        return Bot(self.config.bot_token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")

    def verify(self, request: WebhookRequest) -> bool:
        """True when the update carries our webhook secret (compared in constant time)."""
        expected, secret_header = self.config.webhook_secret, request.headers.get(SECRET_HEADER)
        if not expected or not secret_header:
            return False
        return hmac.compare_digest(secret_header.encode(), expected.encode())

    def parse(self, request: WebhookRequest) -> WebhookEvents:
        """One update as JSON: a message or a pressed button, or nothing for the kinds we acknowledge and ignore."""
        malformed = "malformed JSON: expected a Telegram update as application/json"
        if not _is_json(request.mimetype):
            raise InvalidUpdate(malformed)
        update = parse_update(read_json(request.body, malformed))
        return WebhookEvents(messages=(update.to_inbound(),) if update.handled else ())

    def call(self, method: str, **kwargs):
        """Run one Bot API method in a short-lived event loop with a fresh Bot."""

        timeout = self.config.timeout_seconds or CALL_TIMEOUT_SECONDS
        kwargs.setdefault("read_timeout", timeout)
        kwargs.setdefault("connect_timeout", timeout)

        async def run():
            """The call, with the Bot shut down whatever happens."""
            bot = self.bot()
            try:
                return await getattr(bot, method)(**kwargs)
            finally:
                await bot.shutdown()

        return asyncio.run(run())

    def send(self, message: OutboundMessage) -> SendResult:
        """Send plain text (no parse mode, so a user's text never breaks formatting), split when too long; with a
        document, the file (sendDocument) with the text as its caption."""
        content = None
        if message.document is not None:
            try:
                content = Path(message.document.path).read_bytes()
            except OSError:  # the file was removed (retention, a restore without it): nothing to retry
                return SendResult(SendOutcome.FAILED, error_code="document:missing")
        try:
            last_id = self._send_text(message, message.text) if content is None else self._send_file(message, content)
        except Forbidden:
            return SendResult(SendOutcome.UNREACHABLE, error_code="telegram:forbidden")
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB warns that retry_after will become a timedelta; both are handled
                warnings.simplefilter("ignore")
                wait = _seconds(exc.retry_after)
            return SendResult(SendOutcome.RETRY, error_code="telegram:429", retry_after=wait)
        except (BadRequest, ChatMigrated, InvalidToken) as exc:  # BadRequest subclasses NetworkError: first
            return SendResult(SendOutcome.FAILED, error_code=f"telegram:{type(exc).__name__}")
        except NetworkError as exc:  # timeouts and connection errors
            return SendResult(SendOutcome.RETRY, error_code=f"telegram:{type(exc).__name__}")
        except TelegramError as exc:
            return SendResult(SendOutcome.RETRY, error_code=f"telegram:{type(exc).__name__}")
        return SendResult(SendOutcome.SENT, provider_id=f"{message.address}:{last_id}")

    def _send_text(self, message: OutboundMessage, text: str) -> str:
        """The text in as many messages as it takes, the buttons under the last; the last message's id."""
        pieces = split_text(text)
        last_id = ""
        for index, piece in enumerate(pieces):
            markup = _markup(message) if index == len(pieces) - 1 else None
            sent = self.call("send_message", chat_id=int(message.address), text=piece, reply_markup=markup)
            last_id = str(sent.message_id)
        return last_id

    def _send_file(self, message: OutboundMessage, content: bytes) -> str:
        """The document with the text as its caption (a text too long for a caption goes first, on its own)."""
        caption = message.text or None
        if caption and len(caption) > MAX_CAPTION:
            self._send_text(replace(message, buttons=()), caption)
            caption = None
        timeout = self.config.timeout_seconds or CALL_TIMEOUT_SECONDS
        sent = self.call(
            "send_document",
            chat_id=int(message.address),
            document=content,
            filename=message.document.filename,
            caption=caption,
            reply_markup=_markup(message),
            write_timeout=timeout * UPLOAD_TIMEOUT_FACTOR,
        )
        return str(sent.message_id)

    def delete(self, address: str, message_id: int) -> SendResult:
        """Delete one message of a private chat (the bot's or the user's, within 48 h of its sending)."""
        try:
            self.call("delete_message", chat_id=int(address), message_id=int(message_id))
        except BadRequest as exc:  # gone already, or too old: nothing more to do
            reason = str(exc).lower()
            code = "not_found" if "not found" in reason else "cannot" if "can't be deleted" in reason else "bad_request"
            return SendResult(SendOutcome.FAILED, error_code=f"delete:{code}")
        except Forbidden:
            return SendResult(SendOutcome.FAILED, error_code="delete:forbidden")
        except RetryAfter as exc:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wait = _seconds(exc.retry_after)
            return SendResult(SendOutcome.RETRY, error_code="telegram:429", retry_after=wait)
        except (ChatMigrated, InvalidToken) as exc:
            return SendResult(SendOutcome.FAILED, error_code=f"delete:{type(exc).__name__}")
        except TelegramError as exc:  # timeouts, connection errors, 5xx
            return SendResult(SendOutcome.RETRY, error_code=f"telegram:{type(exc).__name__}")
        return SendResult(SendOutcome.SENT)

    def fetch_media(self, ref: str, max_bytes: int) -> MediaDownload:
        """getFile for the file_id, then the download (its URL holds the token: never logged). The Bot API serves
        bots files of up to 20 MB; a larger one is refused before anything is read."""
        try:
            found = self.call("get_file", file_id=ref)
        except RetryAfter:
            return MediaDownload(error="telegram:429", retry=True)
        except BadRequest as exc:  # BadRequest subclasses NetworkError: first
            too_big = "too big" in str(exc).lower()
            return MediaDownload(error="too_large" if too_big else "telegram:gone")
        except (Forbidden, InvalidToken, ChatMigrated) as exc:
            return MediaDownload(error=f"telegram:{type(exc).__name__}")
        except TelegramError as exc:  # timeouts, connection errors, 5xx
            return MediaDownload(error=f"telegram:{type(exc).__name__}", retry=True)
        if found.file_size and found.file_size > max_bytes:
            return MediaDownload(error="too_large")
        if not found.file_path:
            return MediaDownload(error="telegram:gone")
        timeout = (self.config.timeout_seconds or CALL_TIMEOUT_SECONDS) * UPLOAD_TIMEOUT_FACTOR
        return download(found.file_path, max_bytes, timeout=timeout, what="telegram")

    def answer_callback(self, callback_id: str) -> None:
        """Stop the pressed button's spinner."""
        self.call("answer_callback_query", callback_query_id=callback_id)

    def describe(self) -> str:
        """Telegram, without the token."""
        return "telegram"


def _is_json(mimetype: str) -> bool:
    # As Flask's `is_json`: application/json, or an application/*+json type.
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
