"""Case 7's material: every log line the suite captured (subprocess output and in-process records) and every
phone number, Telegram id and message body the cases used, so that the last test can look for leaks."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from gateway.core.logs import PrivacyFilter

LOGS: list[tuple[str, str]] = []  # (where from, text)
PHONES: set[str] = set()  # E.164
TELEGRAM_IDS: set[str] = set()
BODIES: set[str] = set()
SECRETS: set[str] = set()
FRAGMENT = 12  # a body leaks if any run of this many of its characters shows up
_DIGIT_RUN = re.compile(r"\d{8,}")


def remember(
    phones: Iterable[str] = (),
    bodies: Iterable[str] = (),
    telegram_ids: Iterable[int] = (),
    secrets: Iterable[str] = (),
) -> None:
    """Register what must never show up in a log."""
    PHONES.update(phones)
    BODIES.update(b for b in bodies if len(b.strip()) >= FRAGMENT)
    TELEGRAM_IDS.update(str(t) for t in telegram_ids)
    SECRETS.update(s for s in secrets if s)


class CollectingHandler(logging.Handler):
    """Keeps every in-process record as the gateway's own handler would write it (with its privacy filter)."""

    def __init__(self, source: str) -> None:
        """A handler at DEBUG with the gateway's privacy filter, labelled with where its records come from."""
        super().__init__(level=logging.DEBUG)
        self.source = source
        self.addFilter(PrivacyFilter(tuple(SECRETS)))
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        """The privacy filter, with the secrets known by now (the test's fakes register theirs after setup)."""
        self.filters[0].secrets = tuple(SECRETS)
        return super().filter(record)

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record as written."""
        self.lines.append(self.format(record))

    def flush_to_corpus(self) -> None:
        """Add what was kept to the corpus."""
        if self.lines:
            LOGS.append((self.source, "\n".join(self.lines)))
            self.lines = []


def _fragments() -> set[str]:
    """Every run of FRAGMENT characters of every body that holds enough letters to mean something."""
    out = set()
    for body in BODIES:
        for i in range(len(body) - FRAGMENT + 1):
            piece = body[i : i + FRAGMENT]
            if sum(ch.isalpha() for ch in piece) >= 6:  # a run of digits or spaces says nothing about a body
                out.add(piece)
    return out


def find_leaks(corpus: list[tuple[str, str]] | None = None) -> dict[str, list[str]]:
    """What leaked, by kind: full phone numbers, Telegram ids, body fragments, secrets (each with its source)."""
    corpus = LOGS if corpus is None else corpus
    full = {p.lstrip("+") for p in PHONES}
    national = {p[-8:] for p in PHONES if p.startswith("+223")}
    fragments = _fragments()
    leaks: dict[str, list[str]] = {"phones": [], "telegram ids": [], "bodies": [], "secrets": []}
    for source, text in corpus:
        for run in _DIGIT_RUN.findall(text):
            if run in full or run.removeprefix("00") in full or run in national:
                leaks["phones"].append(f"{source}: …{run[-2:]}")
            elif run in TELEGRAM_IDS:
                leaks["telegram ids"].append(f"{source}: …{run[-2:]}")
        for i in range(len(text) - FRAGMENT + 1):
            if text[i : i + FRAGMENT] in fragments:
                leaks["bodies"].append(f"{source}: {text[max(i - 20, 0) : i + 40]!r}")
                break
        leaks["secrets"] += [f"{source}: a secret of {len(s)} characters" for s in SECRETS if s in text]
    return leaks


def volume() -> tuple[int, int]:
    """How many sources and lines the corpus holds."""
    return len(LOGS), sum(text.count("\n") + 1 for _, text in LOGS)
