"""The channel contract: every registered channel implements it, bots/ knows providers and nothing else, and one
generic view serves every channel's webhook URLs (the URLs providers are configured with never change)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest
from flask import Flask

import bots
from bots.base import Channel, WebhookRequest
from gateway.messaging.channels import CHANNELS
from gateway.web.webhooks import webhooks_blueprint

BOTS = Path(bots.__file__).resolve().parent
# What providers are told to call (README, `gateway run`): a contract, never renamed.
WEBHOOK_URLS = {
    "/webhooks/twilio/sms": "twilio",
    "/webhooks/twilio/status": "twilio",
    "/webhooks/telegram": "telegram",
    "/webhooks/android": "android",
    "/webhooks/callgate": "callgate",
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(BOTS.glob("*.py")), ids=lambda p: p.name)
def test_bots_import_nothing_from_the_gateway(path):
    outside = {m for m in imported_modules(path) if m.split(".")[0] in ("gateway", "workers", "flows")}
    assert not outside, f"{path.name} imports {sorted(outside)}: channels get their settings as arguments"


@pytest.mark.parametrize("code", sorted(CHANNELS))
def test_every_registered_channel_implements_the_contract(code):
    kind = CHANNELS[code].kind
    assert issubclass(kind, Channel) and not inspect.isabstract(kind), f"{kind.__name__} leaves methods abstract"
    assert kind.code == code
    assert all(route.path.startswith("/webhooks/") for route in kind.routes)
    if kind.routes:
        assert kind.refusal != Channel.refusal, "a channel with webhooks says why it refuses an unverified one"


def test_boundary_objects_and_configs_are_frozen():
    for path in BOTS.glob("*.py"):
        module = importlib.import_module(f"bots.{path.stem}")
        for obj in vars(module).values():
            if dataclasses.is_dataclass(obj) and obj.__module__.startswith("bots."):
                assert obj.__dataclass_params__.frozen, f"{obj.__module__}.{obj.__name__} is not frozen"


def test_one_view_serves_every_channel_url_and_nothing_else():
    app = Flask(__name__)
    app.register_blueprint(webhooks_blueprint())
    rules = {rule.rule: rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/webhooks/")}
    assert set(rules) == set(WEBHOOK_URLS)
    for url, code in WEBHOOK_URLS.items():
        assert rules[url].methods - {"OPTIONS"} == {"POST"}
        assert rules[url].endpoint.startswith(f"webhooks.{code}_")


def test_the_console_receives_no_webhook():
    console = CHANNELS["console"].build(None, None)
    request = WebhookRequest(CHANNELS["twilio"].kind.routes[0], url=None, path_and_query=None, headers={}, args={})
    assert console.routes == () and console.verify(request) is False
