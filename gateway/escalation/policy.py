"""The escalation policy, as data: which severities page whom, and category overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from gateway.models import Alert, AlertSource


class Plan(StrEnum):
    """What an alert sets in motion."""

    LADDER = "ladder"  # notify level 1 now, climb until someone acknowledges
    NOTIFY = "notify"  # notify the district's level-1 officers once
    NONE = "none"  # no push; visible in the lists


@dataclass(frozen=True)
class Policy:
    """Severity thresholds and the minimum severity some categories always get."""

    ladder_from: int = 3
    notify_from: int = 2
    category_minimum: dict[str, int] = field(default_factory=lambda: {"armed_group": 2})

    def effective_severity(self, alert: Alert) -> int | None:
        """The alert's severity, raised to its category's minimum."""
        floor = self.category_minimum.get(alert.category or "")
        if alert.severity is None:
            return floor
        return max(alert.severity, floor or 0)

    def plan(self, alert: Alert) -> Plan:
        """What this alert sets in motion."""
        if alert.source == AlertSource.CALLBACK and alert.severity is None:
            return Plan.LADDER  # a leader asked to be called back: page until someone takes it, like an urgent alert
        severity = self.effective_severity(alert)
        if severity is None:
            return Plan.NONE
        if severity >= self.ladder_from:
            return Plan.LADDER
        if severity >= self.notify_from:
            return Plan.NOTIFY
        return Plan.NONE


DEFAULT_POLICY = Policy()
