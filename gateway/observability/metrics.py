"""The gateway's Prometheus metrics and the one-line helpers the code paths call.

Labels are codes from small fixed sets only: channel, route, HTTP status, outcome, queue, provider error code,
district code, severity, escalation level, kind. Never a phone number, a name, a text, a Telegram id or an alert
reference: a scrape is readable by whoever holds the metrics token, and Prometheus keeps it for months."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from functools import wraps
from types import SimpleNamespace

log = logging.getLogger(__name__)

_MINUTES = 60.0
_HOURS = 3600.0


# Created once per process, under a lock: gunicorn's threads and the webhook's store thread count at the same time,
# and a metric registered twice raises (prometheus_client's DuplicateTimeseries).
_CREATING = threading.Lock()
_METRICS: list[SimpleNamespace] = []


def defined() -> SimpleNamespace:
    """The metrics, created on first use: prometheus_client is imported only then, after the process has set
    PROMETHEUS_MULTIPROC_DIR (gateway.observability.multiproc), so that the values go to shared files."""
    if not _METRICS:
        with _CREATING:
            if not _METRICS:
                _METRICS.append(_create())
    return _METRICS[0]


def _never_raises(count: Callable) -> Callable:
    """Counting must never cost a message: a metrics failure is logged (its kind only) and the caller goes on."""

    @wraps(count)
    def guarded(*args, **kwargs) -> None:
        try:
            count(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure of the metrics library
            log.warning("metrics: %s not counted (%s)", count.__name__, type(exc).__name__)

    return guarded


def _create() -> SimpleNamespace:
    from prometheus_client import Counter, Histogram

    return SimpleNamespace(
        webhooks=Counter(
            "gateway_webhooks",
            "Provider webhook requests answered, by channel, route and HTTP status.",
            ["channel", "route", "status"],
        ),
        inbound=Counter(
            "gateway_inbound_messages",
            "Inbound messages carried by webhooks: stored, spooled (the database could not store them) or duplicate "
            "(a provider's replay of one already stored).",
            ["channel", "outcome"],
        ),
        send_attempts=Counter(
            "gateway_send_attempts",
            "Calls to a provider to send one outbox row, by channel and outcome.",
            ["channel", "outcome"],
        ),
        provider_errors=Counter(
            "gateway_provider_errors",
            "Send attempts that a provider refused or that failed, by error code.",
            ["channel", "code"],
        ),
        send_seconds=Histogram(
            "gateway_send_seconds",
            "Time of one provider call to send a message.",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
        ),
        alert_acknowledge_seconds=Histogram(
            "gateway_alert_acknowledge_seconds",
            "From an alert's creation to its acknowledgement (taken by an officer or staff), by district and severity.",
            ["district", "severity"],
            buckets=tuple(m * _MINUTES for m in (1, 2, 5, 10, 20, 30, 60, 120, 240, 720, 1440)),
        ),
        alert_resolve_seconds=Histogram(
            "gateway_alert_resolve_seconds",
            "From an alert's creation to its resolution, by district and severity.",
            ["district", "severity"],
            buckets=tuple(h * _HOURS for h in (0.25, 0.5, 1, 3, 6, 12, 24, 48, 96, 168)),
        ),
        escalation_steps=Counter(
            "gateway_escalation_steps",
            "Escalation steps fired: start (first level paged), up (a level higher), repeat (same level again), "
            "exhausted (nobody left to page).",
            ["level", "kind"],
        ),
    )


# A provider's error code as the senders record it ("21610", "network:ConnectTimeout", "telegram:forbidden");
# anything else (an unexpected shape that could carry text) is counted as "other".
_CODE = re.compile(r"[A-Za-z0-9_.:\-]{1,40}")
_DISTRICT = re.compile(r"[A-Za-z0-9_.\-]{1,40}")


def error_label(code: str | None) -> str:
    """A provider error code safe as a label value."""
    return code if code and _CODE.fullmatch(code) else "other"


def district_label(code: str | None) -> str:
    """A district code safe as a label value ("none" for an alert outside every district)."""
    return code if code and _DISTRICT.fullmatch(code) else "none"


def severity_label(severity: int | None) -> str:
    """An alert's severity as a label value ("unknown" before triage)."""
    return str(severity) if isinstance(severity, int) and 0 <= severity < 10 else "unknown"


@_never_raises
def count_webhook(channel: str, route: str, status: int) -> None:
    """One webhook request answered."""
    defined().webhooks.labels(channel, route, str(status)).inc()


@_never_raises
def count_inbound(channel: str, duplicate: bool | None) -> None:
    """One inbound message from a webhook: stored, duplicate, or (None) spooled."""
    outcome = "spooled" if duplicate is None else ("duplicate" if duplicate else "stored")
    defined().inbound.labels(channel, outcome).inc()


@_never_raises
def count_send(channel: str, outcome: str, error_code: str | None, seconds: float) -> None:
    """One provider call: its outcome, its error code if any, its duration."""
    metrics = defined()
    metrics.send_attempts.labels(channel, outcome).inc()
    metrics.send_seconds.labels(channel).observe(seconds)
    if error_code:
        metrics.provider_errors.labels(channel, error_label(error_code)).inc()


@_never_raises
def observe_alert(target: str, district: str | None, severity: int | None, seconds: float) -> None:
    """An alert acknowledged or resolved `seconds` after its creation (other moves are not timed)."""
    metrics = defined()
    histogram = {"acknowledged": metrics.alert_acknowledge_seconds, "resolved": metrics.alert_resolve_seconds}.get(
        str(target)
    )
    if histogram is not None:
        histogram.labels(district_label(district), severity_label(severity)).observe(max(seconds, 0.0))


@_never_raises
def count_escalation_step(level: int, kind: str) -> None:
    """One escalation step fired."""
    defined().escalation_steps.labels(str(level), kind).inc()
