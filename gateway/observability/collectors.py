"""Scrape-time metrics: read from the database and Redis when Prometheus asks, so that every process (gunicorn's
workers, the RQ workers) reports the same truth once instead of each keeping a copy.

The database answers a few small queries on indexed columns (outbox rows pending and the oldest due, the oldest
unhandled inbound message, alerts still `new`, the latest pulse round per district); Redis answers the RQ queue
lengths, the phone's pace window and the last sweep. A source that fails makes `gateway_scrape_error{source}` 1 and
leaves its metrics out, never the whole scrape."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from gateway.core.runtime import Runtime
from gateway.observability import readings
from workers import pacing

log = logging.getLogger(__name__)

PACED_CHANNEL = "android"


class GatewayCollector(Collector):
    """The scrape-time gauges of one gateway (registered on the registry of one scrape)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Every gauge, then which sources failed."""
        errors = GaugeMetricFamily(
            "gateway_scrape_error", "1 when a source could not be read at this scrape.", labels=["source"]
        )
        for source, produce in (("database", self._database), ("redis", self._redis)):
            try:
                families = list(produce())
            except Exception as exc:  # noqa: BLE001 - a scrape must say what it could not read, not fail
                log.warning("metrics: %s not read (%s)", source, type(exc).__name__)
                errors.add_metric([source], 1)
                continue
            errors.add_metric([source], 0)
            yield from families
        yield errors

    def _database(self) -> Iterator[GaugeMetricFamily]:
        with self.runtime.db.sessions() as session:
            depth = readings.outbox_depth(session)
            late_out = readings.oldest_due_outbound(session)
            late_in = readings.oldest_unhandled_inbound(session)
            waiting = readings.unacknowledged_alerts(session)
            pulse = readings.pulse_response(session)
        outbox = GaugeMetricFamily(
            "gateway_outbox_messages",
            "Outbound rows waiting (queued) or in a provider call (sending), by queue; read from the database.",
            labels=["queue", "status"],
        )
        for (queue, status), count in sorted(depth.items()):
            outbox.add_metric([queue, status], count)
        yield outbox
        yield GaugeMetricFamily(
            "gateway_outbox_oldest_due_seconds",
            "How long the longest-waiting due outbox row has been due (0: none); rows held for later are not due.",
            value=late_out or 0.0,
        )
        yield GaugeMetricFamily(
            "gateway_inbound_oldest_unhandled_seconds",
            "Age of the oldest inbound message stored but not handled yet (0: none).",
            value=late_in or 0.0,
        )
        count = GaugeMetricFamily(
            "gateway_alerts_unacknowledged",
            "Alerts still new (nobody has taken them), by district.",
            labels=["district"],
        )
        oldest = GaugeMetricFamily(
            "gateway_alert_unacknowledged_oldest_seconds",
            "Age of the oldest alert nobody has taken yet, by district.",
            labels=["district"],
        )
        for row in waiting:
            count.add_metric([row.district], row.count)
            oldest.add_metric([row.district], row.oldest_seconds)
        yield count
        yield oldest
        rate = GaugeMetricFamily(
            "gateway_pulse_response_ratio",
            "Leaders who answered the district's latest pulse round, over the leaders asked.",
            labels=["district"],
        )
        asked = GaugeMetricFamily(
            "gateway_pulse_asked", "Leaders asked in the district's latest pulse round.", labels=["district"]
        )
        for row in pulse:
            rate.add_metric([row.district], row.rate)
            asked.add_metric([row.district], row.asked)
        yield rate
        yield asked

    def _redis(self) -> Iterator[GaugeMetricFamily]:
        connection = self.runtime.redis
        jobs = GaugeMetricFamily(
            "gateway_queue_jobs", "RQ jobs by queue and state (waiting, scheduled, failed).", labels=["queue", "state"]
        )
        for (queue, state), count in sorted(readings.queue_jobs(connection).items()):
            jobs.add_metric([queue, state], count)
        yield jobs
        swept = readings.last_sweep(connection)
        if swept is not None:
            yield GaugeMetricFamily(
                "gateway_last_sweep_timestamp_seconds", "When a worker last finished a sweep (Unix time).", value=swept
            )
        channel = self.runtime.channels.get(PACED_CHANNEL)
        rate = getattr(channel, "segments_per_minute", None)
        if rate:
            headroom = getattr(channel, "urgent_headroom", 0)
            used = pacing.used(connection, PACED_CHANNEL, now=time.time())
            budget = GaugeMetricFamily(
                "gateway_pace_budget_remaining",
                "SMS parts the Android phone may still send in the sliding minute, for bulk and urgent messages.",
                labels=["channel", "kind"],
            )
            budget.add_metric([PACED_CHANNEL, "bulk"], max(rate - used, 0))
            budget.add_metric([PACED_CHANNEL, "urgent"], max(rate + headroom - used, 0))
            yield budget
