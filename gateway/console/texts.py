"""The console's texts in French (default) and English, chosen per request (?lang=, cookie, browser).

Texts live in `texts/<area>.<language>.json` (one file per part of the console: base, auth, desk, …); a key is
defined once per language, and `tests/gateway/console` checks that both languages have the same keys."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import g, request

LANGUAGES = ("fr", "en")
TEXTS_DIR = Path(__file__).with_name("texts")


@cache
def catalogue(language: str) -> dict[str, str]:
    """The console's texts in one language (every area's file merged)."""
    merged: dict[str, str] = {}
    for path in sorted(TEXTS_DIR.glob(f"*.{language}.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def _asked_language() -> str | None:
    """The `?lang=` of the request; None when the query string is not UTF-8 (hostile or broken requests reach
    every route, webhooks included: this runs for all of them and must never fail)."""
    try:
        return request.args.get("lang")
    except UnicodeError:
        return None


def current_language() -> str:
    """?lang= (remembered in a cookie), else the cookie, else the browser's preference, else French."""
    asked = _asked_language() or request.cookies.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"


def t(key: str, **params) -> str:
    """The text for `key` in the request's language (French when missing in English)."""
    language = getattr(g, "language", None) or current_language()
    text = catalogue(language).get(key) or catalogue("fr").get(key) or key
    return text.format(**params) if params else text


def choose_language() -> None:
    """Before a console request: the language of its pages."""
    g.language = current_language()


def remember_language(response):
    """After a console request: `?lang=` remembered for a year."""
    asked = _asked_language()
    if asked in LANGUAGES:
        response.set_cookie("lang", asked, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def install(app) -> None:
    """`t()` and the language in every template (the console's blueprint chooses the language on its own requests
    only: webhooks, the hot path, never pay for it)."""
    app.jinja_env.globals.update(t=t, current_language=lambda: getattr(g, "language", None) or current_language())
