"""`LANGUE BM`, `LANGUE FR`…: a contact chooses the language of our messages by SMS or Telegram, and the answer
comes in the new language (French for texts of a draft language that no speaker reviewed yet)."""

from __future__ import annotations

from flows.keywords import Match, normalise

# The word that opens the setting, as typed: French, English, Bambara (kan) and Fulfulde (ɗemngal → demngal).
LANGUAGE_WORDS = ("langue", "language", "kan", "demngal")
# The words that open it even with nothing or something unknown after it (then the choices are listed): "kan" is
# too common a Bambara word to answer a sentence that starts with it.
ASKING_WORDS = ("langue", "language")
# Language code → how people name it (folded by `normalise`), the code first.
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "fr": ("fr", "francais", "french", "faransi", "faransikan", "tubabukan"),
    "en": ("en", "english", "anglais", "angile", "anglekan"),
    "bm": ("bm", "bambara", "bamanankan", "bamana", "bamanan"),
    "ff": ("ff", "fulfulde", "peul", "peulh", "fulakan", "fula", "pulaar", "fulani"),
}
# Each language's own name, said back in the confirmation (names, not sentences: they are the same in every text).
ENDONYMS = {"fr": "français", "en": "English", "bm": "bamanankan", "ff": "fulfulde"}


def match_language(text: str) -> Match | None:
    """`language` with the code as `rest` when the whole message chooses a language; `language_choices` for
    `LANGUE` alone or with a name we do not know; None for anything else."""
    words = normalise(text).replace("?", " ").split()
    if not words or words[0] not in LANGUAGE_WORDS or len(words) > 2:
        return None
    if len(words) == 2:
        for code, names in LANGUAGE_NAMES.items():
            if words[1] in names:
                return Match(intent="language", rest=code)
    return Match(intent="language_choices", rest="") if words[0] in ASKING_WORDS else None


def on_language(inbound, match: Match) -> None:
    """Set the contact's language and confirm in it; `LANGUE` alone (or an unknown name) lists the choices."""
    if match.intent != "language":
        inbound.reply("language.choices")
        return
    inbound.contact.language = match.rest
    inbound.reply("language.done", chosen=ENDONYMS[match.rest])
