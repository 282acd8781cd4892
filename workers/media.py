"""The job that keeps one media file a person sent (enqueued after its message's commit, by id)."""

from __future__ import annotations

from gateway.core.runtime import process_runtime
from gateway.media.keeping import keep


def fetch_media(media_id: int, attempt: int = 0) -> str:
    """RQ job: fetch, check and keep one media item; safe to run twice (only a pending item is worked on)."""
    return keep(process_runtime(), media_id, attempt)
