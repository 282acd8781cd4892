"""Reading Telegram updates: what the gateway keeps of each kind of message (text or caption, files by file_id, a
shared place, a poll's words, an edit), and the kinds it acknowledges and ignores. See docs/media.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from telegram import Update

from bots.base import InboundMessage, InvalidRequest, MediaKind, MediaRef, clean_text, valid_id

# Edits are asked for: a corrected text is what the person meant. Channel posts are not addressed to the bot.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# Message attributes that carry one file each (a photo is a list of sizes: read apart).
# An album's id is a short number as text; longer ones are cut to what the column holds.
MAX_GROUP = 64
MEDIA_ATTRIBUTES = (MediaKind.VOICE, MediaKind.AUDIO, MediaKind.VIDEO, MediaKind.VIDEO_NOTE, MediaKind.DOCUMENT)


class InvalidUpdate(InvalidRequest):
    """An update that cannot be read; the message says why (for a 400)."""


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
    media_group: str | None = None  # the album this message is one item of (photos and videos sent together)

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
            media_group=self.media_group,
        )


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
    group = clean_text(message.media_group_id)[:MAX_GROUP] or None
    user, media = message.from_user.id, message_media(message)
    return TelegramUpdate(update.update_id, True, user, text, extra=extra, media=media, media_group=group)


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
