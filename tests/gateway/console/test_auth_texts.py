"""The console's texts: French and English define the same keys in every area, and every key a template asks for
exists in both."""

from __future__ import annotations

import json
import re
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[3] / "gateway" / "console"
TEXTS = CONSOLE / "texts"


def keys(path: Path) -> set[str]:
    """The keys of one texts file."""
    return set(json.loads(path.read_text(encoding="utf-8")))


def test_every_area_has_the_same_keys_in_french_and_english():
    areas = sorted({p.name.split(".")[0] for p in TEXTS.glob("*.json")})
    assert {"auth", "audit", "base"} <= set(areas)
    for area in areas:
        french, english = TEXTS / f"{area}.fr.json", TEXTS / f"{area}.en.json"
        assert french.exists() and english.exists(), area
        assert keys(french) == keys(english), f"{area}: {sorted(keys(french) ^ keys(english))}"


def test_every_text_a_template_names_exists_in_both_languages():
    for language in ("fr", "en"):
        defined = set().union(*(keys(p) for p in TEXTS.glob(f"*.{language}.json")))
        for template in (CONSOLE / "templates").rglob("*.html"):
            named = set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*[,)]""", template.read_text(encoding="utf-8")))
            assert named <= defined, f"{template.name} ({language}): {sorted(named - defined)}"


def test_error_pages_have_a_title_and_a_help_text_in_both_languages():
    from gateway.console.errors import KNOWN

    for language in ("fr", "en"):
        defined = set().union(*(keys(p) for p in TEXTS.glob(f"*.{language}.json")))
        for key in [f"error.{code}" for code in KNOWN] + ["error.csrf", "error.other"]:
            assert {key, f"{key}.help"} <= defined, (language, key)
