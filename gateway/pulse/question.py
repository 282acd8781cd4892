"""What the pulse says: the weekly question in the leader's language (one GSM-7 SMS in French), its Telegram
buttons, the hint repeating the expected form, and the week's label (`2026-W49`, shown `#S49`)."""

from __future__ import annotations

from datetime import datetime

from bots.base import Button
from flows import catalogue
from flows.pulse_answers import DIGIT_OF_PRESENCE, SERVICE_KEY_PREFIX

EXAMPLE = "1131"  # the digits shown as an example, cut to the number of services asked


def week_of(local: datetime) -> str:
    """The ISO week of a local time, as stored: `2026-W49`."""
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def week_number(week: str) -> int:
    """`2026-W49` → 49, the number the leader sees and may quote."""
    return int(week.rsplit("W", 1)[1])


def service_word(language: str | None, service: str) -> str:
    """The short word a leader reads and types for a service (`ecole`, `sante`, `gendarmerie`)."""
    return catalogue.text(language, SERVICE_KEY_PREFIX + service)


def _params(language: str | None, week: str, commune: str, services: list[str]) -> dict:
    words = " ".join(f"{service_word(language, s)}?" for s in services)
    return dict(week=week_number(week), commune=commune, services=words, digits=len(services),
                example=EXAMPLE[: len(services)])  # fmt: skip


def question_text(language: str | None, week: str, commune: str, services: list[str]) -> str:
    """`#S49 Konna: ecole? sante? gendarmerie? Répondez 3 chiffres 1 ouvert 2 fermé 3 partiel ex: 113`."""
    key = "pulse.question" if len(services) > 1 else "pulse.question_one"
    return catalogue.text(language, key, **_params(language, week, commune, services))


def hint_text(language: str | None, week: str, commune: str, services: list[str]) -> str:
    """The one-SMS hint after an answer that does not fit: the expected form again."""
    key = "pulse.hint" if len(services) > 1 else "pulse.hint_one"
    return catalogue.text(language, key, **_params(language, week, commune, services))


def buttons(language: str | None, week: str, services: list[str]) -> tuple[Button, ...]:
    """Three buttons a service (`ecole: ouvert`…), each sending the one-service answer with its week, so that a
    button pressed late still counts for its own round."""
    tag = f"#S{week_number(week)}"
    out = []
    for service in services:
        word = service_word(language, service)
        for presence, digit in DIGIT_OF_PRESENCE.items():
            label = catalogue.text(language, "pulse.button", service=word,
                                   presence=catalogue.text(language, f"pulse.presence.{presence}"))  # fmt: skip
            out.append(Button(label, f"{tag} {word} {digit}"))
    return tuple(out)
