"""A file carried by an outbox row (the weekly bulletin's PDF): kept in the row's `meta` as its path and the name the
reader sees, and handed to the channel with the message; channels that carry no files send the text alone."""

from __future__ import annotations

import json

from bots.base import Document
from gateway.models import Message

META_KEY = "document"


def attach(message: Message, path: str, filename: str) -> None:
    """Make the outbox row carry a file: call before the transaction that queued it commits."""
    meta = json.loads(message.meta) if message.meta else {}
    meta[META_KEY] = {"path": path, "filename": filename}
    message.meta = json.dumps(meta, ensure_ascii=False)


def document_of(message: Message) -> Document | None:
    """The file an outbound row carries, or None (no file, or its meta purged by retention)."""
    if not message.meta:
        return None
    try:
        value = json.loads(message.meta).get(META_KEY)
    except (ValueError, AttributeError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("path"), str):
        return None
    return Document(path=value["path"], filename=str(value.get("filename") or "document"))
