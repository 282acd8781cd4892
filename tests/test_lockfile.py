"""requirements.lock is in step with pyproject.toml, checked offline (no index is asked anything): every dependency
is pinned with `==` and hashes, each pin satisfies pyproject's specifier, and the lock names no package that nothing
requires (by its `# via` comments). Regenerating it: README, "Dependencies"."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT

PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
PROJECT = "community-gateway (pyproject.toml)"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


@dataclass
class Pin:
    """One package of the lock: its version, how many hashes, and what requires it."""

    version: str
    hashes: int = 0
    via: list[str] = field(default_factory=list)


def parse_lock(text: str) -> tuple[dict[str, Pin], list[str]]:
    """The lock's pins by canonical name, and the lines it could not read."""
    pins: dict[str, Pin] = {}
    unreadable: list[str] = []
    current: Pin | None = None
    in_via = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or raw.startswith("#"):
            in_via = False
            continue
        if not raw[0].isspace():
            match = PIN.match(line)
            if match is None:
                unreadable.append(line)
                current = None
                continue
            current = pins.setdefault(canonicalize_name(match.group(1)), Pin(match.group(3)))
            in_via = False
        elif current is None:
            continue
        elif line.startswith("--hash=sha256:"):
            current.hashes += 1
        elif line.startswith("# via"):
            rest = line.removeprefix("# via").strip()
            current.via += [rest] if rest else []
            in_via = not rest
        elif in_via and line.startswith("#   "):
            current.via.append(line.removeprefix("#").strip())
    return pins, unreadable


def direct_requirements(pyproject_text: str) -> list[Requirement]:
    """The project's runtime dependencies (not the test or bench extras)."""
    return [Requirement(spec) for spec in tomllib.loads(pyproject_text)["project"]["dependencies"]]


def lock_problems(pyproject_text: str, lock_text: str) -> list[str]:
    """Everything that makes the lock disagree with pyproject.toml; empty when they are in step."""
    pins, unreadable = parse_lock(lock_text)
    problems = [f"unreadable lock line: {line}" for line in unreadable]
    if "--python-version 3.11" not in lock_text.split("\n", 3)[1]:
        problems.append("the lock was not compiled for Python 3.11 (see its header)")
    direct = {canonicalize_name(req.name): req for req in direct_requirements(pyproject_text)}
    for name, req in direct.items():
        pin = pins.get(name)
        if pin is None:
            problems.append(f"{req}: not in the lock")
        elif not req.specifier.contains(Version(pin.version), prereleases=True):
            problems.append(f"{req}: the lock pins {pin.version}")
    for name, pin in pins.items():
        if pin.hashes == 0:
            problems.append(f"{name}=={pin.version}: no --hash")
        parents = [canonicalize_name(p) for p in pin.via if p != PROJECT]
        if PROJECT in pin.via and name not in direct:
            problems.append(f"{name}: the lock says pyproject requires it; pyproject does not")
        if not pin.via or not (PROJECT in pin.via or any(p in pins for p in parents)):
            problems.append(f"{name}: nothing in the lock or pyproject requires it")
    return problems


def test_the_lock_is_in_step_with_pyproject():
    problems = lock_problems(PYPROJECT.read_text(encoding="utf-8"), LOCK.read_text(encoding="utf-8"))
    assert not problems, "requirements.lock is out of date (README, Dependencies):\n" + "\n".join(problems)


def test_the_lock_pins_the_safety_floors():
    pins, _ = parse_lock(LOCK.read_text(encoding="utf-8"))
    assert Version(pins["gunicorn"].version) >= Version("23"), "gunicorn before 23 lets requests be smuggled"
    assert "pytest" not in pins and "ruff" not in pins, "the test tools are not deployed"


def _lock() -> str:
    return LOCK.read_text(encoding="utf-8")


def _pyproject() -> str:
    return PYPROJECT.read_text(encoding="utf-8")


BROKEN = [
    (
        "a dependency added to pyproject only",
        lambda: (_pyproject().replace('"click>=8.1,<9",', '"click>=8.1,<9",\n    "leftpad>=1.0",'), _lock()),
        "leftpad>=1.0: not in the lock",
    ),
    (
        "a floor raised above the pin",
        lambda: (_pyproject().replace('"gunicorn>=23,<28"', '"gunicorn>=99"'), _lock()),
        "gunicorn>=99: the lock pins",
    ),
    (
        "a pin without its hashes",
        lambda: (_pyproject(), re.sub(r"(?m)^(gunicorn==\S+) \\\n(\s+--hash=\S+( \\)?\n)+", r"\1\n", _lock())),
        "gunicorn==",
    ),
    (
        "a package nothing requires",
        lambda: (_pyproject(), _lock() + "leftpad==1.0.0 \\\n    --hash=sha256:" + "0" * 64 + "\n    # via nothing\n"),
        "leftpad: nothing in the lock or pyproject requires it",
    ),
    (
        "a direct dependency dropped from pyproject, still in the lock",
        lambda: (_pyproject().replace('    "phonenumbers>=8.13,<10",\n', ""), _lock()),
        "phonenumbers: the lock says pyproject requires it",
    ),
    (
        "a version range instead of a pin",
        lambda: (_pyproject(), re.sub(r"(?m)^flask==", "flask>=", _lock())),
        "unreadable lock line: flask>=",
    ),
]


@pytest.mark.parametrize(("label", "make", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_the_check_catches(label, make, expected):
    pyproject_text, lock_text = make()
    problems = lock_problems(pyproject_text, lock_text)
    assert any(expected in p for p in problems), problems
