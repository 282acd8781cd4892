"""The phone's events from people besides SMS: an MMS (its notice, then its content with the files inline as base64)
and a binary SMS. Each is read into an `InboundMessage` by `read`, the channel's reader of a payload's identity
(sender, messageId, receivedAt); see docs/media.md."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping

from bots.base import InboundMessage, InvalidRequest, MediaKind, MediaRef, clean_text, kind_of

Reader = Callable[..., InboundMessage]  # (payload, event, id prefix, **InboundMessage fields) → the message


def mms_notice(read: Reader, payload: Mapping) -> InboundMessage:
    """`mms:received`: the phone was told of an MMS it has not downloaded yet (no content). Kept as a silent
    notice, so that an MMS the phone never manages to download still shows in the message log."""
    count = payload.get("attachmentCount")
    extra = {"mms_notice": str(count if isinstance(count, int) else "?")}
    return read(payload, "mms:received", "mms", text=clean_text(payload.get("subject")), extra=extra)


def mms_downloaded(read: Reader, payload: Mapping) -> InboundMessage:
    """`mms:downloaded`: the MMS's text (subject and body) and its files, inline as base64."""
    attachments = payload.get("attachments")
    if not isinstance(attachments, list):
        raise InvalidRequest("mms:downloaded needs an attachments list")
    media, text_parts = [], [clean_text(payload.get("subject")), clean_text(payload.get("body"))]
    for part in attachments:
        if not isinstance(part, dict):
            raise InvalidRequest("an MMS attachment is not an object")
        declared = clean_text(part.get("contentType"))[:100]
        data = part.get("data")
        if declared.startswith("text/plain") and isinstance(data, str):
            text_parts.append(clean_text(_b64text(data)))  # the MMS's own text part, when the body is not set
            continue
        if declared == "application/smil":
            continue  # the slide layout: no content of its own
        if data is not None and not isinstance(data, str):
            raise InvalidRequest("an MMS attachment's data is not base64 text")
        size = part.get("size") if isinstance(part.get("size"), int) else None
        media.append(MediaRef(kind_of(declared), f"part-{part.get('partId')}", declared, size, data))
    text = "\n".join(dict.fromkeys(t for t in text_parts if t))  # a body repeated as its text part, once
    return read(payload, "mms:downloaded", "mmsdl", text=text, media=tuple(media))


def data_sms(read: Reader, payload: Mapping) -> InboundMessage:
    """`sms:data-received`: a binary SMS (port-addressed). Its bytes are kept, never interpreted."""
    data = payload.get("data")
    if not isinstance(data, str):
        raise InvalidRequest("sms:data-received needs base64 data")
    media = (MediaRef(MediaKind.DATA, "data", "application/octet-stream", None, data),)
    return read(payload, "sms:data-received", "data", text="", extra={"data_sms": "1"}, media=media)


def _b64text(data: str) -> str:
    """An MMS text part's base64, as text (empty when it is not base64 of UTF-8)."""
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return ""
