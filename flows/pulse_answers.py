"""Reading a leader's answer to the weekly pulse, without touching anything: `113`, `1 1 3`, `S49 113`, `#S49 113`,
one-service answers (`ecole 2`, `école 2`, a Telegram button's `#S49 ecole 2`), keycap emoji digits. A message with
any other word is not a pulse answer (it stays an ordinary report)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from flows import catalogue
from flows.keywords import normalise

SERVICE_KEY_PREFIX = "pulse.service."
# How a digit reads: the question's "1 ouvert 2 fermé 3 partiel".
PRESENCE_OF_DIGIT = {"1": "open", "2": "closed", "3": "partial"}
DIGIT_OF_PRESENCE = {presence: digit for digit, presence in PRESENCE_OF_DIGIT.items()}

_WEEK_TAG = re.compile(r"^#?\s*[sw]\s*(\d{1,2})$")
_KEYCAP = re.compile("([0-9])\ufe0f?\u20e3")  # 1️⃣ as Telegram keyboards type it
_DIGITS = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class PulseAnswer:
    """What a pulse-shaped message says: the week it quotes (or None), and either `digits` (one per service asked,
    in the question's order, not yet checked) or `pairs` ((service code, digit), for `ecole 2`). `single` is True for
    a lone digit (`1`), which a follow-up or meeting question could also be waiting for."""

    week: int | None
    digits: str = ""
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def single(self) -> bool:
        """A lone digit with no week and no service: it could answer another question too."""
        return self.week is None and not self.pairs and len(self.digits) == 1


@cache
def service_words() -> dict[str, str]:
    """Folded word → service code, from every catalogue's `pulse.service.<code>` and the codes themselves."""
    words: dict[str, str] = {}
    for language in catalogue.languages():
        for key, word in catalogue.load(language).items():
            if key.startswith(SERVICE_KEY_PREFIX):
                code = key.removeprefix(SERVICE_KEY_PREFIX)
                words.setdefault(code, code)
                words.setdefault(normalise(word), code)
    return words


def parse(text: str) -> PulseAnswer | None:
    """The pulse answer a whole message is, or None when it is something else (letters other than a week tag and
    service words: an ordinary message)."""
    tokens = _tokens(text)
    if not tokens:
        return None
    week = None
    if len(tokens) > 2 and tokens[0] in ("s", "w", "#s", "#w") and len(tokens[1]) <= 2 and _DIGITS.match(tokens[1]):
        tokens = [tokens[0] + tokens[1], *tokens[2:]]  # "S 49 113"
    found = _WEEK_TAG.match(tokens[0])
    if found:
        week, tokens = int(found.group(1)), tokens[1:]
    words = service_words()
    if tokens and not _DIGITS.match(tokens[0]):
        return _pairs(tokens, words, week)
    if not all(_DIGITS.match(token) for token in tokens):
        return None
    if len(tokens) > 1 and any(len(token) > 1 for token in tokens):
        return None  # "1 13": not one group, not single digits (a meeting's OUI with its number is "1 13")
    if week is None and not tokens:
        return None
    return PulseAnswer(week, "".join(tokens))


def _tokens(text: str) -> list[str]:
    """The message folded (case, accents, punctuation, emoji) into words, keycap digits as digits, `ecole2` as
    `ecole 2`."""
    folded = normalise(_KEYCAP.sub(r" \1 ", text or ""))
    folded = re.sub(r"(?<=[a-z])(?=[0-9])", " ", folded)
    folded = re.sub(r"(?<=#)\s+", "", folded.replace("?", " "))
    return folded.split()


def _pairs(tokens: list[str], words: dict[str, str], week: int | None) -> PulseAnswer | None:
    """`ecole 2` or `ecole 2 sante 1`: each service word followed by one digit, nothing else."""
    if len(tokens) % 2:
        return None
    pairs = []
    for word, digit in zip(tokens[::2], tokens[1::2], strict=True):
        if word not in words or not _DIGITS.match(digit):
            return None
        pairs.append((words[word], digit))
    return PulseAnswer(week, pairs=tuple(pairs))


def check_digits(answer: PulseAnswer, asked: list[str]) -> list[tuple[str, str]] | None:
    """(service, presence) for each service answered, or None when the answer does not fit the services asked
    (wrong number of digits, a digit other than 1-3, a service not asked)."""
    if answer.pairs:
        if any(service not in asked or digit not in PRESENCE_OF_DIGIT for service, digit in answer.pairs):
            return None
        return [(service, PRESENCE_OF_DIGIT[digit]) for service, digit in answer.pairs]
    if len(answer.digits) != len(asked) or any(d not in PRESENCE_OF_DIGIT for d in answer.digits):
        return None
    return [(service, PRESENCE_OF_DIGIT[digit]) for service, digit in zip(asked, answer.digits, strict=True)]
