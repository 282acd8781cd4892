"""Reading `/metrics` as Prometheus would: the exposition parsed into samples, and one sample's value."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}


def scrape(client) -> str:
    """The exposition text, read from this machine without a token (the test gateway sets none)."""
    response = client.get("/metrics", environ_base=LOOPBACK)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample: (name, labels, value)."""
    return [(s.name, dict(s.labels), s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels` (0 when there is none)."""
    return sum(v for n, got, v in samples(text) if n == name and labels.items() <= got.items())
