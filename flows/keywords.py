"""Tolerant keyword matching: case, accents, punctuation and small misspellings, in French, English and Bambara."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Intent → the words that trigger it (already normalised: lower case, no accents). Bambara (deme: dɛmɛ) and Fulfulde
# (wallu) forms are the ASCII spellings people type (e for ɛ, o for ɔ); `normalise` folds the orthographic ones.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "help": ("aide", "help", "aider", "?", "deme", "wallu"),
    "cancel": ("annuler", "annule", "cancel"),
    # No "arreter": a one-word "Arrêté" (arrested) typed without its accent would silence a leader.
    "stop": ("stop", "arret", "unsubscribe", "desabonner"),
    "start": ("start", "demarrer", "reprendre", "subscribe"),
    "alert": ("alerte", "alert", "a", "alarme"),
    "acknowledge": ("ok", "ack", "okay"),
    "resolve": ("fin", "done", "resolu", "termine"),
    "false_alarm": ("faux", "fausse", "false"),
    "meeting_create": ("reunion", "meeting", "rencontre"),
    "tally": ("point", "tally", "bilan"),
}
# Words short enough that a one-letter slip would match something else: only exact matches count.
_EXACT_ONLY_BELOW = 5
# Intents that change whether someone hears from us: the whole message must be the keyword (punctuation allowed),
# spelt exactly. "Arrêté: trois jeunes arrêtés…" or "stop la violence" is a report, never an opt-out.
WHOLE_MESSAGE_INTENTS = frozenset({"stop", "start"})

_PUNCTUATION = re.compile(r"[^\w#\s?]", re.UNICODE)
_SPACES = re.compile(r"\s+")


# Bambara and Fulfulde letters folded to what people type on phones without them (ñ: Senegal's ɲ). Folding goes
# this way only: "ng" typed for ŋ is ambiguous the other way round (n + g in French and in many Bambara words), so
# both spellings meet in the typed form and nothing is guessed.
_TYPED_FORMS = str.maketrans({"ɛ": "e", "ɔ": "o", "ɲ": "ny", "ŋ": "ng", "ɓ": "b", "ɗ": "d", "ƴ": "y", "ñ": "ny"})


def normalise(text: str) -> str:
    """Lower case, accents and punctuation removed, Bambara/Fulfulde letters as typed, spaces collapsed
    (`Alerte!!` → `alerte`, `Dɛmɛ` → `deme`)."""
    folded = unicodedata.normalize("NFC", text or "").lower().translate(_TYPED_FORMS)
    folded = unicodedata.normalize("NFKD", folded)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", folded)).strip()


def _close(word: str, target: str) -> bool:
    """True when `word` is `target` with at most one letter added, dropped, swapped or changed."""
    if word == target:
        return True
    if len(target) < _EXACT_ONLY_BELOW or abs(len(word) - len(target)) > 1:
        return False
    if len(word) == len(target):
        diffs = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and word[diffs[0]] == target[diffs[1]]
    short, long_ = sorted((word, target), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@dataclass(frozen=True)
class Match:
    """A recognised keyword and the rest of the message after it (original spelling kept)."""

    intent: str
    rest: str


def match_keyword(text: str, intents: dict[str, tuple[str, ...]] | None = None) -> Match | None:
    """The intent of the message's first word, if it is one of the keywords (tolerantly; STOP/START: whole message)."""
    stripped = (text or "").strip()
    if not stripped:
        return None
    first, _, rest = stripped.partition(" ")
    words = normalise(first).split(" ")
    word = words[0]
    if not word:
        return None
    whole = normalise(stripped)
    for intent, words in (intents or KEYWORDS).items():
        if intent in WHOLE_MESSAGE_INTENTS:
            if whole in words:
                return Match(intent=intent, rest="")
            continue
        # A one-letter keyword ("A") must be typed as such: "à Konna…" is a sentence, not a command.
        if any(_close(word, w) and (len(w) > 1 or first.lower() == w) for w in words):
            return Match(intent=intent, rest=rest.strip())
    return None


# Settings that must be the whole message (keyword and punctuation, nothing else), never fuzzy: "Discret: les
# jeunes…" is a report, not a setting.
EXACT_COMMANDS: dict[str, tuple[str, ...]] = {
    "discreet_on": ("discret", "discrete", "discreet", "discret oui", "discrete oui", "discreet on", "discreet yes"),
    "discreet_off": ("discret non", "discrete non", "discret off", "discreet off", "discreet no"),
}


def match_exact(text: str) -> Match | None:
    """The setting a whole message is (`DISCRET`, `Discret non.`), or None."""
    said = normalise(text).replace("?", "").strip()
    for intent, forms in EXACT_COMMANDS.items():
        if said in forms:
            return Match(intent=intent, rest="")
    return None


_REFERENCE = re.compile(r"^#?\s*(\d{1,9})\b")


def parse_reference(text: str) -> tuple[int | None, str]:
    """A leading reference (`142`, `#142`, `# 142`) and what follows it."""
    found = _REFERENCE.match((text or "").strip())
    if not found:
        return None, (text or "").strip()
    return int(found.group(1)), text.strip()[found.end() :].strip()
