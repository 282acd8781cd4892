"""Channel health on the home page: an htmx fragment for every role (it holds no identity and no body) that
refreshes itself; the numbers come from gateway.messaging.health, this module only renders them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import render_template

from gateway.console import console, login_required, runtime
from gateway.messaging.health import gather

POLL_SECONDS = 30


@console.get("/health")
@login_required
def health_panel():
    """The panel: each configured channel reachable or not, last in and out, backlog per queue, the phone's pace."""
    health = gather(runtime())
    zone = ZoneInfo(runtime().settings.timezone)

    def local(moment) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""

    return render_template("console/health_panel.html", health=health, local=local, poll=POLL_SECONDS)
