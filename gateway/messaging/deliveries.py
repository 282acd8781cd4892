"""How far a broadcast's messages got: counts per status (queued → sent → delivered / failed) and the failures
grouped by a reason staff can act on. The console's delivery bar and the API's `GET broadcasts/<id>` read this."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.messaging.routing import NO_SMS_CHANNEL_ERROR, SMS_UNREACHABLE_ERROR
from gateway.models import Direction, Message, MessageStatus

# The failure groups, in the order the console lists them.
FAILURE_GROUPS = ("unsubscribed", "blocked", "unreachable_phone", "no_sms_channel", "provider_error")
# Error codes with a group of their own; every other code of a failed row is a provider error.
_GROUP_OF_CODE = {
    SMS_UNREACHABLE_ERROR: "unsubscribed",
    "21610": "unsubscribed",
    "21612": "unsubscribed",
    "21614": "unsubscribed",
    "telegram:forbidden": "blocked",
    NO_SMS_CHANNEL_ERROR: "no_sms_channel",
}


def failure_group(error_code: str | None) -> str:
    """The group of a failed message's error code."""
    code = error_code or ""
    if code in _GROUP_OF_CODE:
        return _GROUP_OF_CODE[code]
    if code.startswith("network:") or code == "android:401":
        return "unreachable_phone"  # the local-SIM phone did not answer
    return "provider_error"


@dataclass(frozen=True)
class DeliveryCounts:
    """A broadcast's messages by status; `held` rows (a sender's reply limit) are counted as not sent."""

    messages: int
    queued: int
    sent: int
    delivered: int
    failed: int
    failures: tuple[tuple[str, int], ...]  # (group, count), groups in FAILURE_GROUPS order, only those seen

    @property
    def done(self) -> int:
        """Messages that reached a final state (delivered or failed); sent ones may still be delivered."""
        return self.delivered + self.failed

    @property
    def percent(self) -> int:
        """How much of the sending is over: handed to the provider or final, 0–100."""
        if not self.messages:
            return 100
        return round(100 * (self.sent + self.delivered + self.failed) / self.messages)

    def as_status(self) -> dict[str, int]:
        """The API's `status` object."""
        return {"queued": self.queued, "sent": self.sent, "delivered": self.delivered, "failed": self.failed}


def delivery_counts(session: Session, broadcast_ids: list[int]) -> DeliveryCounts:
    """The counts of the outbound messages of these broadcasts (one broadcast, or all of a meeting's)."""
    if not broadcast_ids:
        return DeliveryCounts(0, 0, 0, 0, 0, ())
    rows = session.execute(
        select(Message.status, Message.error_code, func.count())
        .where(Message.broadcast_id.in_(broadcast_ids), Message.direction == Direction.OUT)
        .group_by(Message.status, Message.error_code)
    ).all()
    by_status: dict[str, int] = {}
    groups: dict[str, int] = {}
    for status, code, count in rows:
        by_status[status] = by_status.get(status, 0) + count
        if status in (MessageStatus.FAILED, MessageStatus.HELD):
            group = failure_group(code)
            groups[group] = groups.get(group, 0) + count
    queued = by_status.get(MessageStatus.QUEUED, 0) + by_status.get(MessageStatus.SENDING, 0)
    failed = by_status.get(MessageStatus.FAILED, 0) + by_status.get(MessageStatus.HELD, 0)
    return DeliveryCounts(
        messages=sum(by_status.values()),
        queued=queued,
        sent=by_status.get(MessageStatus.SENT, 0),
        delivered=by_status.get(MessageStatus.DELIVERED, 0),
        failed=failed,
        failures=tuple((g, groups[g]) for g in FAILURE_GROUPS if g in groups),
    )
