"""Follow-up jobs: ask an alert's reporter how things stand; scheduled by `workers.schedule`, safe to run twice."""

from __future__ import annotations

from gateway.alerts.followups import ask
from gateway.core.runtime import process_runtime


def ask_followup(followup_id: int, seq: int) -> str:
    """RQ job: send one follow-up question (claimed, so it is sent once)."""
    return ask(process_runtime(), followup_id, seq)
