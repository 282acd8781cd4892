"""The alert desk: the inbox of open alerts and untriaged reports of the user's scope."""

from __future__ import annotations

from flask import g, render_template
from sqlalchemy import select

from gateway.console import console, login_required, runtime
from gateway.models import Alert
from gateway.staff.scope import scoped_alerts


@console.route("/")
@login_required
def inbox():
    """Open alerts and reports of the user's scope, newest first."""
    with runtime().db.sessions() as db:
        alerts = list(db.scalars(scoped_alerts(db, g.scope, select(Alert).order_by(Alert.id.desc()).limit(100))))
        rows = [{"ref": a.id, "status": a.status, "severity": a.severity, "category": a.category} for a in alerts]
    return render_template("console/inbox.html", rows=rows)
