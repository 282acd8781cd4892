"""What a mass sending will cost before it is sent: recipients per channel, SMS segments, money, the paced phone's
time, and when quiet hours let it leave. The broadcast composer and the meeting preview show it; the numbers are
computed with the outbox's own routing and GSM-7 conversion, so they match what the providers are asked to send."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bots.base import AddressKind
from gateway.core.runtime import Runtime
from gateway.messaging.quiet_hours import hold_until
from gateway.messaging.routing import NO_SMS_CHANNEL, route_for, sms_barred, sms_route
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import QUIET_KINDS, Contact, utcnow


@dataclass(frozen=True)
class SendEstimate:
    """The cost of sending texts to contacts: `channels` counts recipients per channel code; `not_sent` those no
    channel will carry (number refusing SMS without Telegram, or no SMS channel at all)."""

    recipients: int
    channels: tuple[tuple[str, int], ...]
    sms_recipients: int
    segments_total: int
    not_sent: int
    cost: str | None  # e.g. "1250 XOF"; None when SMS_SEGMENT_COST is unset
    duration: timedelta | None  # the paced phone's time for these segments; None when SMS is not paced
    leaves_at: datetime | None  # quiet hours: when it will leave (UTC); None: at once


def estimate(runtime: Runtime, recipients: list[tuple[Contact, str]], kind: str) -> SendEstimate:
    """The estimate for sending each (contact, text in their language) as a message of `kind`."""
    channels: Counter[str] = Counter()
    segments: dict[str, int] = {}
    sms_recipients = total = not_sent = 0
    for contact, body in recipients:
        channel, _ = route_for(contact, runtime.settings, runtime.channels)
        if channel == NO_SMS_CHANNEL or sms_barred(contact, channel):
            not_sent += 1
            continue
        channels[channel] += 1
        adapter = runtime.channels.get(channel)
        if adapter is None or adapter.address_kind != AddressKind.PHONE:
            continue  # Telegram costs nothing
        if body not in segments:
            segments[body] = count_segments(to_gsm7(body)).segments
        sms_recipients += 1
        total += segments[body]
    return SendEstimate(
        recipients=len(recipients),
        channels=tuple(sorted(channels.items())),
        sms_recipients=sms_recipients,
        segments_total=total,
        not_sent=not_sent,
        cost=cost_text(runtime, total),
        duration=sending_duration(runtime, total),
        leaves_at=hold_until(runtime.settings, utcnow()) if kind in QUIET_KINDS else None,
    )


def cost_text(runtime: Runtime, segments: int) -> str | None:
    """`segments` × SMS_SEGMENT_COST with its currency (`1250 XOF`), or None when no cost is configured."""
    if runtime.settings.sms_segment_cost is None:
        return None
    amount, currency = runtime.settings.sms_segment_cost
    value = (amount * segments).normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return f"{value:f} {currency}"


def sending_duration(runtime: Runtime, segments: int) -> timedelta | None:
    """How long the paced SMS channel needs for this many segments (None when it is not paced)."""
    rate = getattr(runtime.channels.get(sms_route(runtime.settings, runtime.channels)), "segments_per_minute", None)
    if not rate or segments <= 0:
        return None
    return timedelta(minutes=segments / rate)
