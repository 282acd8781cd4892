"""Database models, one module per domain; everything is importable from `gateway.models`."""

from gateway.models.alerts import TRIAGE_SOURCES, Alert, AlertSource, AlertStatus, AlertUpdate, Digest, Followup
from gateway.models.audit import AuditEntry
from gateway.models.base import NAMING, Base, UTCDateTime, utcnow
from gateway.models.broadcasts import Broadcast, BroadcastKind
from gateway.models.directory import Contact, District, Language, PreferredChannel, Role
from gateway.models.escalation import Escalation, EscalationStatus, Notification
from gateway.models.media import MediaItem, MediaStatus
from gateway.models.meetings import Invitation, Meeting, MeetingReminder, MeetingStatus
from gateway.models.messages import (
    FALLBACK_KINDS,
    QUIET_KINDS,
    STATUS_RANK,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Priority,
)
from gateway.models.pulse import (
    BulletinSending,
    PulseAnswer,
    PulseNews,
    PulseQuestion,
    PulseRound,
    PulseRun,
    ServicePresence,
)
from gateway.models.roadmaps import RoadmapItem, RoadmapMeetingLink, RoadmapStatus, RoadmapStatusChange, ServiceKind
from gateway.models.staff import ApiToken, StaffUser

__all__ = [
    "NAMING",
    "FALLBACK_KINDS",
    "QUIET_KINDS",
    "Alert",
    "AlertSource",
    "TRIAGE_SOURCES",
    "AlertStatus",
    "AlertUpdate",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Broadcast",
    "BroadcastKind",
    "BulletinSending",
    "Contact",
    "Digest",
    "Direction",
    "District",
    "Escalation",
    "EscalationStatus",
    "Followup",
    "Invitation",
    "Language",
    "MediaItem",
    "MediaStatus",
    "Meeting",
    "MeetingReminder",
    "MeetingStatus",
    "Message",
    "MessageKind",
    "MessageStatus",
    "Notification",
    "PreferredChannel",
    "Priority",
    "PulseAnswer",
    "PulseNews",
    "PulseQuestion",
    "PulseRound",
    "PulseRun",
    "RoadmapItem",
    "RoadmapMeetingLink",
    "RoadmapStatus",
    "RoadmapStatusChange",
    "Role",
    "STATUS_RANK",
    "ServiceKind",
    "ServicePresence",
    "StaffUser",
    "UTCDateTime",
    "utcnow",
]
