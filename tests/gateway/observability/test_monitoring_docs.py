"""docs/monitoring.md and docs/monitoring/alert-rules.yml name the metrics the gateway exports, no other: every
family a scrape can show is documented, and every name the docs or the rules use exists (a typo in a rule would
otherwise never fire). No YAML parser is a dependency, so the rules are read as text."""

from __future__ import annotations

import re

import pytest

from gateway.observability.metrics import defined
from tests.conftest import ROOT
from tests.gateway.observability.scrape import scrape

NAME = re.compile(r"\bgateway_[a-z_]+[a-z]")
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def family(name: str) -> str:
    """The family a sample name belongs to (a counter's `_total`, a histogram's `_bucket`, … removed)."""
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@pytest.fixture
def env(base_env, fake_phone):
    """With the Android phone, so that its pace budget is exported too."""
    return {**base_env, **fake_phone.env()}


@pytest.fixture
def exported(runtime, client) -> set[str]:
    """Every family the gateway can export: the counted ones (defined up front) and the scrape-time ones."""
    runtime.redis.set("gw:sweep:last", "1")  # the last sweep's gauge exists once a sweep has run
    counted = {m.describe()[0].name for m in vars(defined()).values()}
    return counted | {family(n) for n in NAME.findall(scrape(client))}


@pytest.mark.parametrize("path", ["docs/monitoring.md", "docs/monitoring/alert-rules.yml"])
def test_the_docs_and_the_rules_name_only_exported_metrics(exported, path):
    named = {family(n) for n in NAME.findall((ROOT / path).read_text(encoding="utf-8"))}
    assert named, path
    assert named <= exported, sorted(named - exported)


def test_every_exported_metric_is_documented(exported):
    documented = {family(n) for n in NAME.findall((ROOT / "docs/monitoring.md").read_text(encoding="utf-8"))}
    assert exported <= documented, sorted(exported - documented)
