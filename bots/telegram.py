"""Telegram: updates in (`/webhooks/telegram` with a secret token, or long polling; read by bots.telegram_updates),
Bot API calls out through python-telegram-bot's `Bot` — a fresh `Bot` and a short-lived event loop per call, as RQ
jobs need; files people sent fetched with getFile."""

from __future__ import annotations

import asyncio
import hmac
import logging
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from bots.base import (
    AddressKind,
    ButtonKind,
    Channel,
    MediaDownload,
    OutboundMessage,
    Route,
    SendOutcome,
    SendResult,
    WebhookEvents,
    WebhookRequest,
    read_json,
)
from bots.downloads import download
from bots.telegram_updates import InvalidUpdate, parse_update

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024  # a document's caption, as the Bot API limits it
UPLOAD_TIMEOUT_FACTOR = 6  # a document takes longer to send than a text over a slow link
CALL_TIMEOUT_SECONDS = 10
UPDATES_ROUTE = Route("/webhooks/telegram", "updates")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True, kw_only=True)
class TelegramConfig:
    """What the Telegram channel needs from the deployment's settings."""

    bot_token: str = field(repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    api_base_url: str = "https://api.telegram.org"
    timeout_seconds: float | None = None  # per call; None: CALL_TIMEOUT_SECONDS


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into pieces Telegram accepts, at line or word breaks where possible."""
    pieces, rest = [], text
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return pieces + [rest]


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
