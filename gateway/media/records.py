"""Media rows: created with their inbound message (inline files written at once), listed by alert for staff."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from bots.base import MediaRef
from gateway.media.store import Store, new_key
from gateway.models import MediaItem, MediaStatus, Message

log = logging.getLogger(__name__)
INLINE = "inline"  # provider_ref of a file the provider sent inside the request (the phone's MMS)


def add_items(session: Session, message_id: int, media: Iterable[MediaRef], store: Store, max_bytes: int) -> list[int]:
    """A row per file of a new inbound message (pending until its job keeps it); files sent inline are written to
    the store now (the instance folder, or the S3 bucket: if that fails the webhook spools the whole message), the
    job then checks them like any other. The new rows' ids."""
    ids = []
    for ref in media:
        item = MediaItem(
            message_id=message_id,
            kind=ref.kind,
            provider_ref=(INLINE if ref.data is not None else ref.ref)[:500] or None,
            declared_type=ref.declared_type[:100] or None,
            size=ref.declared_size,
            storage_key=new_key(),
            status=MediaStatus.PENDING,
            attempts=0,
        )
        if ref.data is not None:
            _write_inline(item, ref.data, store, max_bytes)
        elif not ref.ref:
            item.status, item.error = MediaStatus.FAILED, "no_reference"
        session.add(item)
        session.flush()
        ids.append(item.id)
    return ids


def _write_inline(item: MediaItem, data: str, store: Store, max_bytes: int) -> None:
    """Decode and write a file sent inline; one that is too large or not base64 is refused (noted on the row)."""
    if len(data) * 3 // 4 > max_bytes + 3:
        item.status, item.error = MediaStatus.FAILED, "too_large"
        return
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        item.status, item.error = MediaStatus.FAILED, "bad_base64"
        return
    store.put(item.storage_key, content)


def pending_ids(session: Session, ids: Iterable[int]) -> list[int]:
    """Those of `ids` still waiting for their job."""
    ids = list(ids)
    if not ids:
        return []
    query = select(MediaItem.id).where(MediaItem.id.in_(ids), MediaItem.status == MediaStatus.PENDING)
    return list(session.scalars(query))


def for_alert(session: Session, alert_id: int) -> list[MediaItem]:
    """The media of an alert's messages, oldest first."""
    query = (
        select(MediaItem)
        .join(Message, Message.id == MediaItem.message_id)
        .where(Message.alert_id == alert_id)
        .order_by(MediaItem.id)
    )
    return list(session.scalars(query))


def kinds_by_alert(session: Session, alert_ids: Iterable[int]) -> dict[int, list[str]]:
    """The media kinds of many alerts at once (listings): alert id → kinds, in arrival order."""
    alert_ids = list(alert_ids)
    if not alert_ids:
        return {}
    rows = session.execute(
        select(Message.alert_id, MediaItem.kind)
        .join(Message, Message.id == MediaItem.message_id)
        .where(Message.alert_id.in_(alert_ids))
        .order_by(MediaItem.id)
    )
    found: dict[int, list[str]] = {}
    for alert_id, kind in rows:
        found.setdefault(alert_id, []).append(kind)
    return found


def kinds_of(alert) -> list[str]:
    """The media kinds of one alert (what the API, the CLI and the observer see of its files)."""
    session = object_session(alert)
    return kinds_by_alert(session, [alert.id]).get(alert.id, []) if session is not None else []


def describe(items: Iterable[MediaItem]) -> list[dict]:
    """The media of an alert as the API and the observer see them: kind and status, never a key or a reference."""
    return [{"kind": item.kind, "status": item.status} for item in items]
