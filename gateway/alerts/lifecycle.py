"""What a newly recorded alert sets in motion: the escalation policy and the follow-ups with its reporter."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.alerts import followups
from gateway.core.runtime import Runtime
from gateway.escalation import ladder
from gateway.models import Alert


def alert_recorded(session: Session, runtime: Runtime, alert: Alert) -> None:
    """Page the officers as the policy says, and plan the follow-up questions."""
    ladder.start(session, runtime, alert)
    followups.plan(session, runtime, alert)
