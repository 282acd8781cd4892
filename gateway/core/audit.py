"""Writing and reading the append-only audit log (reveals of a reporter's identity, purges, status changes)."""

from __future__ import annotations

import getpass

from sqlalchemy.orm import Session

from gateway.models import AuditEntry, utcnow


def cli_actor() -> str:
    """The actor recorded for a command typed on the server: `cli:<operating-system user>`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = "unknown"
    return f"cli:{user}"


def record(
    session: Session, actor: str, action: str, target: str | None = None, detail: str | None = None
) -> AuditEntry:
    """Append one audit row in the caller's transaction (so the action and its record commit together)."""
    entry = AuditEntry(at=utcnow(), actor=actor, action=action, target=target, detail=detail)
    session.add(entry)
    return entry


def entry_as_dict(entry: AuditEntry) -> dict:
    """The JSON shape of an audit row (DESIGN: at, actor, action, target, detail)."""
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
    }
