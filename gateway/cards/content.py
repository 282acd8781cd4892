"""What goes on a card: the facts of the deployment (number, bot, missed calls) and, per language, the catalogue's
`card.*` texts. French comes first; another language only when every card text of it is written and reviewed."""

from __future__ import annotations

from dataclasses import dataclass

from flows import catalogue
from flows.catalogue import is_reviewed

KEYWORDS = ("alert", "yes", "help", "stop")  # the order on the card: `card.example.<k>` and `card.explain.<k>`
SECTION_KEYS = ("card.title", "card.number", "card.keywords", "card.after_title", "card.after", "card.followup")
OPTIONAL_KEYS = ("card.telegram", "card.missed_call")
CARD_KEYS = SECTION_KEYS + OPTIONAL_KEYS + tuple(f"card.{p}.{k}" for k in KEYWORDS for p in ("example", "explain"))


@dataclass(frozen=True)
class CardFacts:
    """The deployment's side of the card."""

    district: str  # as leaders know it (the directory's name)
    number: str  # the number to text, as printed
    telegram_bot: str | None = None  # the bot's username, without @
    missed_calls: bool = False  # CallGate is on: a missed call to the number is a call-back request


@dataclass(frozen=True)
class Example:
    """One keyword with its example, as typed, and what it does."""

    keyword: str
    example: str
    explanation: str


@dataclass(frozen=True)
class CardPage:
    """One language's page, texts filled in."""

    language: str
    title: str
    number_label: str
    telegram_label: str | None
    keywords_title: str
    examples: tuple[Example, ...]
    after_title: str
    after: str
    followup: str
    missed_call: str | None


def card_languages() -> list[str]:
    """French, then every other catalogue language whose card texts are all present and reviewed."""
    others = [c for c in catalogue.languages() if c != catalogue.DEFAULT_LANGUAGE]
    complete = [c for c in others if all(k in catalogue.load(c) and is_reviewed(c, k) for k in CARD_KEYS)]
    return [catalogue.DEFAULT_LANGUAGE, *complete]


def page(language: str, facts: CardFacts) -> CardPage:
    """The page of one language."""

    def say(key: str) -> str:
        return catalogue.text(language, key, district=facts.district)

    examples = tuple(Example(k, say(f"card.example.{k}"), say(f"card.explain.{k}")) for k in KEYWORDS)
    return CardPage(
        language=language,
        title=say("card.title"),
        number_label=say("card.number"),
        telegram_label=say("card.telegram") if facts.telegram_bot else None,
        keywords_title=say("card.keywords"),
        examples=examples,
        after_title=say("card.after_title"),
        after=say("card.after"),
        followup=say("card.followup"),
        missed_call=say("card.missed_call") if facts.missed_calls else None,
    )


def pages(facts: CardFacts, language: str | None = None) -> list[CardPage]:
    """The card's pages: every card language, or French and `language` (just French when it is French)."""
    wanted = card_languages()
    if language is not None:
        if language not in wanted:
            raise ValueError(f"no reviewed card texts in {language!r} (available: {', '.join(wanted)})")
        wanted = list(dict.fromkeys([catalogue.DEFAULT_LANGUAGE, language]))
    return [page(code, facts) for code in wanted]
