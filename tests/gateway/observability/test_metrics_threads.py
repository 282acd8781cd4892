"""Counting from many threads at once: the metrics are created once per process (a second registration would raise
in the webhook's path, and a webhook that raises is answered 503), and a failure of the metrics library never reaches
the caller."""

from __future__ import annotations

import threading

from gateway.observability import metrics


def test_first_counts_from_many_threads_create_the_metrics_once(monkeypatch):
    created = []
    original = metrics._create

    def slow_create():
        created.append(1)
        threading.Event().wait(0.05)  # widen the window in which a second thread could also create them
        return original()

    monkeypatch.setattr(metrics, "_create", slow_create)
    # prometheus_client's default registry keeps the names from the first creation in this process: start clean.
    from prometheus_client import REGISTRY

    for collector in list(REGISTRY._collector_to_names):
        if any(name.startswith("gateway_") for name in REGISTRY._collector_to_names[collector]):
            REGISTRY.unregister(collector)
    metrics._METRICS.clear()  # not restored: the metrics created below stay registered for the tests after this one
    errors = []

    def count():
        try:
            metrics.count_inbound("twilio", False)
            metrics.defined()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(created) == 1


def test_a_failing_metric_is_logged_and_the_caller_goes_on(monkeypatch, caplog):
    class Broken:
        def labels(self, *_args):
            raise ValueError("Duplicated timeseries in CollectorRegistry")

    monkeypatch.setattr(metrics, "_METRICS", [type("M", (), {"inbound": Broken()})()])
    metrics.count_inbound("twilio", None)  # does not raise
    assert "count_inbound not counted (ValueError)" in caplog.text
