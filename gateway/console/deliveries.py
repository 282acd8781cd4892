"""The delivery bar of a broadcast or a meeting's notice: queued → sent → delivered / failed, failures grouped by
reason; an htmx fragment that refreshes itself every few seconds until nothing is left to send."""

from __future__ import annotations

from flask import abort, g, render_template, request

from gateway.console import console, login_required, runtime
from gateway.messaging.deliveries import delivery_counts
from gateway.staff.scope import visible_broadcast

POLL_SECONDS = 3


@console.get("/deliveries/<int:broadcast_id>")
@login_required
def delivery_bar(broadcast_id: int):
    """The bar of one broadcast of the user's scope (404 otherwise); `?follow=queued` polls only while queued."""
    with runtime().db.sessions() as db:
        broadcast = visible_broadcast(db, g.scope, broadcast_id)
        if broadcast is None:
            abort(404)
        counts = delivery_counts(db, [broadcast.id])
    follow = "queued" if request.args.get("follow") == "queued" else None
    return render_template(
        "console/delivery_bar.html", broadcast_id=broadcast_id, counts=counts, poll=POLL_SECONDS, follow=follow
    )
