"""An alert's media in the console: photos shown and voice notes played to the roles that read bodies, through a
role-checked route named by the file's random key; the observer sees only which kinds exist."""

from __future__ import annotations

import logging

from flask import Response, abort, g, url_for
from sqlalchemy import select

from gateway.console import console, login_required, runtime
from gateway.console.texts import t
from gateway.media.records import for_alert
from gateway.media.store import KEPT_TYPES, StoreUnavailable, media_store
from gateway.models import Alert, MediaItem, MediaStatus, Message
from gateway.staff.scope import Scope, visible_alert

log = logging.getLogger(__name__)
# How the page shows a kept file, by the family of its checked type (data): the rest is a download link.
PLAYERS = {"photo": "img", "audio": "audio", "video": "video"}


def media_context(session, alert: Alert, scope: Scope) -> list[dict]:
    """The alert's files as the page shows them: kind and status for all; the player and URL only for a role that
    reads bodies, and only for a file kept and checked."""
    shown = []
    for item in for_alert(session, alert.id):
        entry = {"kind": item.kind, "status": item.status}
        if scope.reads_bodies and item.status == MediaStatus.FETCHED:
            entry["player"] = PLAYERS.get(KEPT_TYPES.get(item.content_type or "", ""), "link")
            entry["url"] = url_for("console.alert_media", ref=alert.id, key=item.storage_key)
            entry["content_type"] = item.content_type
        shown.append(entry)
    return shown


@console.route("/alerts/<ref>/media/<key>")
@login_required
def alert_media(ref: str, key: str):
    """One kept file of an alert of the user's scope, for a role that reads bodies; the same 404 otherwise (an
    unknown key, another alert's file, a purged one, the observer)."""
    number = int(ref) if ref.isdigit() and len(ref) <= 9 else None  # as the alert page reads it
    if number is None or not g.scope.reads_bodies:
        abort(404)
    with runtime().db.sessions() as db:
        alert = visible_alert(db, g.scope, number)
        item = db.scalar(
            select(MediaItem)
            .join(Message, Message.id == MediaItem.message_id)
            .where(MediaItem.storage_key == key, Message.alert_id == number)
        )
        if alert is None or item is None or item.status != MediaStatus.FETCHED:
            abort(404)
        content_type = item.content_type
    try:
        content = media_store(runtime().settings).read(key)
    except StoreUnavailable as exc:
        # The bucket (or the disk) failed: say so, rather than a 500 or a 404 that would read as "file gone".
        log.warning("alert %s: media not served (%s)", number, exc)
        abort(503, description=t("media.store_unavailable"))
    if content is None or content_type not in KEPT_TYPES:
        abort(404)
    response = Response(content, mimetype=content_type)
    inline = KEPT_TYPES[content_type] in PLAYERS
    response.headers["Content-Disposition"] = "inline" if inline else f'attachment; filename="media-{number}"'
    response.headers["X-Content-Type-Options"] = "nosniff"  # the checked type, never a browser's guess
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
