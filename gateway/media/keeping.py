"""Keeping one media file: fetched from its provider (or read back when it came inline), its size capped and its
type read from the bytes, then written under its random key. Safe to run twice: only a pending row is worked on."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bots.base import MediaDownload
from gateway.core.runtime import Runtime
from gateway.media.records import INLINE
from gateway.media.store import KEPT_TYPES, UNKNOWN, media_store, sniff
from gateway.models import MediaItem, MediaStatus, Message, utcnow
from workers.queues import enqueue_media, media_job_id, pending_job_ids

log = logging.getLogger(__name__)
RETRY_DELAYS = (30, 120, 600, 3600)  # seconds before trying a provider that failed again; then the file is lost


def keep(runtime: Runtime, media_id: int, attempt: int = 0) -> str:
    """Fetch, check and keep one media item; what became of it (`fetched`, `failed:<why>`, `retry`, `skipped`)."""
    with runtime.db.transaction() as session:
        row = session.execute(
            select(MediaItem.status, MediaItem.provider_ref, MediaItem.storage_key, MediaItem.kind, Message.channel)
            .join(Message, Message.id == MediaItem.message_id)
            .where(MediaItem.id == media_id)
        ).first()
    if row is None or row.status != MediaStatus.PENDING:
        return "skipped"  # done already, refused, purged, or never there
    store, cap = media_store(runtime.settings), runtime.settings.media_max_bytes
    if row.provider_ref == INLINE:
        content = store.read(row.storage_key)
        got = MediaDownload(content=content) if content is not None else MediaDownload(error="inline:missing")
    else:
        channel = runtime.channels.get(row.channel)
        got = channel.fetch_media(row.provider_ref, cap) if channel else MediaDownload(error="channel:off")
    if got.retry and attempt < len(RETRY_DELAYS):
        enqueue_media(runtime.redis, media_id, attempt + 1, delay=RETRY_DELAYS[attempt])
        _note(runtime, media_id, attempt + 1, got.error)
        return "retry"
    if got.content is None:
        return _fail(runtime, media_id, got.error or "unknown", store, row.storage_key)
    if len(got.content) > cap:
        return _fail(runtime, media_id, "too_large", store, row.storage_key)
    content_type = sniff(got.content)
    if content_type not in KEPT_TYPES and not (row.kind == "data" and content_type == UNKNOWN):
        # Not a type we keep, whatever the provider declared: never written (or removed when it came inline).
        return _fail(runtime, media_id, "type_refused", store, row.storage_key)
    if row.provider_ref != INLINE:
        store.put(row.storage_key, got.content)
    with runtime.db.transaction() as session:
        item = session.get(MediaItem, media_id, with_for_update=True)
        if item is None or item.status != MediaStatus.PENDING:
            return "skipped"
        item.status, item.content_type, item.size = MediaStatus.FETCHED, content_type, len(got.content)
        item.fetched_at, item.error = utcnow(), None
    log.info("media %s kept (%s, %s bytes)", media_id, content_type, len(got.content))
    return "fetched"


def _note(runtime: Runtime, media_id: int, attempts: int, error: str | None) -> None:
    with runtime.db.transaction() as session:
        item = session.get(MediaItem, media_id)
        if item is not None:
            item.attempts, item.error = attempts, (error or "")[:40] or None


def _fail(runtime: Runtime, media_id: int, error: str, store, key: str) -> str:
    """Mark the item failed with its reason and make sure no file stays behind."""
    store.delete(key)
    with runtime.db.transaction() as session:
        item = session.get(MediaItem, media_id, with_for_update=True)
        if item is not None and item.status == MediaStatus.PENDING:
            item.status, item.error = MediaStatus.FAILED, error[:40]
    log.warning("media %s not kept (%s)", media_id, error)
    return f"failed:{error}"


def sweep(runtime: Runtime, older_than_seconds: int, limit: int = 200) -> int:
    """Queue again the jobs of media items still pending long after their message was stored whose job is gone:
    never queued (Redis was down), or lost after a retry (a worker killed, a store that failed through every crash
    retry). An item whose job waits, is scheduled or runs is left alone; the try it was at is kept."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    with runtime.db.transaction() as session:
        rows = session.execute(
            select(MediaItem.id, MediaItem.attempts)
            .where(MediaItem.status == MediaStatus.PENDING, MediaItem.created_at < cutoff)
            .order_by(MediaItem.id)
            .limit(limit)
        ).all()
    jobs = {media_job_id(row.id, row.attempts): row for row in rows}
    alive = pending_job_ids(runtime.redis, list(jobs)) if jobs else set()
    lost = [row for job_id, row in jobs.items() if job_id not in alive]
    return sum(bool(enqueue_media(runtime.redis, row.id, row.attempts)) for row in lost)
