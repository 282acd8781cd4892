"""The desk's texts: French and English have the same keys, and every text the desk's templates ask for exists
(a missing key would show its name, e.g. `status.verified`, to a duty officer)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flows.definitions import CATEGORIES
from gateway.console.desk import CHANNELS, STATUS_CHOICES
from gateway.console.texts import catalogue
from gateway.models import MessageStatus

CONSOLE = Path(__file__).resolve().parents[3] / "gateway" / "console"
TEMPLATES = ("inbox.html", "inbox_rows.html", "alert.html", "alert_identity.html", "alert_actions.html",
             "alert_history.html", "not_found.html")  # fmt: skip


def test_both_languages_have_the_same_desk_keys():
    french, english = (json.loads((CONSOLE / "texts" / f"desk.{lang}.json").read_text()) for lang in ("fr", "en"))
    assert set(french) == set(english)
    assert all(value.strip() for value in (*french.values(), *english.values()))


def test_every_text_the_desk_shows_exists_in_both_languages():
    literal = set()
    for name in TEMPLATES:
        literal |= set(
            re.findall(r't\(\s*"([a-z_.0-9]+)"\s*[,)]', (CONSOLE / "templates" / "console" / name).read_text())
        )
    computed = {f"status.{s}" for s in STATUS_CHOICES} | {f"category.{c.value}" for c in CATEGORIES}
    computed |= {f"channel.{c}" for c in CHANNELS} | {f"message.{s.value}" for s in MessageStatus}
    computed |= {f"severity.{s}" for s in ("1", "2", "3", "none")} | {"category.none"}
    computed |= {f"ladder.{p}" for p in ("alert", "repeat", "reminder", "resolve_reminder")}
    computed |= {f"update.{k}" for k in ("asked", "answered", "update", "triaged", "note", "status", "reply", "merged")}
    computed |= {
        f"action.{a}" for a in ("take", "verify", "resolve", "false_alarm", "note_resolve", "note_false_alarm")
    }
    computed |= {f"done.{a}" for a in ("take", "verify", "resolve", "false_alarm", "triage", "note", "reply")}
    for language in ("fr", "en"):
        missing = sorted(key for key in literal | computed if key not in catalogue(language))
        assert not missing, f"{language}: {missing}"
