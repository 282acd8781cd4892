"""One scrape of `/metrics`: the counters of every process (multiprocess files, or this process's own memory
when no directory is configured) and the scrape-time gauges, in Prometheus's text format."""

from __future__ import annotations

from collections.abc import Iterator

from gateway.core.runtime import Runtime
from gateway.observability import multiproc
from gateway.observability.metrics import defined

PREFIX = "gateway_"


def render(runtime: Runtime) -> tuple[bytes, str]:
    """The exposition text and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    from gateway.observability.collectors import GatewayCollector

    defined()  # the metrics exist (and are described) even before anything was counted
    registry = CollectorRegistry(auto_describe=False)
    path = multiproc.directory()
    if path is not None:
        MultiProcessCollector(registry, path=str(path))
    else:
        registry.register(_ThisProcess())
    registry.register(GatewayCollector(runtime))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _ThisProcess:
    """The gateway's metrics from this process's default registry (single-process mode: tests, one-off runs)."""

    def collect(self) -> Iterator:
        """Only the gateway's families (not the interpreter's own, which multiprocess mode cannot add up)."""
        from prometheus_client import REGISTRY

        return (family for family in REGISTRY.collect() if family.name.startswith(PREFIX))
